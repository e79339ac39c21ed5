import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMachineCpu, parseProcStat, processTree, readStat, sampleTree } from '../../bench/proc.js';

test('parses /proc/<pid>/stat, comm with spaces and parentheses', () => {
  const line =
    '4242 (node (worker) x) S 4000 4242 4242 0 -1 4194560 1234 0 0 0 150 25 7 3 20 0 11 0 123456 1100000000 12345 18446744073709551615 1 1 0 0 0 0 0 4096 134234626 0 0 0 17 1 0 0 0 0 0';
  const s = parseProcStat(line);
  assert.equal(s.pid, 4242);
  assert.equal(s.comm, 'node (worker) x');
  assert.equal(s.ppid, 4000);
  assert.equal(s.pgrp, 4242);
  assert.equal(s.cpuTicks, 175);
  assert.equal(s.childTicks, 10);
  assert.equal(s.rssPages, 12345);
});

test('machine CPU from /proc/stat: busy excludes idle and iowait', () => {
  const m = parseMachineCpu('cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 1 2 3\n');
  assert.equal(m.busy, 100 + 5 + 50 + 1 + 2 + 3);
  assert.equal(m.total, m.busy + 1000 + 20);
});

test('the process tree of this process holds itself; samples are non-negative', () => {
  const self = readStat('self');
  assert.ok(self);
  const tree = processTree(process.pid);
  assert.equal(tree[0]?.pid, process.pid);
  const s = sampleTree(process.pid);
  assert.ok(s.rssBytes > 0);
  assert.ok(s.cpuTicks >= 0);
});
