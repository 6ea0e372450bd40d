/**
 * The plugin's screens and settings as an administrator uses them (wp-login.php, the forms and
 * their nonces), against a real site: the webhook secret, one non-blocking ping per request, the
 * media list's column, filter and row actions, Site Health, and `wp vcmp`.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { adminSession, hiddenField, type AdminSession } from '../helpers/wordpress-admin.js';
import { installMuPlugin, startWordpressSite, type WordpressSite } from '../helpers/wordpress-site.js';

const SECRET = 'settings-secret-0123456789abcdef';

/** A daemon that takes every request and never answers: the pings are counted, never waited for. */
async function silentDaemon(): Promise<{ url: string; pings: IncomingMessage[]; close: () => Promise<void> }> {
  const pings: IncomingMessage[] = [];
  const server: Server = createServer((req) => void pings.push(req));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/webhooks/wordpress`,
    pings,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/**
 * Videos as an import (or uploads from before the plugin) leave them: without the plugin's upload
 * hook, so without a status, or with `status` (and no ping: the test counts pings).
 */
async function insertVideos(site: WordpressSite, count: number, status: string | null): Promise<number[]> {
  const meta = status === null ? '' : `update_post_meta( $id, 'vcmp_status', '${status}' );`;
  const out = await site.php(
    `remove_action( 'add_attachment', 'vcmp_on_upload' );
     $ids = array(); for ( $i = 0; $i < ${count}; $i++ ) {
       $id = wp_insert_attachment( array( 'post_mime_type' => 'video/mp4', 'post_title' => "old-$i", 'post_status' => 'inherit', 'guid' => "http://127.0.0.1/old-$i.mp4" ), false, 0, false, false );
       ${meta} $ids[] = $id; }
     echo wp_json_encode( $ids );`,
  );
  return JSON.parse(out.trim());
}

describe('WordPress plugin: screens and settings', () => {
  let site: WordpressSite;
  let admin: AdminSession;
  const option = async (name: string): Promise<string> => (await site.php(`echo (string) get_option( '${name}', '' );`)).trim();
  const saveSettings = async (fields: Record<string, string>): Promise<string> => {
    const screen = await admin.screen('upload.php?page=video-compressor');
    const nonce = hiddenField(screen, '_wpnonce', 'value="vcmp_save_settings"');
    const res = await admin.submit('admin-post.php', { action: 'vcmp_save_settings', _wpnonce: nonce, ...fields });
    assert.equal(res.status, 302, res.body.slice(0, 300));
    return /vcmp_saved=(\w+)/.exec(res.location ?? '')?.[1] ?? '';
  };

  before(async () => {
    site = await startWordpressSite();
    admin = await adminSession(site, 'admin');
  });
  after(async () => {
    await site?.close();
  });

  it('keeps the webhook secret out of REST, autoload and the page, and replaces it only when a new one is typed', async () => {
    assert.equal(
      await saveSettings({ vcmp_webhook_url: 'https://video.example.com/api/webhooks/wordpress', vcmp_webhook_secret: SECRET }),
      'ok',
    );
    assert.equal(await option('vcmp_webhook_secret'), SECRET);
    const autoload = await site.php(
      'global $wpdb; echo $wpdb->get_var( "SELECT autoload FROM {$wpdb->options} WHERE option_name = \'vcmp_webhook_secret\'" );',
    );
    assert.ok(['no', 'off'].includes(autoload.trim()), `autoload ${autoload}`);
    const settings = await site.rest('admin', 'GET', 'wp/v2/settings');
    assert.equal(JSON.stringify(settings.body).includes('vcmp_'), false, 'not in /wp/v2/settings');
    const page = await admin.screen('upload.php?page=video-compressor');
    assert.equal(page.includes(SECRET), false, 'never printed back');
    assert.match(page, /placeholder="set: type a new one to replace it"/);

    assert.equal(
      await saveSettings({ vcmp_webhook_url: 'https://video.example.com/api/webhooks/wordpress', vcmp_webhook_secret: '' }),
      'ok',
    );
    assert.equal(await option('vcmp_webhook_secret'), SECRET, 'an empty field keeps the secret');
    assert.equal(
      await saveSettings({ vcmp_webhook_url: 'https://video.example.com/api/webhooks/wordpress', vcmp_webhook_secret: 'short' }),
      'bad_secret',
    );
    assert.equal(await option('vcmp_webhook_secret'), SECRET, 'a refused secret keeps the old one');
    assert.equal(await saveSettings({ vcmp_webhook_url: 'javascript:alert(1)' }), 'bad_url');
    assert.equal(await option('vcmp_webhook_url'), 'https://video.example.com/api/webhooks/wordpress');
    const shown = await admin.screen('upload.php?page=video-compressor&vcmp_saved=bad_secret');
    assert.match(shown, /id="vcmp-notice"[^>]*><p>Settings saved, except the secret/);
  });

  it('takes the secret from wp-config.php (VCMP_WEBHOOK_SECRET) over the option, and signs with it', async () => {
    const remove = await installMuPlugin('constant', "define( 'VCMP_WEBHOOK_SECRET', 'from-wp-config-0123456789' );");
    try {
      assert.equal((await site.php('echo vcmp_webhook_secret();')).trim(), 'from-wp-config-0123456789');
      const page = await admin.screen('upload.php?page=video-compressor');
      assert.match(page, /Secret: set by VCMP_WEBHOOK_SECRET in wp-config\.php/);
      assert.equal(page.includes('name="vcmp_webhook_secret"'), false, 'no field to change it');
    } finally {
      await remove();
    }
  });

  it('re-queues 200 failed videos with the daemon unreachable in one request that sends one ping and waits for none', async () => {
    const daemon = await silentDaemon();
    try {
      assert.equal(await saveSettings({ vcmp_webhook_url: daemon.url, vcmp_webhook_secret: SECRET }), 'ok');
      const ids = await insertVideos(site, 200, 'failed');
      const screen = await admin.screen('upload.php?page=video-compressor');
      const res = await admin.submit('admin-post.php', {
        action: 'vcmp_requeue',
        _wpnonce: hiddenField(screen, '_wpnonce', 'value="vcmp_requeue"'),
        scope: 'failed',
      });
      // The answer came while the daemon still holds the ping unanswered: the request never waited on it.
      assert.match(res.location ?? '', /vcmp_requeued=200$/);
      const counts = JSON.parse(await site.php('echo wp_json_encode( vcmp_status_counts() );'));
      assert.equal(counts.pending, ids.length);
      assert.equal(daemon.pings.length, 1, 'one ping for the whole request');
      const ping = daemon.pings[0]!;
      assert.match(String(ping.headers['x-vc-signature']), /^sha256=[0-9a-f]{64}$/);
    } finally {
      await daemon.close();
      await saveSettings({ vcmp_webhook_url: '', vcmp_remove_secret: '1' });
    }
  });

  it('filters the media list by status, shows the HLS column, and offers Re-queue and Cancel as row actions', async () => {
    const [failed] = await insertVideos(site, 1, 'failed');
    const [pending] = await insertVideos(site, 1, 'pending');
    const list = await admin.screen('upload.php?mode=list&vcmp_status=failed');
    assert.ok(list.includes(`id="post-${failed}"`), 'the failed video is listed');
    assert.equal(list.includes(`id="post-${pending}"`), false, 'the pending one is filtered out');
    assert.match(list, /<select name="vcmp_status" id="vcmp-status-filter">/);
    const link = new RegExp(`href="([^"]*vcmp_do=retry[^"]*attachment=${failed}[^"]*)"`).exec(list)?.[1];
    assert.ok(link, 'a Re-queue row action');
    const done = await admin.follow(link);
    assert.match(done.location ?? '', /vcmp_done=retry/);
    assert.equal((await site.rest('admin', 'GET', `wp/v2/media/${failed}?context=edit`)).body.meta.vcmp_status, 'pending');
    const all = await admin.screen('upload.php?mode=list');
    assert.match(all, new RegExp(`vcmp_do=cancel[^"]*attachment=${pending}`), 'Cancel for a pending video');
    // The attachment details (grid view's panel and the edit screen) show the status with its actions.
    const details = await admin.screen(`post.php?post=${pending}&action=edit`);
    assert.match(details, /<span class="vcmp-status">pending<\/span>/);
    assert.match(details, new RegExp(`class="button button-small" href="[^"]*vcmp_do=cancel[^"]*attachment=${pending}`));
  });

  it('reports the daemon in Site Health: never polled, then polling', async () => {
    const result = async (): Promise<{ status: string; label: string }> =>
      JSON.parse(await site.php('echo wp_json_encode( vcmp_site_health_test() );'));
    await site.php("delete_option( 'vcmp_last_poll' );");
    assert.deepEqual(await result().then((r) => r.status), 'recommended');
    const poll = await site.rest('admin', 'GET', 'wp/v2/media?vcmp_status=pending&per_page=1');
    assert.equal(poll.status, 200);
    const now = await result();
    assert.deepEqual([now.status, now.label], ['good', 'The Video Compressor daemon is polling']);
  });

  it('wp vcmp queue --all queues the videos from before the plugin; --ids retries a failed one; status counts them', async () => {
    const old = await insertVideos(site, 3, null);
    const [failed] = await insertVideos(site, 1, 'failed');
    const queued = await site.php("vcmp_test_cli( 'queue', array(), array( 'all' => true ) );", { cli: true });
    assert.match(queued, /^Success: 3 queued, 0 retried, 0 skipped\.$/m);
    const retried = await site.php(`vcmp_test_cli( 'queue', array(), array( 'ids' => '${failed},${old[0]}' ) );`, { cli: true });
    assert.match(retried, /^Success: 0 queued, 1 retried, 1 skipped\.$/m);
    const status = await site.php("vcmp_test_cli( 'status', array(), array() );", { cli: true });
    assert.match(status, /^never\s+0$/m);
    const refused = await site.php("vcmp_test_cli( 'queue', array(), array() );", { cli: true }).catch((e: Error) => e.message);
    assert.match(refused, /Error: Give --all, or --ids/);
  });
});
