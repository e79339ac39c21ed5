// The /proc reader of replica usage: parses /proc/PID/stat (a command name with spaces and parentheses too),
// measures a process that burns CPU against one that sleeps, and leaves out pids that are gone.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CLOCK_TICKS_PER_S, ProcessUsageReader, parseStat } from '../../../src/controllers/replicas/process-usage.js';
import { waitUntil } from '../../support/wait.js';

test('parseStat reads utime+stime and starttime after the last parenthesis', () => {
  const fields = [
    'S',
    ...Array.from({ length: 10 }, (_, i) => String(i + 4)),
    '250',
    '50',
    ...'16 17 18 19 20 21'.split(' '),
    '12345',
    '23',
  ];
  const stat = parseStat(`4242 (node (worker) x) ${fields.join(' ')}`);
  assert.deepEqual(stat, { cpuTicks: 300, startTicks: 12345 });
  assert.equal(parseStat('garbage'), undefined);
  assert.equal(CLOCK_TICKS_PER_S, 100);
});

test(
  'a busy process reads near one core, an idle one near zero; a gone pid is left out',
  { skip: !existsSync('/proc/self/stat') && !process.env['CI'] ? 'no /proc on this system' : false },
  async (t) => {
    const busy = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
    // The idle one says when node has started: its start-up CPU must fall before the first reading.
    const idle = spawn(process.execPath, ['-e', 'process.stdout.write("up");setInterval(()=>{},1000)'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    t.after(() => {
      busy.kill('SIGKILL');
      idle.kill('SIGKILL');
    });
    await new Promise<void>((resolve, reject) => {
      idle.stdout!.once('data', () => resolve());
      idle.once('exit', () => reject(new Error('the idle process exited')));
    });
    const reader = new ProcessUsageReader();
    await reader.read([busy.pid!, idle.pid!]);
    // Wait until the busy one has burnt half a second of CPU (50 ticks), read from its own /proc/PID/stat.
    const ticks = () => parseStat(readFileSync(`/proc/${busy.pid}/stat`, 'utf8'))?.cpuTicks ?? 0;
    const from = ticks();
    await waitUntil(() => ticks() >= from + 50, 'the busy process burns 0.5 s of CPU', 20_000);
    const [b, i] = await reader.read([busy.pid!, idle.pid!, 2 ** 22 + 7]);
    assert.equal(b?.pid, busy.pid);
    assert.equal(i?.pid, idle.pid);
    // Loose bounds: two cores are shared by other work here.
    assert.ok(b!.cpuCores > 0.15 && b!.cpuCores < 1.3, `busy: ${b!.cpuCores} cores`);
    assert.ok(i!.cpuCores < 0.1, `idle: ${i!.cpuCores} cores`);
    assert.ok(b!.memoryBytes > 1024 * 1024, 'RSS of a node process is more than 1 MiB');
  },
);
