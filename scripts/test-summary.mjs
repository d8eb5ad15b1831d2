#!/usr/bin/env node
// Reads a test log on stdin (nx running vitest per project) and prints one closing line,
// "N passed, N failed[, N skipped]", summed over every vitest run in it. Exits 1 if no test ran.
import { readFileSync } from 'node:fs';

// eslint-disable-next-line no-control-regex
const text = readFileSync(0, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0;
let failed = 0;
let skipped = 0;
let runs = 0;
for (const line of text.split('\n')) {
  const m = /^\s*Tests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!m) continue;
  runs++;
  for (const part of (m[1] ?? '').split('|')) {
    const c = /(\d+)\s+(passed|failed|skipped|todo)/.exec(part);
    if (!c) continue;
    const n = Number(c[1]);
    if (c[2] === 'passed') passed += n;
    else if (c[2] === 'failed') failed += n;
    else skipped += n;
  }
}
console.log(`vitest runs: ${runs}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(runs === 0 || passed === 0 ? 1 : 0);
