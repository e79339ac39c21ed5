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
  'a busy process reads the CPU share it got, an idle one near zero; a gone pid is left out',
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
    // The test's own view of the busy process, taken around each of the reader's readings: its ticks from
    // /proc/PID/stat and the wall clock. What the reader says must lie between what these bounds allow,
    // whatever share of a core a loaded machine leaves the busy loop.
    const ticks = () => parseStat(readFileSync(`/proc/${busy.pid}/stat`, 'utf8'))?.cpuTicks ?? 0;
    const t0Before = performance.now();
    const ticks0Before = ticks();
    await reader.read([busy.pid!, idle.pid!]);
    const ticks0After = ticks();
    const t0After = performance.now();
    // Wait until the busy one has burnt half a second of CPU (50 ticks).
    await waitUntil(() => ticks() >= ticks0After + 50, 'the busy process burns 0.5 s of CPU', 60_000);
    const t1Before = performance.now();
    const ticks1Before = ticks();
    const [b, i] = await reader.read([busy.pid!, idle.pid!, 2 ** 22 + 7]);
    const ticks1After = ticks();
    const t1After = performance.now();
    // Fewest ticks over the longest interval, most ticks over the shortest (one tick of slack each side).
    const low = (ticks1Before - ticks0After - 1) / CLOCK_TICKS_PER_S / ((t1After - t0Before) / 1000);
    const high = (ticks1After - ticks0Before + 1) / CLOCK_TICKS_PER_S / ((t1Before - t0After) / 1000);
    assert.equal(b?.pid, busy.pid);
    assert.equal(i?.pid, idle.pid);
    assert.ok(b!.cpuCores > 0, `busy: ${b!.cpuCores} cores`);
    assert.ok(
      b!.cpuCores >= low * 0.9 && b!.cpuCores <= high * 1.1,
      `busy: ${b!.cpuCores} cores, the test saw between ${low} and ${high}`,
    );
    assert.ok(b!.cpuCores <= 1.05, `busy: ${b!.cpuCores} cores for one thread`);
    assert.ok(i!.cpuCores < 0.1, `idle: ${i!.cpuCores} cores`);
    assert.ok(b!.memoryBytes > 1024 * 1024, 'RSS of a node process is more than 1 MiB');
  },
);
