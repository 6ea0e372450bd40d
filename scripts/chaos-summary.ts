/**
 * After `npm run test:chaos`: the rows the scenarios recorded (test/chaos/artifacts/rows), as one
 * table on stdout and in test/chaos/artifacts/summary.md (the Reliability figures). Exits 1 when no
 * scenario recorded a row: the suite did not run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, readScenarios, type ScenarioRow } from '../test/helpers/chaos.js';

/** The Markdown table of the scenarios, in scenario order (their names start with their number). */
export function summaryTable(rows: readonly ScenarioRow[]): string {
  const sorted = [...rows].sort((a, b) => a.scenario.localeCompare(b.scenario, 'en', { numeric: true }));
  return [
    '| scenario | cases tried | survived | data lost | time | notes |',
    '|---|---:|---:|---:|---:|---|',
    ...sorted.map(
      (r) => `| ${r.scenario} | ${r.tried} | ${r.survived} | ${r.lost} | ${Math.round(r.seconds)} s | ${r.notes.replace(/\|/g, '/')} |`,
    ),
  ].join('\n');
}

const rows = readScenarios();
if (rows.length === 0) {
  console.error(`No chaos scenario recorded a row under ${path.join(ARTIFACTS, 'rows')}: run the suite first (npm run test:chaos).`);
  process.exit(1);
}
const table = summaryTable(rows);
mkdirSync(ARTIFACTS, { recursive: true });
writeFileSync(path.join(ARTIFACTS, 'summary.md'), `${table}\n`);
console.log(`\nChaos summary\n\n${table}\n`);
