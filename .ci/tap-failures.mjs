#!/usr/bin/env node
// Prints each failed test of a node --test log with its diagnostics (error, location, stack head), so the end
// of a CI log says which test failed and why even when only its tail is kept. Reads both reporters a piped
// `node --test` may use: TAP (Node 20) and spec (Node 24, whose own "failing tests" section is printed).
// Usage: node .ci/tap-failures.mjs LOG [LABEL] [EXIT_CODE]. A non-zero exit with no failed test (lint, build, a
// crash) prints the log's last lines instead.
import { existsSync, readFileSync } from 'node:fs';

const [logPath, label = 'suite', exitCode = '0'] = process.argv.slice(2);
if (!logPath) {
  console.error('usage: tap-failures.mjs LOG [LABEL]');
  process.exit(2);
}
if (!existsSync(logPath)) {
  console.log(`----- ${label}: no log at ${logPath} -----`);
  process.exit(0);
}
// Colour codes (FORCE_COLOR) would hide the markers matched below.
const lines = readFileSync(logPath, 'utf8')
  .replace(/\x1b\[[0-9;]*m/g, '')
  .split('\n');
const failures = [];
const specFailing = lines.findIndex((l) => /^\u2716 failing tests:/.test(l));
if (specFailing >= 0) {
  const section = lines.slice(specFailing + 1).filter((l) => l.trim() !== '');
  failures.push(...section.filter((l) => /^\u2716 /.test(l)).map((l) => l.slice(2)));
  console.log(`----- ${label}: ${failures.length} failed (spec reporter's list follows) -----`);
  console.log(section.slice(0, 300).join('\n'));
  process.exit(0);
}
for (let i = 0; i < lines.length; i++) {
  const m = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
  if (!m || /# TODO\b/.test(m[2])) continue;
  const indent = m[1];
  const block = [lines[i].trim()];
  // The YAML diagnostics follow, indented two more, between "---" and "...".
  if (lines[i + 1]?.trim() === '---') {
    let j = i + 2;
    let stackLines = 0;
    let inStack = false;
    for (; j < lines.length && lines[j].trim() !== '...'; j++) {
      const text = lines[j].slice(indent.length + 2);
      if (/^\S/.test(text)) inStack = text.startsWith('stack:');
      if (text.startsWith('duration_ms:')) continue;
      if (inStack && ++stackLines > 6) continue;
      block.push(`    ${text}`);
    }
    i = j;
  }
  failures.push(block.join('\n'));
}
if (failures.length === 0 && exitCode !== '0') {
  console.log(`----- ${label}: exit ${exitCode} with no failed test; the log's last lines -----`);
  console.log(lines.slice(-40).join('\n'));
} else if (failures.length === 0) {
  console.log(`----- ${label}: no failed test in the log -----`);
} else {
  console.log(`----- ${label}: ${failures.length} failed (a file's own entry counts too) -----`);
  for (const f of failures) console.log(f);
}
