/**
 * The download comparison alone (`npm run build` first, then `npx tsx bench/download-only.ts`):
 * the "Download vs curl" section of `npm run bench` without the hour of ladders. BENCH_QUICK=1 and
 * BENCH_RUNS apply as there.
 */
import { benchDownload, downloadTable } from './download-bench.js';
import { QUICK, RUNS } from './measure.js';

console.log(`download bench: ${QUICK ? 'QUICK (200 MiB)' : 'full (2 GiB)'}, ${RUNS} run(s) of each side`);
console.log(downloadTable(await benchDownload()).join('\n'));
