// Prints the top functions (and files) by self time of one or more `.cpuprofile` files.
// Usage: node dist/bench/cpuprofile-top.js FILE.cpuprofile [...] [--top N]

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type CpuProfile, formatSummary, summarizeProfile } from './cpuprofile.js';

const args = process.argv.slice(2);
let topN = 15;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') topN = Number(args[++i]);
  else files.push(args[i]!);
}
if (files.length === 0 || !Number.isInteger(topN) || topN <= 0) {
  process.stderr.write('usage: cpuprofile-top.js FILE.cpuprofile [...] [--top N]\n');
  process.exit(2);
}
const root = resolve('.');
for (const f of files) {
  const profile = JSON.parse(readFileSync(f, 'utf8')) as CpuProfile;
  process.stdout.write(`${formatSummary(f, summarizeProfile(profile, topN, root))}\n\n`);
}
