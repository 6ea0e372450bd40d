/**
 * Who may do what on a real site (root only, scripts/wordpress-test-site.sh), and the claim as a
 * real database runs it: the capability, an Author's rights on their own videos, server-side
 * bounds, 404 before 403, the retry schedule, a claim that dies halfway, and the hooks a status
 * change fires. The routes' behaviour itself is the contract's (wordpress-contract.test.ts).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { makeClip } from '../helpers/media-fixtures.js';
import { installMuPlugin, startWordpressSite, uploadMedia, type WordpressSite } from '../helpers/wordpress-site.js';

const NS = 'video-compressor/v1';
const MISSING_ID = 999999;

describe('WordPress plugin: permissions and the claim', () => {
  let site: WordpressSite;
  let clip: Buffer;
  const meta = async (id: number): Promise<Record<string, any>> =>
    (await site.rest('admin', 'GET', `wp/v2/media/${id}?context=edit`)).body.meta;
  const setMeta = async (id: number, values: Record<string, unknown>): Promise<void> => {
    const res = await site.rest('admin', 'POST', `wp/v2/media/${id}`, { meta: values });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const upload = async (role: 'author' | 'editor', name: string): Promise<number> =>
    (await uploadMedia(site, role, clip, name, 'video/mp4')).id;

  before(async () => {
    site = await startWordpressSite();
    clip = await readFile(await makeClip({ width: 320, height: 180, seconds: 1 }));
  });
  after(async () => {
    await site?.close();
  });

  it("lets an Author read their video's status but write none of its fields, nor claim it; nor may an Editor", async () => {
    const own = await upload('author', 'author-own.mp4');
    const seen = await site.rest('author', 'GET', `wp/v2/media/${own}?context=edit`);
    assert.equal(seen.body.meta.vcmp_status, 'pending', 'the Author sees the status of their own video');
    for (const values of [
      { vcmp_status: 'completed', vcmp_hls_url: 'https://attacker.example/x.m3u8' },
      { vcmp_priority: 1 },
      { vcmp_retry_count: 0 },
    ]) {
      const res = await site.rest('author', 'POST', `wp/v2/media/${own}`, { meta: values });
      assert.equal(res.status, 403, `${JSON.stringify(values)}: ${JSON.stringify(res.body)}`);
    }
    for (const role of ['author', 'editor'] as const) {
      const claim = await site.rest(role, 'POST', `${NS}/claim/${own}`, { worker: `${role}:1` });
      assert.deepEqual([role, claim.status], [role, 403]);
    }
    assert.deepEqual([(await meta(own)).vcmp_status, (await meta(own)).vcmp_hls_url], ['pending', '']);
    const subscriber = await site.rest('subscriber', 'GET', `wp/v2/media/${own}`);
    assert.equal(Object.keys(subscriber.body.meta ?? {}).filter((k) => k.startsWith('vcmp_')).length, 0, 'no pipeline state for readers');
  });

  it('bounds priority and lease on the server, whoever asks', async () => {
    const id = await upload('editor', 'bounds.mp4');
    for (const priority of [0, -5, 11]) {
      const res = await site.rest('admin', 'POST', `wp/v2/media/${id}`, { meta: { vcmp_priority: priority } });
      assert.deepEqual([priority, res.status], [priority, 400]);
    }
    for (const lease of [10, 100_000]) {
      const res = await site.rest('admin', 'POST', `${NS}/claim/${id}`, { worker: 'w:1', lease });
      assert.deepEqual([lease, res.status, res.body.code], [lease, 400, 'rest_invalid_param']);
    }
    assert.equal((await meta(id)).vcmp_status, 'pending');
  });

  it('lets an Author re-queue their own failed video at the normal priority, not cancel it, nor touch another', async () => {
    const own = await upload('author', 'author-failed.mp4');
    const other = await upload('editor', 'editor-failed.mp4');
    for (const id of [own, other]) await setMeta(id, { vcmp_status: 'failed', vcmp_error: 'boom', vcmp_retry_count: 3 });
    const cancel = await site.rest('author', 'POST', `${NS}/jobs/${own}/cancel`);
    assert.equal(cancel.status, 403);
    const foreign = await site.rest('author', 'POST', `${NS}/jobs/${other}/retry`);
    assert.equal(foreign.status, 403);
    const retried = await site.rest('author', 'POST', `${NS}/jobs/${own}/retry`);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    const after = await meta(own);
    assert.deepEqual([after.vcmp_status, after.vcmp_priority, after.vcmp_retry_count], ['pending', 5, 0]);
    assert.equal((await meta(other)).vcmp_status, 'failed');
    const refs = await site.rest('author', 'GET', `${NS}/refs`);
    assert.equal(refs.status, 403, 'the clean-up listing is the daemon’s');
  });

  it('answers 404 for a missing video before any 403, and 401 to a guest', async () => {
    for (const who of ['admin', 'author'] as const) {
      for (const route of [`jobs/${MISSING_ID}/retry`, `jobs/${MISSING_ID}/cancel`, `claim/${MISSING_ID}`]) {
        const res = await site.rest(who, 'POST', `${NS}/${route}`, { worker: 'w:1' });
        assert.deepEqual([who, route, res.status, res.body.code], [who, route, 404, 'vcmp_not_found']);
      }
    }
    const guest = await fetch(`${site.url}/?rest_route=/${NS}/claim/${MISSING_ID}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ worker: 'w:1' }),
    });
    assert.equal(guest.status, 401);
  });

  it('claims a pending video only once it is due (vcmp_next_attempt_at)', async () => {
    const id = await upload('editor', 'scheduled.mp4');
    await setMeta(id, { vcmp_next_attempt_at: new Date(Date.now() + 3_600_000).toISOString() });
    const early = await site.rest('admin', 'POST', `${NS}/claim/${id}`, { worker: 'w:1' });
    assert.deepEqual([early.status, early.body.code, early.body.data.vcmp_status], [409, 'vcmp_claim_conflict', 'pending']);
    await setMeta(id, { vcmp_next_attempt_at: new Date(Date.now() - 1000).toISOString() });
    const due = await site.rest('admin', 'POST', `${NS}/claim/${id}`, { worker: 'w:1' });
    assert.equal(due.status, 200, JSON.stringify(due.body));
  });

  it('leaves no trace of a claim whose request dies between its statements, and then claims normally', async () => {
    const id = await upload('editor', 'killed-claim.mp4');
    const remove = await installMuPlugin(
      'kill-claim',
      `add_action( 'vcmp_claim_status_taken', function ( $id ) { if ( (int) $id === ${id} ) { exit; } } );`,
    );
    try {
      await site.rest('admin', 'POST', `${NS}/claim/${id}`, { worker: 'dies:1' });
    } finally {
      await remove();
    }
    const left = await meta(id);
    assert.deepEqual([left.vcmp_status, left.vcmp_claimed_by, left.vcmp_heartbeat_at], ['pending', '', ''], 'rolled back whole');
    const claim = await site.rest('admin', 'POST', `${NS}/claim/${id}`, { worker: 'lives:1' });
    assert.equal(claim.status, 200, JSON.stringify(claim.body));
    const taken = await meta(id);
    assert.deepEqual([taken.vcmp_status, taken.vcmp_claimed_by, taken.vcmp_heartbeat_at === ''], ['processing', 'lives:1', false]);
  });

  it('fires the meta hooks and vcmp_claimed for a claim, as update_post_meta would', async () => {
    const id = await upload('editor', 'hooks.mp4');
    const remove = await installMuPlugin(
      'record-hooks',
      [
        "function vcmp_test_record( $line ) { $seen = get_option( 'vcmp_test_hooks', array() ); $seen[] = $line; update_option( 'vcmp_test_hooks', $seen, false ); }",
        "add_action( 'updated_post_meta', function ( $meta_id, $post_id, $key, $value ) { if ( 'vcmp_status' === $key ) { vcmp_test_record( \"updated_post_meta $post_id $value\" ); } }, 10, 4 );",
        'add_action( \'vcmp_claimed\', function ( $post_id, $worker ) { vcmp_test_record( "vcmp_claimed $post_id $worker" ); }, 10, 2 );',
      ].join('\n'),
    );
    try {
      const claim = await site.rest('admin', 'POST', `${NS}/claim/${id}`, { worker: 'hooks:1' });
      assert.equal(claim.status, 200);
      const seen = JSON.parse(await site.php("echo wp_json_encode( get_option( 'vcmp_test_hooks', array() ) );"));
      assert.deepEqual(seen, [`updated_post_meta ${id} processing`, `vcmp_claimed ${id} hooks:1`]);
    } finally {
      await remove();
    }
  });

  it('lists a video marked pending by another tool, without a priority, at the default priority', async () => {
    const first = await upload('editor', 'ordinary.mp4');
    const bare = Number(
      await site.php(
        `remove_action( 'add_attachment', 'vcmp_on_upload' );
         $id = wp_insert_attachment( array( 'post_mime_type' => 'video/mp4', 'post_title' => 'bare', 'post_status' => 'inherit' ) );
         update_post_meta( $id, 'vcmp_status', 'pending' ); echo $id;`,
      ),
    );
    await setMeta(first, { vcmp_priority: 9 });
    const listed = await site.rest('admin', 'GET', 'wp/v2/media?vcmp_status=pending&per_page=100&_fields=id');
    const ids = (listed.body as Array<{ id: number }>).map((m) => m.id);
    assert.ok(ids.includes(bare), 'listed without vcmp_priority');
    assert.ok(ids.indexOf(bare) < ids.indexOf(first), 'before a priority-9 video: it counts as 5');
  });
});
