import type { RequeueOptions, RequeueResult } from '../domain/requeue.js';
import type { RecordRef } from '../domain/source-job.js';

/**
 * `requeue` for a CMS without batch updates: the records matching the scope (and `ids`), written
 * one by one through `write`, `batchSize` at a time between progress reports. `write` returns false
 * when the record changed under it (claimed, edited) and was left alone. Records in `processing`
 * are counted and never written.
 */
export async function requeueByRefs(
  refs: readonly RecordRef[],
  options: RequeueOptions,
  write: (ref: RecordRef) => Promise<boolean>,
): Promise<RequeueResult> {
  const wanted = (ref: RecordRef): boolean => options.ids === undefined || options.ids.has(ref.id);
  const inScope = (status: string): boolean =>
    (status === 'failed' && options.scope !== 'completed') || (status === 'completed' && options.scope !== 'failed');
  const matches = refs.filter((ref) => wanted(ref) && inScope(ref.status));
  const matched = {
    failed: matches.filter((ref) => ref.status === 'failed').length,
    completed: matches.filter((ref) => ref.status === 'completed').length,
  };
  const processing = refs.filter((ref) => wanted(ref) && ref.status === 'processing').length;
  if (options.dryRun || matches.length === 0) return { matched, processing, requeued: 0, batches: 0 };
  let requeued = 0;
  let batches = 0;
  for (let start = 0; start < matches.length; start += options.batchSize) {
    for (const ref of matches.slice(start, start + options.batchSize)) if (await write(ref)) requeued += 1;
    batches += 1;
    options.onBatch?.(requeued);
  }
  return { matched, processing, requeued, batches };
}
