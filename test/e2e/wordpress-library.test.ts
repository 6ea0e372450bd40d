/**
 * A site as it is before and after the plugin: videos uploaded before activation (queued by the
 * bulk action and processed), an upgrade from 1.x's `vc_` prefix, a video deleted mid-encode, plain
 * permalinks, and uninstalling. Real WordPress, real daemon (root only).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { waitFor } from '../helpers/appwrite-fixtures.js';
import { ledgerCounts } from '../helpers/chaos.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { adminSession, hiddenField } from '../helpers/wordpress-admin.js';
import { startWordpressSite, uploadMedia, type WordpressSite } from '../helpers/wordpress-site.js';

const PLUGIN = 'video-compressor/video-compressor.php';
const BEFORE_ACTIVATION = 20;

describe('WordPress plugin on an existing site', () => {
  let site: WordpressSite;
  let clip: Buffer;
  const daemons: TestDaemon[] = [];
  const meta = async (id: number): Promise<Record<string, any>> =>
    (await site.rest('admin', 'GET', `wp/v2/media/${id}?context=edit`)).body.meta;
  const daemon = async (env: Record<string, string> = {}): Promise<TestDaemon> => {
    const vc = await startTestDaemon({
      SOURCES: 'wordpress',
      WP_URL: site.url,
      WP_USER: site.users.admin.user,
      WP_APP_PASSWORD: site.users.admin.password,
      CONCURRENCY: '2',
      PREVIEWS: 'off',
      HLS_SEGMENT_SECONDS: '1',
      ...env,
    });
    daemons.push(vc);
    return vc;
  };

  before(async () => {
    site = await startWordpressSite();
    clip = await readFile(await makeClip({ width: 320, height: 180, seconds: 1 }));
  });
  afterEach(async () => {
    for (const vc of daemons.splice(0)) await vc.close();
  });
  after(async () => {
    await site?.close();
  });

  it(`queues ${BEFORE_ACTIVATION} videos uploaded before activation with the bulk action, and the daemon processes them`, async () => {
    await site.php(`deactivate_plugins( '${PLUGIN}' );`);
    const ids: number[] = [];
    for (let i = 0; i < BEFORE_ACTIVATION; i += 1) ids.push((await uploadMedia(site, 'editor', clip, `before-${i}.mp4`, 'video/mp4')).id);
    const activated = await site.php(`$r = activate_plugin( '${PLUGIN}' ); echo is_wp_error( $r ) ? $r->get_error_message() : 'ok';`);
    assert.equal(activated.trim(), 'ok');
    assert.ok(!(await meta(ids[0]!)).vcmp_status, 'no status: the daemon cannot see them');

    const admin = await adminSession(site, 'admin');
    const list = await admin.screen('upload.php?mode=list');
    assert.match(list, new RegExp(`${BEFORE_ACTIVATION} videos were uploaded before Video Compressor was active`));
    assert.match(list, /<option value="vcmp_queue">Transcode to HLS<\/option>/);
    const sent = await admin.submit('upload.php', {
      action: 'vcmp_queue',
      'media[]': ids.map(String),
      _wpnonce: hiddenField(list, '_wpnonce', 'id="posts-filter"'),
      mode: 'list',
    });
    assert.equal(sent.status, 302, sent.body.replace(/<style[\s\S]*<\/style>/, '').slice(0, 1500));
    assert.match(sent.location ?? '', new RegExp(`vcmp_queued=${BEFORE_ACTIVATION}`));

    const vc = await daemon();
    vc.daemon.poller.pollNow();
    await waitFor(
      'every older video to be completed',
      async () => (await Promise.all(ids.map(meta))).every((m) => m.vcmp_status === 'completed' || m.vcmp_status === 'failed'),
      { timeoutMs: 240_000, everyMs: 1000, onTick: () => vc.daemon.poller.pollNow() },
    );
    const statuses = (await Promise.all(ids.map(meta))).map((m) => m.vcmp_status);
    assert.deepEqual([...new Set(statuses)], ['completed']);
  });

  it('cancels a video deleted mid-encode: nothing published, the job ends cancelled', async () => {
    const long = await readFile(await makeClip({ width: 640, height: 360, seconds: 20 }));
    const id = (await uploadMedia(site, 'editor', long, 'deleted-midway.mp4', 'video/mp4')).id;
    const vc = await daemon({ HEARTBEAT_SECONDS: '1', X264_PRESET: 'veryslow' });
    vc.daemon.poller.pollNow();
    await waitFor('the encode to start', async () => (await meta(id)).vcmp_step === 'transcoding', { timeoutMs: 60_000, everyMs: 100 });
    const deleted = await site.rest('admin', 'DELETE', `wp/v2/media/${id}?force=true`);
    assert.equal(deleted.status, 200);
    const key = `wordpress-${id}`;
    const ended = await waitFor(
      'the attempt to end',
      () => {
        const attempts = ledgerCounts(path.join(vc.storageDir, 'state.db')).get(key) ?? {};
        return Object.keys(attempts).some((status) => status !== 'processing') ? attempts : null;
      },
      { timeoutMs: 60_000, everyMs: 200 },
    );
    assert.deepEqual(ended, { cancelled: 1 });
    assert.equal(existsSync(path.join(vc.storageDir, 'hls', `wordpress-${id}`)), false, 'nothing published');
  });

  it('works with plain permalinks: the daemon finds the REST API from the site’s Link header', async () => {
    // As Settings → Permalinks does: the structure and the rewrite rules together.
    await site.php("global $wp_rewrite; $wp_rewrite->set_permalink_structure( '' ); flush_rewrite_rules();");
    try {
      // Without rewrite rules /wp-json/ is no route: here WordPress shows the front page (Apache without .htaccess: a 404).
      const pretty = await fetch(`${site.url}/wp-json/`);
      assert.doesNotMatch(pretty.headers.get('content-type') ?? '', /json/, '/wp-json/ is not the API any more');
      const home = await fetch(`${site.url}/`);
      assert.match(home.headers.get('link') ?? '', /\?rest_route=\/>; rel="https:\/\/api\.w\.org\/"/);
      const id = (await uploadMedia(site, 'editor', clip, 'plain.mp4', 'video/mp4')).id;
      const vc = await daemon();
      vc.daemon.poller.pollNow();
      await waitFor('the video to be completed', async () => ['completed', 'failed'].includes((await meta(id)).vcmp_status), {
        timeoutMs: 60_000,
        everyMs: 500,
      });
      assert.equal((await meta(id)).vcmp_status, 'completed');
    } finally {
      await site.php("global $wp_rewrite; $wp_rewrite->set_permalink_structure( '/%postname%/' ); flush_rewrite_rules();");
    }
  });

  it('migrates 1.x’s vc_ meta and options on upgrade, leaving other plugins’ vc_ meta alone', async () => {
    const out = await site.php(`
      $video = wp_insert_attachment( array( 'post_mime_type' => 'video/mp4', 'post_title' => 'old', 'post_status' => 'inherit' ) );
      foreach ( array( 'vcmp_status', 'vcmp_priority', 'vcmp_source_url', 'vcmp_retry_count', 'vcmp_title' ) as $k ) { delete_post_meta( $video, $k ); }
      update_post_meta( $video, 'vc_status', 'completed' );
      update_post_meta( $video, 'vc_hls_url', 'https://cdn.example.com/old/master.m3u8' );
      $page = wp_insert_post( array( 'post_type' => 'page', 'post_title' => 'builder', 'post_status' => 'publish' ) );
      update_post_meta( $page, 'vc_status', 'wpbakery-owned' );
      update_option( 'vc_webhook_url', 'https://old.example.com/api/webhooks/wordpress' );
      update_option( 'vcmp_db_version', 1 );
      vcmp_maybe_upgrade();
      echo wp_json_encode( array(
        'video' => array( get_post_meta( $video, 'vcmp_status', true ), get_post_meta( $video, 'vcmp_hls_url', true ), get_post_meta( $video, 'vc_status', true ) ),
        'page'  => get_post_meta( $page, 'vc_status', true ),
        'url'   => get_option( 'vcmp_webhook_url' ),
        'old'   => get_option( 'vc_webhook_url', 'gone' ),
      ) );`);
    assert.deepEqual(JSON.parse(out.trim()), {
      video: ['completed', 'https://cdn.example.com/old/master.m3u8', ''],
      page: 'wpbakery-owned',
      url: 'https://old.example.com/api/webhooks/wordpress',
      old: 'gone',
    });
  });

  it('leaves no option, meta or capability behind on uninstall', async () => {
    const left = await site.php(`
      update_option( 'vcmp_webhook_secret', 'to-be-removed-0123456789', false );
      define( 'WP_UNINSTALL_PLUGIN', '${PLUGIN}' );
      include WP_PLUGIN_DIR . '/video-compressor/uninstall.php';
      global $wpdb;
      echo wp_json_encode( array(
        'options' => (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE 'vcmp\\\\_%'" ),
        'meta'    => (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->postmeta} WHERE meta_key LIKE 'vcmp\\\\_%'" ),
        'cap'     => get_role( 'administrator' )->has_cap( 'manage_video_compressor' ),
      ) );`);
    assert.deepEqual(JSON.parse(left.trim()), { options: 0, meta: 0, cap: false });
  });
});
