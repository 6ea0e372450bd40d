/**
 * Runs last (files run in name order): prints the rows the scenarios recorded as one table and
 * writes it to test/chaos/artifacts/summary.md for the README's "Reliability" section.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { ARTIFACTS, readScenarios } from '../helpers/chaos.js';

it('prints the chaos summary', () => {
  const rows = readScenarios().sort((a, b) => a.scenario.localeCompare(b.scenario, 'en', { numeric: true }));
  const lines = [
    '| scenario | cases tried | survived | data lost | time | notes |',
    '|---|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.tried} | ${r.survived} | ${r.lost} | ${Math.round(r.seconds)} s | ${r.notes.replace(/\|/g, '/')} |`),
  ];
  const table = lines.join('\n');
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, 'summary.md'), `${table}\n`);
  console.log(`\nChaos summary\n\n${table}\n`);
});
