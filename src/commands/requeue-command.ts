import { parseArgs } from 'node:util';
import { loadConfig, type AppConfig } from '../config/config.js';
import { toAppError } from '../errors.js';
import { silentLogger } from '../logging/logger.js';
import { type CmsSource } from '../sources/cms-source.js';
import { jobKey } from '../domain/job-key.js';
import { MASTER_PLAYLIST } from '../domain/storage-layout.js';
import { REQUEUE_SCOPES, type RequeueResult, type RequeueScope } from '../domain/requeue.js';
import { createSources } from '../sources/create-sources.js';
import { createLadderTarget } from '../publish/create-ladder-target.js';
import type { LadderTarget } from '../publish/ladder-target.js';
import { describeStore, openStore } from '../store/open-store.js';

export const REQUEUE_HELP = `Usage: video-compressor requeue --status failed|completed|all [--source <kind>] [--priority N] [--batch N] [--dry-run]
       video-compressor requeue --missing-ladder [--status completed|all] [--source <kind>] [--priority N] [--batch N] [--dry-run]

Sends finished records back to pending, e.g. after the storage volume was lost (--missing-ladder)
or after fixing what made jobs fail (--status failed). Outputs and errors are cleared and the retry
budget starts again. Records being processed are never touched.

  --status          failed, completed, or all (both; cancelled records are left alone);
                    required unless --missing-ladder
  --missing-ladder  the storage-loss recovery: only records whose storage/hls/<key>/master.m3u8
                    is missing (implies --status completed unless --status is given)
  --source          one source of SOURCES (default: every configured source)
  --priority        priority of the requeued records, 1 urgent … 10 low (default 10, so new uploads
                    at the normal priority 5 still go first during a bulk recovery)
  --batch           records per transaction or CMS request batch (default 500)
  --dry-run         count what would be requeued; change nothing`;

interface RequeueArgs {
  readonly scope: RequeueScope;
  readonly source: string | undefined;
  readonly priority: number;
  readonly batchSize: number;
  readonly dryRun: boolean;
  /** Only the records whose ladder is gone from storage/hls. */
  readonly missingLadder: boolean;
}

/** `video-compressor requeue`: disaster recovery through each source's `requeue`. */
export async function runRequeue(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(REQUEUE_HELP);
    return 0;
  }
  const args = parseRequeueArgs(argv);
  if (typeof args === 'string') {
    console.error(`${args}\n\n${REQUEUE_HELP}`);
    return 2;
  }
  const config = loadConfig();
  const kinds = args.source === undefined ? config.worker.sources : [args.source];
  if (args.source !== undefined && !config.worker.sources.some((kind) => kind === args.source)) {
    console.error(`Source "${args.source}" is not enabled (SOURCES=${config.worker.sources.join(',')}).`);
    return 2;
  }
  let store;
  try {
    store = await openStore(config.storage, { now, log: silentLogger() });
  } catch (err) {
    console.error(
      `Cannot open ${describeStore(config.storage)}: ${(err as Error).message}. Restore it from a backup first (docs/operations.md, "Backup").`,
    );
    return 1;
  }
  try {
    const sources = await createSources({ config, jobs: store.jobs, log: silentLogger(), now });
    const ladders = createLadderTarget(config);
    let failed = 0;
    for (const source of sources.filter((s) => kinds.includes(s.kind))) {
      if (!(await requeueSource(source, args, ladders))) failed += 1;
    }
    if (!args.dryRun) console.log(nextPollHint(config));
    return failed === 0 ? 0 : 1;
  } finally {
    await store.close();
  }
}

function now(): Date {
  return new Date();
}

async function requeueSource(source: CmsSource, args: RequeueArgs, ladders: LadderTarget & { readonly where: string }): Promise<boolean> {
  try {
    let ids: ReadonlySet<string> | undefined;
    if (args.missingLadder) {
      ids = await missingLadderIds(source, args.scope, ladders);
      const which = args.scope === 'all' ? 'failed or completed' : args.scope;
      console.log(`${source.kind}: ${ids.size} ${which} record(s) without ${ladders.where}/<key>/${MASTER_PLAYLIST}`);
    }
    const result = await source.requeue({
      scope: args.scope,
      priority: args.priority,
      batchSize: args.batchSize,
      dryRun: args.dryRun,
      ...(ids === undefined ? {} : { ids }),
      onBatch: (done) => {
        if (process.stderr.isTTY) process.stderr.write(`\r${source.kind}: ${done} requeued…`);
      },
    });
    if (process.stderr.isTTY && result.batches > 0) process.stderr.write('\n');
    console.log(describeResult(source.kind, result, args));
    return true;
  } catch (err) {
    const error = toAppError(err);
    console.error(`${source.kind}: requeue failed [${error.code}]: ${error.message}`);
    return false;
  }
}

/** Ids of the source's finished records in `scope` whose published master.m3u8 is missing (local disk or bucket). */
export async function missingLadderIds(
  source: Pick<CmsSource, 'kind' | 'listRefs'>,
  scope: RequeueScope,
  ladders: Pick<LadderTarget, 'keys' | 'hasLadder'>,
): Promise<Set<string>> {
  const statuses = scope === 'all' ? ['failed', 'completed'] : [scope];
  // One listing instead of a look per record: after a storage loss most keys are simply absent.
  const present = new Set(await ladders.keys());
  const ids = new Set<string>();
  for (const ref of await source.listRefs()) {
    if (!statuses.includes(ref.status)) continue;
    const key = jobKey({ source: source.kind, id: ref.id });
    if (!present.has(key) || !(await ladders.hasLadder(key))) ids.add(ref.id);
  }
  return ids;
}

export function describeResult(kind: string, result: RequeueResult, args: Pick<RequeueArgs, 'dryRun' | 'priority'>): string {
  const total = result.matched.failed + result.matched.completed;
  const lines = [`${kind}: ${total} record(s) match (${result.matched.failed} failed, ${result.matched.completed} completed)`];
  if (result.processing > 0) lines.push(`${kind}: ${result.processing} record(s) in processing left alone`);
  lines.push(
    args.dryRun
      ? `${kind}: dry run, nothing changed`
      : `${kind}: ${result.requeued} record(s) pending again at priority ${args.priority}, in ${result.batches} batch(es)`,
  );
  return lines.join('\n');
}

function nextPollHint(config: AppConfig): string {
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  return `The daemon takes them at its next poll (POLL_CRON "${config.worker.pollCron}"), or now:\n  curl -X POST -H "X-API-Key: <API_KEY>" http://${host}:${config.server.port}/api/poll`;
}

/** The parsed arguments, or a message saying what is wrong with them. */
export function parseRequeueArgs(argv: string[]): RequeueArgs | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        status: { type: 'string' },
        source: { type: 'string' },
        priority: { type: 'string', default: '10' },
        batch: { type: 'string', default: '500' },
        'dry-run': { type: 'boolean', default: false },
        'missing-ladder': { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    return (err as Error).message;
  }
  const missingLadder = values['missing-ladder'];
  // A storage loss takes the completed records' ladders: the recovery's natural scope.
  const scope = REQUEUE_SCOPES.find((s) => s === (values.status ?? (missingLadder ? 'completed' : undefined)));
  if (scope === undefined) return `--status must be one of ${REQUEUE_SCOPES.join(', ')}`;
  const priority = Number(values.priority);
  if (!Number.isInteger(priority) || priority < 1 || priority > 10) return '--priority must be an integer from 1 to 10';
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) return '--batch must be an integer from 1 to 100000';
  return { scope, source: values.source, priority, batchSize, dryRun: values['dry-run'], missingLadder };
}
