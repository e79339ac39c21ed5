// A pre-forked idle replica process (`main.js --standby`): Node started, inferd's model server and the
// sklearn runtime loaded, no model, no port. A replica that takes it skips process start and module loading
// (most of a cold start on a busy 2-core machine); it sends `{type:'load', args, env}` and the process goes on
// as a cold replica would (Loading → ready|failed over the same IPC channel).

import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';

/** Output lines kept from before the hand-over (they go to the taking replica's log). */
const EARLY_LINES = 50;

/** Emits 'exit' when the process ends before anyone took it. */
export class StandbyProcess extends EventEmitter {
  readonly child: ChildProcess;
  /** True once the process reported `standby` (modules loaded) and until it is taken or exits. */
  idle = false;
  taken = false;
  /** Reported `standby` at some point (also after being taken). */
  private idleSeen = false;
  private sink: ((line: string) => void) | undefined;
  private readonly early: string[] = [];
  private exitedFlag = false;
  private readonly exited: Promise<void>;

  constructor(entry: string, env: Record<string, string>) {
    super();
    this.child = fork(entry, ['--standby'], {
      // --expose-gc: a standby may become a model host, whose workers collect once after loading (worker-serve.ts).
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Only the env inferd built for it: the server's own (credentials, NODE_OPTIONS) is not inherited.
      env: { ...env },
      serialization: 'json',
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        if (this.sink) this.sink(line);
        else {
          this.early.push(line);
          if (this.early.length > EARLY_LINES) this.early.shift();
        }
      });
    }
    const onMessage = (m: { type?: string } | null) => {
      if (m?.type === 'standby') {
        this.idleSeen = true;
        if (!this.taken) this.idle = true;
        this.emit('idle');
      }
    };
    this.child.on('message', onMessage);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => {
        this.exitedFlag = true;
        this.idle = false;
        this.child.off('message', onMessage);
        if (!this.taken) this.emit('exit');
        resolve();
      });
    });
    this.child.on('error', () => {
      // fork failures surface as 'exit' too; nothing to add
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Idle now: reported standby, not taken, still running and connected. */
  get usable(): boolean {
    return this.idle && !this.taken && !this.exitedFlag && this.child.connected;
  }

  /** Not taken and still running (maybe still loading its modules: already ahead of a cold fork). */
  get available(): boolean {
    return !this.taken && !this.exitedFlag && this.child.connected;
  }

  /** Resolves true once the process is idle (or at once if it is), false if it exits first. */
  whenIdle(): Promise<boolean> {
    if (this.idle || this.idleSeen) return Promise.resolve(!this.exitedFlag);
    if (this.exitedFlag) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onIdle = () => {
        this.child.off('exit', onExit);
        resolve(true);
      };
      const onExit = () => {
        this.off('idle', onIdle);
        resolve(false);
      };
      this.once('idle', onIdle);
      this.child.once('exit', onExit);
    });
  }

  /**
   * Hands the process over: its earlier and later output lines go to `sink`. The caller sends the `load`
   * message and owns the process from here (its 'message' and 'exit' events).
   */
  take(sink: (line: string) => void): ChildProcess {
    this.taken = true;
    this.idle = false;
    for (const line of this.early) sink(line);
    this.early.length = 0;
    this.sink = sink;
    return this.child;
  }

  /** SIGTERM (a standby exits at once), SIGKILL after graceMs. */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.exitedFlag) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
