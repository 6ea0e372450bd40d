/**
 * The plugin's operator routes against a real site (root only, scripts/wordpress-test-site.sh): who
 * may retry, cancel and list the videos for clean-up. The behaviour of the routes themselves is the
 * operations contract's (wordpress-contract.test.ts).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { makeClip } from '../helpers/media-fixtures.js';
import { startWordpressSite, uploadMedia, type WordpressSite } from '../helpers/wordpress-site.js';

const NS = 'video-compressor/v1';
const MISSING_ID = 999999;

/** An Author (may upload and edit their own media, not others'), with an Application Password. */
async function createAuthor(site: WordpressSite): Promise<{ user: string; password: string }> {
  const user = 'vc-author';
  const created = await site.rest('admin', 'POST', 'wp/v2/users', {
    username: user,
    email: `${user}@example.com`,
    password: 'author-password-0123456789',
    roles: ['author'],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const app = await site.rest('admin', 'POST', `wp/v2/users/${created.body.id}/application-passwords`, { name: 'video-compressor' });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  return { user, password: app.body.password };
}

describe('WordPress plugin: operator routes', () => {
  let site: WordpressSite;
  let author: { user: string; password: string };
  let video: number;

  before(async () => {
    site = await startWordpressSite();
    author = await createAuthor(site);
    const clip = await readFile(await makeClip({ width: 320, height: 180, seconds: 1 }));
    video = (await uploadMedia(site, 'editor', clip, 'operations.mp4', 'video/mp4')).id;
  });
  after(async () => {
    await site?.close();
  });

  it("refuses an Author retry, cancel and the clean-up listing of an editor's video (403), and leaves it alone", async () => {
    for (const action of ['retry', 'cancel']) {
      const res = await site.rest(author, 'POST', `${NS}/jobs/${video}/${action}`);
      assert.deepEqual([action, res.status, res.body.code], [action, 403, 'rest_forbidden']);
    }
    const refs = await site.rest(author, 'GET', `${NS}/refs`);
    assert.deepEqual([refs.status, refs.body.code], [403, 'rest_forbidden']);
    const subscriber = await site.rest('subscriber', 'GET', `${NS}/refs`);
    assert.equal(subscriber.status, 403, 'a subscriber neither');
    const stored = await site.rest('admin', 'GET', `wp/v2/media/${video}?context=edit`);
    assert.equal(stored.body.meta.vc_status, 'pending', 'the refused cancel changed nothing');
  });

  it('lets an administrator cancel and list the same video', async () => {
    const refs = await site.rest('admin', 'GET', `${NS}/refs`);
    assert.equal(refs.status, 200);
    assert.deepEqual(refs.body, [{ id: video, status: 'pending', hls_url: null }]);
    assert.equal(refs.headers.get('x-wp-total'), '1');
    const cancelled = await site.rest('admin', 'POST', `${NS}/jobs/${video}/cancel`);
    assert.deepEqual([cancelled.status, cancelled.body.id, cancelled.body.meta.vc_status], [200, video, 'cancelled']);
    const again = await site.rest('admin', 'POST', `${NS}/jobs/${video}/cancel`);
    assert.deepEqual([again.status, again.body.code, again.body.data.vc_status], [409, 'vc_conflict', 'cancelled']);
  });

  it('answers 404 vc_not_found for a missing id, before the 403 of the edit right', async () => {
    for (const who of ['admin', author] as const) {
      for (const action of ['retry', 'cancel']) {
        const res = await site.rest(who, 'POST', `${NS}/jobs/${MISSING_ID}/${action}`);
        assert.deepEqual([action, res.status, res.body.code], [action, 404, 'vc_not_found']);
      }
    }
  });
});
