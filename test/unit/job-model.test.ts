import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobPageView } from '../../src/http/admin/job-model.js';
import { openDatabase } from '../../src/store/database.js';
import { JobRepository } from '../../src/store/job-repository.js';
import { Ledger } from '../../src/store/ledger.js';
import { toSourceJob } from '../../src/sources/local-source.js';

/** A stored job, its attempts as the ledger returns them (newest first), and its page. */
function page(attempts: Array<{ status: 'completed' | 'retrying'; conversions?: string[]; logTail?: string[] }>) {
  const db = openDatabase(':memory:');
  const now = () => new Date('2026-03-01T10:00:00Z');
  const job = new JobRepository({ db, now }).create({ sourceUrl: 'https://example.test/a.mp4', priority: 5, title: null });
  const ledger = new Ledger({ db, now });
  for (const a of attempts) {
    const id = ledger.start({ key: `local-${job.id}`, source: 'local', recordId: job.id, title: null, workerId: 'w1' });
    ledger.finish(id, a);
  }
  return jobPageView(toSourceJob(job), ledger.recent({ key: `local-${job.id}`, limit: 10 }), null, { serveHls: true });
}

describe('job page model', () => {
  it('shows what the attempt that made the ladder did to the source', () => {
    const view = page([{ status: 'retrying' }, { status: 'completed', conversions: ['deinterlaced', 'tonemapped'] }]);
    assert.deepEqual(
      view.facts.find(([label]) => label === 'Conversions'),
      ['Conversions', 'deinterlaced, tonemapped'],
    );
    assert.deepEqual(
      page([{ status: 'completed', conversions: [] }]).facts.find(([label]) => label === 'Conversions'),
      ['Conversions', 'none (plain source)'],
    );
  });

  it('says whether an empty log means "not run yet" or "a clean encode"', () => {
    assert.equal(page([]).logNote, 'No log recorded yet.');
    assert.equal(page([{ status: 'completed', conversions: [] }]).logNote, 'FFmpeg printed no warnings or errors.');
    assert.deepEqual(page([{ status: 'retrying', logTail: ['x264 [error]: boom'] }]).logTail, ['x264 [error]: boom']);
  });
});
