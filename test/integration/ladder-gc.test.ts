import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { silentLogger } from '../../src/logging/logger.js';
import { LadderGc, type GcSource } from '../../src/pipeline/ladder-gc.js';
import type { SourceKind } from '../../src/domain/record.js';
import { LocalSource } from '../../src/sources/local-source.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { JobRepository } from '../../src/store/job-repository.js';
import { OrphanRepository } from '../../src/store/orphan-repository.js';
import { promised } from '../../src/store/store.js';
import { MemorySource, type MemoryRecord } from '../fakes/memory-source.js';
import { publishResultFor } from '../helpers/publish-result.js';

const DAY = 24 * 3600_000;
const BASE = 'https://cdn.test';

let dir: string;
let hlsDir: string;
let tempDir: string;
let db: Database;
let orphans: OrphanRepository;
let clock: number;
const now = (): Date => new Date(clock);

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vc-gc-'));
  hlsDir = path.join(dir, 'hls');
  tempDir = path.join(dir, 'temp');
  await mkdir(hlsDir);
  await mkdir(tempDir);
  db = openDatabase(path.join(dir, 'state.db'));
  orphans = new OrphanRepository(db);
  clock = Date.parse('2026-04-01T03:30:00.000Z');
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

/** A published ladder on disk: a master playlist and one rung with a segment; returns its bytes. */
async function ladder(key: string, segmentBytes = 1000): Promise<number> {
  await mkdir(path.join(hlsDir, key, 'low'), { recursive: true });
  await writeFile(path.join(hlsDir, key, 'master.m3u8'), '#EXTM3U\n');
  await writeFile(path.join(hlsDir, key, 'low', 'segment-000.ts'), Buffer.alloc(segmentBytes, 1));
  return 8 + segmentBytes;
}

function urlOf(key: string, base = BASE): string {
  return `${base}/storage/hls/${key}/master.m3u8`;
}

/** A memory "CMS" standing for the source `kind`: gc needs nothing of a source but its kind and listRefs. */
function as(kind: SourceKind, cms: MemorySource): GcSource {
  return { kind, listRefs: () => cms.listRefs() };
}

/** A record deleted in the CMS by an editor. */
function deleteRecord(cms: MemorySource, id: string): void {
  (cms.records as Map<string, MemoryRecord>).delete(id);
}

function completed(cms: MemorySource, id: string, hlsUrl: string | null): void {
  cms.add(id, { status: 'completed', hlsUrl });
}

function gc(sources: GcSource[], options: { graceDays?: number; isBusy?: (key: string) => boolean } = {}): LadderGc {
  return new LadderGc({
    hlsDir,
    sources,
    orphans: promised(orphans),
    graceDays: options.graceDays ?? 7,
    isBusy: options.isBusy ?? (() => false),
    log: silentLogger(),
    now,
  });
}

const ladders = async (): Promise<string[]> => (await readdir(hlsDir)).sort();
const marks = (): Record<string, string> => Object.fromEntries(orphans.all());
const keptReason = (report: { kept: readonly { key: string; reason: string }[] }, key: string): string | undefined =>
  report.kept.find((k) => k.key === key)?.reason;

describe('gc: orphan ladders', () => {
  it('removes the ladder of a deleted record only once the grace period is over', async () => {
    const cms = new MemorySource({ now });
    completed(cms, 'a', urlOf('appwrite-a'));
    completed(cms, 'b', urlOf('appwrite-b'));
    const bytes = await ladder('appwrite-a', 5000);
    await ladder('appwrite-b');
    const collector = gc([as('appwrite', cms)], { graceDays: 7 });

    const healthy = await collector.run();
    assert.deepEqual({ ...healthy, kept: healthy.kept.length }, { scanned: 2, orphans: 0, removed: [], kept: 0, skippedSources: [] });

    deleteRecord(cms, 'a');
    const marked = await collector.run();
    assert.equal(marked.orphans, 1);
    assert.deepEqual(marked.removed, []);
    assert.match(
      keptReason(marked, 'appwrite-a') ?? '',
      /orphan \(record deleted\) since 2026-04-01T03:30:00.000Z, removed from 2026-04-08T03:30/,
    );
    assert.deepEqual(marks(), { 'appwrite-a': '2026-04-01T03:30:00.000Z' });

    clock += 7 * DAY - 60_000;
    assert.deepEqual((await collector.run()).removed, [], 'a minute before the end of the grace period');
    assert.deepEqual(await ladders(), ['appwrite-a', 'appwrite-b']);
    assert.deepEqual(marks(), { 'appwrite-a': '2026-04-01T03:30:00.000Z' }, 'the first sighting is kept');

    clock += 60_000;
    const removed = await collector.run();
    assert.deepEqual(removed.removed, [{ key: 'appwrite-a', bytes }]);
    assert.deepEqual(await ladders(), ['appwrite-b']);
    assert.deepEqual(
      (await readdir(hlsDir)).filter((n) => n.startsWith('.')),
      [],
      'taken down through a hidden rename, then deleted',
    );
    assert.deepEqual(marks(), {});
  });

  it('keeps a source’s ladders and marks while it cannot be listed, and still collects the other sources', async () => {
    const appwrite = new MemorySource({ now });
    const wordpress = new MemorySource({ now });
    completed(appwrite, 'kept', urlOf('appwrite-kept'));
    for (const key of ['appwrite-gone', 'appwrite-kept', 'wordpress-9']) await ladder(key);
    const collector = gc([as('appwrite', appwrite), as('wordpress', wordpress)], { graceDays: 7 });
    await collector.run();
    assert.deepEqual(marks(), { 'appwrite-gone': '2026-04-01T03:30:00.000Z', 'wordpress-9': '2026-04-01T03:30:00.000Z' });

    appwrite.failRefs = new Error('connect ECONNREFUSED');
    deleteRecord(appwrite, 'kept');
    clock += 8 * DAY;
    const outage = await collector.run();
    assert.equal(outage.skippedSources.length, 1);
    assert.equal(outage.skippedSources[0]?.source, 'appwrite');
    assert.match(outage.skippedSources[0]?.error ?? '', /ECONNREFUSED/);
    assert.deepEqual(
      outage.removed.map((r) => r.key),
      ['wordpress-9'],
      'the reachable source is collected',
    );
    assert.deepEqual(await ladders(), ['appwrite-gone', 'appwrite-kept']);
    assert.deepEqual(marks(), { 'appwrite-gone': '2026-04-01T03:30:00.000Z' }, 'neither cleared nor added');

    // The CMS is back, with the record restored from a backup: its ladder stops being an orphan.
    appwrite.failRefs = null;
    completed(appwrite, 'gone', urlOf('appwrite-gone'));
    const back = await collector.run();
    assert.deepEqual(back.removed, []);
    assert.deepEqual(marks(), { 'appwrite-kept': new Date(clock).toISOString() }, 'first seen now, not during the outage');
  });

  it('never touches a pending, processing or busy ladder, and drops its old mark', async () => {
    const cms = new MemorySource({ now });
    cms.add('p', { status: 'pending', hlsUrl: null });
    cms.add('q', { status: 'processing', hlsUrl: null, claimedBy: 'other-host:1' });
    completed(cms, 'r', null);
    for (const key of ['appwrite-p', 'appwrite-q', 'appwrite-r', 'appwrite-s']) await ladder(key);
    orphans.mark('appwrite-p', new Date(clock - 30 * DAY));
    const busy = new Set(['appwrite-r', 'appwrite-s']);

    const report = await gc([as('appwrite', cms)], { graceDays: 0, isBusy: (key) => busy.has(key) }).run();
    assert.equal(report.orphans, 0);
    assert.deepEqual(report.removed, []);
    assert.deepEqual(await ladders(), ['appwrite-p', 'appwrite-q', 'appwrite-r', 'appwrite-s']);
    assert.equal(keptReason(report, 'appwrite-p'), 'record is pending');
    assert.equal(keptReason(report, 'appwrite-q'), 'record is processing');
    assert.equal(keptReason(report, 'appwrite-r'), 'being processed by this daemon');
    assert.equal(keptReason(report, 'appwrite-s'), 'being processed by this daemon', 'even with its record gone');
    assert.deepEqual(marks(), {});
  });

  it('never removes a local ladder whose record is missing, but does one its record no longer points at', async () => {
    const repo = new JobRepository({ db, now });
    const local = new LocalSource({ jobs: promised(repo), workerId: 'w:1', leaseSeconds: 300 });
    const finish = (): string => {
      const job = repo.create({ sourceUrl: 'https://videos.test/a.mp4', priority: 5, title: null });
      repo.claim(job.id, 'w:1', job, 300);
      repo.complete(job.id, 'w:1', publishResultFor(`local-${job.id}`, { base: BASE }));
      return `local-${job.id}`;
    };
    const [trimmed, current, cleared] = [finish(), finish(), finish()];
    for (const key of [trimmed, current, cleared, 'local-jlostwithstatedb']) await ladder(key);
    clock += 100 * DAY;
    repo.update(current.slice('local-'.length), { priority: 4 });
    // Written again (its outputs cleared): not trimmed, but pointing nowhere.
    repo.clearOutputs(cleared.slice('local-'.length));
    assert.equal(repo.trimEnded(new Date(clock - 90 * DAY)), 1, 'JOB_RETENTION_DAYS trims the untouched job');

    const collector = gc([local], { graceDays: 0 });
    const report = await collector.run();
    clock += 30 * DAY;
    const later = await collector.run();
    assert.deepEqual(
      report.removed.map((r) => r.key),
      [cleared],
    );
    assert.deepEqual(later.removed, []);
    assert.deepEqual(await ladders(), [current, 'local-jlostwithstatedb', trimmed].sort());
    assert.match(keptReason(later, trimmed) ?? '', /local record missing/);
    assert.match(keptReason(later, 'local-jlostwithstatedb') ?? '', /local record missing/);
    assert.deepEqual(marks(), {});
  });

  it('removes a finished record’s ladder that its hls_url no longer points at, and leaves what is not a ladder alone', async () => {
    const cms = new MemorySource({ now });
    completed(cms, 'x', urlOf('appwrite-x2'));
    completed(cms, 'y', urlOf('appwrite-y', 'https://cdn.test/video'));
    cms.add('z', { status: 'failed', hlsUrl: urlOf('appwrite-z') });
    cms.add('c', { status: 'cancelled', hlsUrl: null });
    const xBytes = await ladder('appwrite-x', 300);
    const cBytes = await ladder('appwrite-c', 700);
    for (const key of ['appwrite-y', 'appwrite-z', 'not-a-key', 'wordpress-5', '.appwrite-y.incoming']) await ladder(key);
    await writeFile(path.join(hlsDir, 'index.html'), 'x');

    const report = await gc([as('appwrite', cms)], { graceDays: 0 }).run();
    assert.deepEqual(report.removed, [
      { key: 'appwrite-c', bytes: cBytes },
      { key: 'appwrite-x', bytes: xBytes },
    ]);
    assert.equal(report.scanned, 6, 'dot-directories (publishes in flight) and files are not ladders');
    assert.equal(report.orphans, 2);
    assert.deepEqual(report.kept, [
      { key: 'not-a-key', reason: 'not a key of a configured source' },
      { key: 'wordpress-5', reason: 'not a key of a configured source' },
    ]);
    assert.deepEqual(await ladders(), ['.appwrite-y.incoming', 'appwrite-y', 'appwrite-z', 'index.html', 'not-a-key', 'wordpress-5']);
  });

  it('a dry run reports what would go and changes nothing', async () => {
    const cms = new MemorySource({ now });
    completed(cms, 'ok', urlOf('appwrite-ok'));
    const dueBytes = await ladder('appwrite-due', 1234);
    for (const key of ['appwrite-new', 'appwrite-ok']) await ladder(key);
    orphans.mark('appwrite-due', new Date(clock - 8 * DAY));
    orphans.mark('appwrite-ok', new Date(clock - 8 * DAY));
    const before = marks();

    const report = await gc([as('appwrite', cms)], { graceDays: 7 }).run({ dryRun: true });
    assert.deepEqual(report.removed, [{ key: 'appwrite-due', bytes: dueBytes }]);
    assert.match(keptReason(report, 'appwrite-new') ?? '', /^orphan \(record deleted\) since 2026-04-01T03:30:00.000Z/);
    assert.equal(report.orphans, 2);
    assert.deepEqual(await ladders(), ['appwrite-due', 'appwrite-new', 'appwrite-ok']);
    assert.deepEqual(await readdir(tempDir), []);
    assert.deepEqual(marks(), before, 'no mark added nor cleared');
    assert.ok(existsSync(path.join(hlsDir, 'appwrite-due', 'low', 'segment-000.ts')));
  });
});
