// The terminal download line of `inferd serve` (src/cli/progress-line.ts) and which progress reports become
// `inferd logs` lines (progressLogThrottle in src/serve/model-fetcher.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressLine } from '../../src/cli/progress-line.js';
import { progressLogThrottle } from '../../src/serve/model-fetcher.js';

const CLEAR = '\r\x1b[2K';

function terminal(columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { columns, write: (s: string) => writes.push(s) } };
}

test('redraws one line in place, writes log records above it, and leaves a summary when done', () => {
  const { writes, stream } = terminal(200);
  const line = new ProgressLine(stream);
  line.update('default/iris', 'downloading model: 1.0 MiB of 4.0 MiB');
  line.update('default/iris', 'downloading model: 2.0 MiB of 4.0 MiB');
  line.write('{"level":"warn","msg":"x"}\n');
  line.done('default/iris', 'default/iris: downloaded 4.0 MiB in 1.2s');
  assert.deepEqual(writes, [
    `${CLEAR}default/iris: downloading model: 1.0 MiB of 4.0 MiB`,
    `${CLEAR}default/iris: downloading model: 2.0 MiB of 4.0 MiB`,
    CLEAR,
    '{"level":"warn","msg":"x"}\n',
    `${CLEAR}default/iris: downloading model: 2.0 MiB of 4.0 MiB`,
    CLEAR,
    'default/iris: downloaded 4.0 MiB in 1.2s\n',
  ]);
});

test('shows concurrent downloads side by side, cut to the terminal width', () => {
  const { writes, stream } = terminal(30);
  const line = new ProgressLine(stream);
  line.update('a', '1 MiB');
  line.update('b', '2 MiB');
  assert.equal(writes.at(-1), `${CLEAR}a: 1 MiB | b: 2 MiB`);
  line.update('a', '1.5 MiB of 100.0 MiB (1.0 MiB/s)');
  assert.equal(writes.at(-1), `${CLEAR}a: 1.5 MiB of 100.0 MiB (1.0…`);
  line.done('a');
  assert.equal(writes.at(-1), `${CLEAR}b: 2 MiB`);
  line.done('b');
  assert.equal(writes.at(-1), CLEAR);
});

test('log lines without a download in progress are written as they are', () => {
  const { writes, stream } = terminal();
  const line = new ProgressLine(stream);
  line.write('one\n');
  line.done('never-started');
  assert.deepEqual(writes, ['one\n']);
});

test('progress log lines: the first, every 10% at most once a second, every 10 s without a total, the last once', () => {
  const due = progressLogThrottle();
  const total = 100;
  assert.equal(due({ bytes: 1, totalBytes: total }, 0), true, 'the first report');
  assert.equal(due({ bytes: 5, totalBytes: total }, 900), false, 'within a second');
  assert.equal(due({ bytes: 9, totalBytes: total }, 1_500), false, 'no new 10%');
  assert.equal(due({ bytes: 12, totalBytes: total }, 1_600), true, 'a new 10% after a second');
  assert.equal(due({ bytes: 35, totalBytes: total }, 1_700), false, 'a new 10%, but within a second');
  assert.equal(due({ bytes: 100, totalBytes: total }, 1_800), true, 'complete: always');
  assert.equal(due({ bytes: 100, totalBytes: total }, 1_900), false, 'complete again (the final report): once');

  const unknown = progressLogThrottle();
  assert.equal(unknown({ bytes: 1 }, 0), true);
  assert.equal(unknown({ bytes: 2 }, 5_000), false);
  assert.equal(unknown({ bytes: 3 }, 10_000), true);
});
