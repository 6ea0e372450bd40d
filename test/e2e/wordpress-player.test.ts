/**
 * The plugin's front-end player in a real browser: a video uploaded to a real WordPress (the site of
 * scripts/wordpress-test-site.sh), transcoded by the daemon into a ladder with its poster and
 * storyboard, then `[vcmp_video id=…]` opened in Debian's Chromium driven by playwright-core
 * (CHROMIUM_PATH overrides the binary). Every request the browser makes must stay on 127.0.0.1:
 * hls.js, Plyr, its icons and styles come from the plugin, the ladder from the daemon. Screenshots
 * land in test/e2e/artifacts/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { parseStoryboardVtt } from '../../src/media/previews/vtt.js';
import { waitFor } from '../helpers/appwrite-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { freePort, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { startWordpressSite, uploadMedia, type WordpressSite } from '../helpers/wordpress-site.js';
import { launchChromium } from '../helpers/chromium.js';

const ARTIFACTS = path.join(import.meta.dirname, 'artifacts');
const ASSETS = '/wp-content/plugins/video-compressor/assets/';

/** blob: (hls.js's MediaSource, its worker) and data: never leave the browser; http(s) must be 127.0.0.1. */
function staysLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'blob:' || protocol === 'data:' || ((protocol === 'http:' || protocol === 'https:') && hostname === '127.0.0.1');
}

/** A browser context that records every request and refuses (aborts) any that would leave 127.0.0.1. */
async function guardedContext(browser: Browser, options: { javaScriptEnabled?: boolean } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const requests: string[] = [];
  const offsite: string[] = [];
  context.on('request', (req) => requests.push(req.url()));
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (staysLocal(url)) return route.continue();
    offsite.push(url);
    return route.abort('blockedbyclient');
  });
  return { context, requests, offsite };
}

/** Console errors and uncaught exceptions of a page, for a final "none" assertion. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return problems;
}

describe('WordPress player (Plyr + hls.js) in headless Chromium', () => {
  let site: WordpressSite;
  let vc: TestDaemon;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let requests: string[];
  let offsite: string[];
  let problems: string[];
  let meta: any;
  let pageUrl = '';
  let original = '';
  let uploadId = 0;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    site = await startWordpressSite();
    const clip = await readFile(await makeClip({ width: 640, height: 360, seconds: 10 }));
    const port = await freePort();
    vc = await startTestDaemon({
      PORT: String(port),
      // The ladder's URLs on 127.0.0.1 too, so "nothing leaves 127.0.0.1" is checked literally.
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      SOURCES: 'wordpress',
      WP_URL: site.url,
      WP_USER: site.users.admin.user,
      WP_APP_PASSWORD: site.users.admin.password,
      // Five tiles over the ten seconds, so hovering the middle of the bar shows another tile than the first.
      STORYBOARD_INTERVAL: '2',
    });
    const upload = await uploadMedia(site, 'editor', clip, 'walk.mp4', 'video/mp4');
    original = upload.source_url;
    uploadId = upload.id;
    const done = await waitFor(
      'the video to be completed',
      async () => {
        const item = (await site.rest('admin', 'GET', `wp/v2/media/${upload.id}?context=edit`)).body;
        return ['completed', 'failed'].includes(item.meta.vcmp_status) ? item : null;
      },
      // No cron and no webhook here: the daemon polls WordPress on each check (a no-op while it works).
      { timeoutMs: 120_000, everyMs: 250, onTick: () => vc.daemon.poller.pollNow() },
    );
    meta = done.meta;
    assert.equal(meta.vcmp_status, 'completed', JSON.stringify(meta));
    const published = await site.rest('editor', 'POST', 'wp/v2/pages', {
      title: 'A walk',
      status: 'publish',
      content: `[vcmp_video id=${upload.id}]`,
    });
    assert.equal(published.status, 201, JSON.stringify(published.body));
    pageUrl = published.body.link;

    browser = await launchChromium([
      // Belt and braces under the request guard: no name but 127.0.0.1 resolves (not even a DNS prefetch).
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ]);
    ({ context, requests, offsite } = await guardedContext(browser));
    page = await context.newPage();
    problems = watchProblems(page);
  });

  after(async () => {
    await browser?.close();
    await vc?.close();
    await site?.close();
  });

  it('the daemon wrote the ladder, poster and storyboard into the attachment meta', async () => {
    const ladder = meta.vcmp_hls_url.replace(/\/master\.m3u8$/, '');
    assert.match(meta.vcmp_hls_url, /^http:\/\/127\.0\.0\.1:\d+\/storage\/hls\/wordpress-\d+\/master\.m3u8$/);
    assert.equal(meta.vcmp_poster_url, `${ladder}/poster.jpg`);
    assert.equal(meta.vcmp_storyboard_url, `${ladder}/storyboard/storyboard.vtt`);
    const vtt = parseStoryboardVtt(await (await fetch(meta.vcmp_storyboard_url)).text());
    assert.deepEqual(vtt.problems, []);
    assert.ok(vtt.cues.length >= 4, `${vtt.cues.length} storyboard cues`);
    assert.ok(vtt.cues.every((c) => c.sprite === 'sprite-1.jpg'));
  });

  it('plays the ladder through hls.js inside Plyr, with the poster, every request on 127.0.0.1', async () => {
    await page.goto(pageUrl);
    // The shortcode's markup, before any script ran: poster, storyboard, and <source>s for browsers without JavaScript.
    const html = await (await fetch(pageUrl)).text();
    const tag = videoAttributes(html);
    assert.deepEqual(
      [tag.poster, tag['data-vcmp-storyboard'], tag['data-vcmp-hls']],
      [meta.vcmp_poster_url, meta.vcmp_storyboard_url, meta.vcmp_hls_url],
    );
    assert.ok(html.includes(`<source src="${meta.vcmp_hls_url}" type="application/vnd.apple.mpegurl"><source src="${original}">`));
    assert.equal(tag.preload, 'none', 'the <source>s load nothing before the script chose');

    const video = page.locator('.plyr video.vcmp-video');
    await video.waitFor({ state: 'attached' });
    assert.ok(await page.locator('.plyr--video .plyr__controls').isVisible(), 'Plyr’s controls');
    assert.ok(await page.locator('.plyr__controls input[data-plyr="seek"]').isVisible(), 'Plyr’s seek bar');
    assert.equal(await video.getAttribute('data-vcmp-engine'), 'hls.js', 'hls.js over Media Source Extensions, not native HLS');
    assert.equal(await video.evaluate((v: any) => v.querySelectorAll('source').length), 0, 'the no-script <source>s are gone');
    // Plyr's icons: the bundled sprite, put into the page, and drawn.
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#vcmp-plyr-sprite #plyr-play') !== null);
    const icon = await page
      .locator('.plyr__controls button[data-plyr="play"] .icon--not-pressed use')
      .evaluate((use: any) => ({ href: use.getAttribute('href'), width: use.getBBox().width }));
    assert.equal(icon.href, '#plyr-play');
    assert.ok(icon.width > 0, 'the play icon is drawn');

    // The chosen poster, on the element and in Plyr's poster layer.
    assert.equal(await video.getAttribute('poster'), meta.vcmp_poster_url);
    await page.waitForFunction(
      (url) => ((globalThis as any).document.querySelector('.plyr__poster')?.style.backgroundImage ?? '').includes(url),
      meta.vcmp_poster_url,
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'wordpress-player-poster.png') });

    await page.click('.plyr__controls button[data-plyr="play"]');
    await page.waitForFunction(() => (globalThis as any).document.querySelector('.plyr video').currentTime > 1.5, undefined, {
      timeout: 30_000,
    });
    const state = await video.evaluate((v: any) => ({
      src: v.currentSrc,
      width: v.videoWidth,
      readyState: v.readyState,
      error: v.error?.message ?? null,
    }));
    assert.match(state.src, /^blob:/, 'a MediaSource of hls.js');
    assert.equal(state.width, 640);
    assert.ok(state.readyState >= 2, `readyState ${state.readyState}`);
    assert.equal(state.error, null);
    await video.evaluate((v: any) => v.pause());

    // Everything came from the site itself (the plugin's bundled files) or the daemon.
    const siteOrigin = new URL(site.url).origin;
    for (const file of ['hls.min.js', 'plyr.min.js', 'plyr.css', 'plyr.svg', 'vcmp-player.js']) {
      assert.ok(
        requests.some((u) => u.startsWith(`${siteOrigin}${ASSETS}${file}`)),
        `${file} from the plugin: ${requests.join('\n')}`,
      );
    }
    assert.ok(requests.includes(meta.vcmp_poster_url));
    assert.equal(requests.filter((u) => u === meta.vcmp_hls_url).length, 1, 'the master playlist is read once, by hls.js');
    assert.ok(
      requests.some((u) => /\/storage\/hls\/wordpress-\d+\/.+\.ts$/.test(u)),
      'segments were fetched',
    );
    assert.deepEqual(offsite, [], 'no request left 127.0.0.1');
  });

  it('shows the storyboard tile of the hovered moment above the seek bar', async () => {
    const cues = parseStoryboardVtt(await (await fetch(meta.vcmp_storyboard_url)).text()).cues;
    // Plyr renders its thumbnail container once it has read the VTT and loaded the first sheet.
    await page.locator('.plyr__progress .plyr__preview-thumb').waitFor({ state: 'attached' });
    const bar = page.locator('.plyr__progress input[data-plyr="seek"]');
    const box = await bar.boundingBox();
    assert.ok(box);
    await bar.hover({ position: { x: box.width * 0.55, y: box.height / 2 } });
    const thumb = page.locator('.plyr__preview-thumb.plyr__preview-thumb--is-shown');
    await thumb.waitFor({ state: 'visible' });
    const sprite = `${meta.vcmp_storyboard_url.replace(/storyboard\.vtt$/, '')}sprite-1.jpg`;
    const img = thumb.locator('.plyr__preview-thumb__image-container img').last();
    await page.waitForFunction(
      () => {
        const d = (globalThis as any).document;
        const shown = d.querySelector('.plyr__preview-thumb--is-shown');
        const image = [...(shown?.querySelectorAll('.plyr__preview-thumb__image-container img') ?? [])].at(-1);
        return shown && (globalThis as any).getComputedStyle(shown).opacity === '1' && image?.complete && image.naturalWidth > 0;
      },
      undefined,
      { timeout: 10_000 },
    );
    const shown = await img.evaluate((i: any) => ({
      src: i.src,
      naturalWidth: i.naturalWidth,
      width: parseFloat(i.style.width),
      left: parseFloat(i.style.left),
      top: parseFloat(i.style.top),
      time: i.closest('.plyr__preview-thumb').querySelector('.plyr__preview-thumb__time-container span').textContent,
    }));
    assert.equal(shown.src, sprite, 'the tile comes from the storyboard’s sheet');
    // The tile shown is the cue of the hovered moment (the sheet is scaled and shifted to it).
    const [mm, ss] = String(shown.time).split(':').map(Number);
    const seconds = (mm ?? 0) * 60 + (ss ?? 0);
    assert.ok(seconds >= 4 && seconds <= 7, `hovered at ${shown.time}`);
    const scale = shown.width / shown.naturalWidth;
    const at = { x: Math.round(-shown.left / scale), y: Math.round(-shown.top / scale) };
    const candidates = cues.filter((c) => c.startMs <= (seconds + 1) * 1000 && c.endMs >= seconds * 1000);
    assert.ok(
      candidates.some((c) => Math.abs(c.x - at.x) <= 1 && Math.abs(c.y - at.y) <= 1),
      `tile at ${JSON.stringify(at)}; cues around ${shown.time}: ${JSON.stringify(candidates)}`,
    );
    assert.notDeepEqual(at, { x: 0, y: 0 }, 'not simply the first tile');
    assert.ok(requests.includes(sprite) && requests.includes(meta.vcmp_storyboard_url));
    await page.screenshot({ path: path.join(ARTIFACTS, 'wordpress-player.png') });
    assert.deepEqual(offsite, [], 'no request left 127.0.0.1');
    assert.deepEqual(problems, [], 'no console error');
  });

  it('without JavaScript, the <video> still plays (its <source> children, no Plyr)', async () => {
    const guarded = await guardedContext(browser, { javaScriptEnabled: false });
    try {
      const bare = await guarded.context.newPage();
      await bare.goto(pageUrl);
      const video = bare.locator('video.vcmp-video');
      assert.equal(await bare.locator('.plyr').count(), 0, 'no Plyr without scripts');
      assert.equal(await video.getAttribute('poster'), meta.vcmp_poster_url);
      // Started from playwright (the page's own scripts are off), muted as autoplay without a gesture must be.
      await video.evaluate((v: any) => {
        v.muted = true;
        return v.play();
      });
      // Polled from here: page.waitForFunction's polling needs the page's scripts.
      await waitFor('the native player to play', () => video.evaluate((v: any) => v.currentTime > 0.5), {
        timeoutMs: 20_000,
        everyMs: 100,
      });
      const state = await video.evaluate((v: any) => ({ src: v.currentSrc, width: v.videoWidth }));
      // The HLS source where the browser plays HLS itself (this Chromium does), else the original upload.
      assert.ok([meta.vcmp_hls_url, original].includes(state.src), state.src);
      assert.equal(state.width, 640);
      assert.deepEqual(guarded.offsite, [], 'no request left 127.0.0.1');
    } finally {
      await guarded.context.close();
    }
  });

  it('keeps the Video block’s captions and settings, upgrades the classic [video] shortcode, and leaves feeds the original', async () => {
    const captions = `${site.url}/captions-en.vtt`;
    const block =
      `<!-- wp:video {"id":${uploadId}} --><figure class="wp-block-video"><video autoplay loop muted preload="auto" src="${original}">` +
      `<track src="${captions}" kind="captions" srclang="en" label="English"/></video><figcaption class="wp-element-caption">A walk</figcaption></figure><!-- /wp:video -->`;
    const post = await site.rest('editor', 'POST', 'wp/v2/posts', {
      title: 'Blocks and shortcodes',
      status: 'publish',
      content: `${block}\n\n[video src="${original}" loop="on"]\n\n[vc_video id=${uploadId}]`,
    });
    assert.equal(post.status, 201, JSON.stringify(post.body));
    const html = await (await fetch(post.body.link)).text();
    const fromBlock = videoAttributes(html, 0);
    for (const setting of ['autoplay', 'loop', 'muted']) assert.equal(fromBlock[setting], true, setting);
    assert.deepEqual(
      [fromBlock['data-vcmp-hls'], fromBlock['data-vcmp-preload'], fromBlock.preload, fromBlock.src, fromBlock.width, fromBlock.height],
      [meta.vcmp_hls_url, 'auto', 'none', undefined, '640', '360'],
    );
    assert.match(
      html,
      new RegExp(
        `<track src="${captions}" kind="captions" srclang="en" label="English"\\s*/?></video><figcaption class="wp-element-caption">A walk</figcaption>`,
      ),
    );
    const fromShortcode = videoAttributes(html, 1);
    assert.equal(fromShortcode['data-vcmp-hls'], meta.vcmp_hls_url, 'the classic shortcode plays the ladder too');
    assert.equal(fromShortcode.loop, '1', 'with its own settings');
    assert.equal(String(fromShortcode.class).includes('wp-video-shortcode'), false, 'MediaElement.js leaves it alone');
    assert.equal(videoAttributes(html, 2)['data-vcmp-hls'], meta.vcmp_hls_url, "1.x's [vc_video] still plays (no WPBakery here)");
    const feed = await (await fetch(`${site.url}/?feed=rss2`)).text();
    assert.ok(feed.includes('Blocks and shortcodes'));
    assert.equal(feed.includes('master.m3u8'), false, 'feed readers get the original file');
  });
});

/** The attributes of the `nth` <video> opening tag of `html` (bare ones as true). */
function videoAttributes(html: string, nth = 0): Record<string, string | true | undefined> {
  const tag = [...html.matchAll(/<video\b([^>]*)>/g)][nth]?.[1] ?? '';
  const attrs: Record<string, string | true> = {};
  for (const m of tag.matchAll(/([\w-]+)(?:="([^"]*)")?/g)) attrs[m[1]!] = m[2] ?? true;
  return attrs;
}
