import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CpuProfile, formatSummary, shortUrl, summarizeProfile } from '../../bench/cpuprofile.js';

const frame = (functionName: string, url = '', lineNumber = -1) => ({ functionName, url, lineNumber, columnNumber: 0 });

// root → (idle), (program), handler → parse; samples every 1 ms.
const profile: CpuProfile = {
  startTime: 0,
  endTime: 10_000,
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('(garbage collector)') },
    { id: 4, callFrame: frame('handle', 'file:///repo/dist/src/server/router.js', 9), children: [5] },
    { id: 5, callFrame: frame('parse', 'file:///repo/dist/src/server/json-body.js', 0) },
  ],
  // 10 samples, 1000 us apart: 4 idle, 1 gc, 2 handle, 3 parse
  samples: [2, 2, 2, 2, 3, 4, 4, 5, 5, 5],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

test('self time per function from samples and time deltas; idle excluded from the busy share', () => {
  const s = summarizeProfile(profile, 15, '/repo');
  assert.equal(s.totalMs, 10);
  assert.equal(s.idleMs, 4);
  assert.equal(s.busyMs, 6);
  assert.deepEqual(
    s.top.map((r) => [r.name, r.selfMs, Math.round(r.pct)]),
    [
      ['parse dist/src/server/json-body.js:1', 3, 50],
      ['handle dist/src/server/router.js:10', 2, 33],
      ['(garbage collector)', 1, 17],
    ],
  );
  assert.equal(s.topFiles[0]?.url, 'dist/src/server/json-body.js');
  assert.match(formatSummary('replica', s), /replica: 10 ms profiled, 6 ms busy, 4 ms idle/);
});

test('topN limits the rows; hit counts are used when a profile has no samples', () => {
  assert.equal(summarizeProfile(profile, 1).top.length, 1);
  const noSamples: CpuProfile = {
    ...profile,
    samples: undefined,
    timeDeltas: undefined,
    nodes: profile.nodes.map((n) => ({ ...n, hitCount: n.id === 5 ? 3 : n.id === 2 ? 1 : 0 })),
  };
  const s = summarizeProfile(noSamples);
  assert.equal(s.top[0]?.functionName, 'parse');
  assert.equal(s.top[0]?.selfMs, 7.5);
});

test('urls are shortened to the repository', () => {
  assert.equal(shortUrl('file:///repo/dist/src/a.js', '/repo'), 'dist/src/a.js');
  assert.equal(shortUrl('node:internal/http', '/repo'), 'node:internal/http');
});
