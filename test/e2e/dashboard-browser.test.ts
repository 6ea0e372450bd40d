/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core (installed by
 * .ci/run; CHROMIUM_PATH overrides the binary). Screenshots land in test/e2e/artifacts/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { WORKER_STATES } from '../../src/domain/worker.js';
import { routes, sendBody, startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { serveFile, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { launchChromium } from '../helpers/chromium.js';

const ARTIFACTS = path.join(import.meta.dirname, 'artifacts');
const USER = 'ops';
const PASSWORD = 'correct horse battery staple';

const text = (page: Page, selector: string) => page.locator(selector).first().innerText();

describe('dashboard in headless Chromium', () => {
  let vc: TestDaemon;
  let source: TestServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  let completedId = '';

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const [short, long] = await Promise.all([
      makeClip({ width: 640, height: 360, seconds: 4 }),
      makeClip({ width: 1280, height: 720, seconds: 60 }),
    ]);
    source = await startServer(
      routes({
        '/short.mp4': serveFile(short),
        '/long.mp4': serveFile(long),
        '/gone.mp4': sendBody('gone', { status: 404, contentType: 'text/plain' }),
      }),
    );
    // Any failed attempt raises the failed-jobs warning, so the alerts panel has something to show.
    vc = await startTestDaemon({ ADMIN_USER: USER, ADMIN_PASSWORD: PASSWORD, ALERT_FAILED_JOBS_PER_HOUR: '0' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    // Browser code as strings: the project compiles without the DOM library.
    await page.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    );
  });

  after(async () => {
    await browser?.close();
    await vc?.close();
    await source?.close();
  });

  it('logs in and shows every panel filled', async () => {
    const done = await vc.api('POST', '/api/jobs', { source_url: source.url('/short.mp4'), title: 'Holiday <b>clip</b>' });
    const gone = await vc.api('POST', '/api/jobs', { source_url: source.url('/gone.mp4'), title: 'Missing upload' });
    completedId = done.body.id;
    await vc.waitForJob(done.body.id, (j) => j.status === 'completed', 90_000);
    await vc.waitForJob(gone.body.id, (j) => j.status === 'failed', 30_000);

    await page.goto(`${vc.baseUrl}/admin`);
    assert.match(page.url(), /\/admin\/login\?next=%2Fadmin$/);
    await page.fill('input[name=user]', USER);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(`${vc.baseUrl}/admin`), page.click('form.login button[type=submit]')]);

    assert.match(await text(page, '[data-text="system.cpu.label"]'), /^\d+%$/);
    assert.match(await text(page, '[data-text="system.memory.label"]'), /^[\d.]+ \/ [\d.]+ (?:[KMGT]i)?B$/);
    assert.match(await text(page, '[data-text="system.disk.label"]'), /^[\d.]+ \/ [\d.]+ (?:[KMGT]i)?B$/);
    assert.match(await text(page, '[data-text="system.networkIn"]'), /Mbps$/);
    assert.ok((WORKER_STATES as readonly string[]).includes(await text(page, '[data-text="worker.state"]')));
    assert.equal(await text(page, '[data-text="worker.jobsToday"]'), '1 completed');
    assert.match(await text(page, '#worker-panel .sources li'), /^local: \d+ pending$/);
    assert.match(await text(page, '[data-text="performance.averageTime"]'), /second|minute/);
    assert.equal(await text(page, '[data-text="performance.successRate"]'), '50.0%');
    assert.equal(await text(page, '[data-text="performance.failedToday"]'), '1');
    assert.match(await text(page, '[data-text="performance.storageToday"]'), /[KM]iB$/);
    const todayBar = page.locator('svg.chart g[data-index="13"] rect.completed');
    assert.ok(Number(await todayBar.getAttribute('height')) > 0, "today's completed bar is drawn");
    assert.match(await text(page, '#alerts-panel .alerts li'), /Failed jobs[\s\S]*1 failed attempt in the last hour/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });

    await Promise.all([page.waitForURL(`${vc.baseUrl}/admin`), page.click('#alerts-panel button:has-text("Acknowledge")')]);
    assert.match(await text(page, '.flash'), /acknowledged/);
    assert.match(await text(page, '#alerts-panel .alerts li'), /acknowledged by ops/);
  });

  it('opens the completed job: metadata, renditions, poster, log, and the HLS video plays', async () => {
    await page.goto(`${vc.baseUrl}/admin/jobs`);
    await Promise.all([
      page.waitForURL(`${vc.baseUrl}/admin/jobs/local-${completedId}`),
      page.click(`a[href="/admin/jobs/local-${completedId}"]`),
    ]);
    assert.equal(await text(page, 'h1'), 'Holiday <b>clip</b>', 'the title is text, not markup');
    assert.match(await text(page, '.facts'), /Source size\s+640×360/);
    const renditions = await page.locator('#renditions tbody tr').allInnerTexts();
    assert.ok(renditions.length >= 1);
    assert.match(renditions[0] ?? '', /640×360\s+[\d.]+ Mbps\s+[\d.]+ Mbps/);
    const current = page.locator('#poster-choices .current img');
    assert.equal(await page.locator('#poster-choices form').count(), 6, "the ladder's poster and 5 thumbnails");
    assert.ok(await current.evaluate((img: any) => img.complete && img.naturalWidth > 0), 'poster decoded');
    // FFmpeg's last lines, or, when a clean encode printed none, a note that says so.
    const log = await text(page, '#log-tail, #log-note');
    assert.ok(log.trim().length > 0 && log !== 'No log recorded yet.', `the FFmpeg log panel: ${log}`);
    assert.match(await text(page, '#attempts'), /completed/);

    const video = page.locator('#player');
    // Functions run in the page (typed loosely: the project compiles without the DOM library); strings would need eval, which the CSP forbids.
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#player').dataset.engine !== undefined);
    assert.equal(await video.getAttribute('data-engine'), 'hls.js', 'hls.js over MSE, served by the daemon');
    await video.evaluate((v: any) => v.play());
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#player').currentTime > 1.5, undefined, {
      timeout: 20_000,
    });
    const state = await video.evaluate((v: any) => ({ src: v.currentSrc, width: v.videoWidth, error: v.error?.message ?? null }));
    assert.match(state.src, /^blob:/);
    assert.equal(state.width, 640);
    assert.equal(state.error, null);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-job.png'), fullPage: true });
  });

  it('shows the storyboard over the seek bar while hovering it', async () => {
    await page.goto(`${vc.baseUrl}/admin/jobs/${completedId}`);
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#player').dataset.plyr === 'ready');
    const bar = page.locator('.plyr__progress input[type="range"]');
    const box = await bar.boundingBox();
    assert.ok(box, 'the seek bar is laid out');
    // Plyr shows the tile of the moment under the pointer once it has read the VTT: move over the
    // bar, as a viewer does, until the tile shows.
    const tile = page.locator('.plyr__preview-thumb--is-shown .plyr__preview-thumb__image-container img');
    const deadline = Date.now() + 15_000;
    for (let x = 0.3; !(await tile.isVisible()); x = x > 0.7 ? 0.3 : x + 0.05) {
      assert.ok(Date.now() < deadline, 'no storyboard tile over the seek bar');
      await page.mouse.move(box.x + box.width * x, box.y + box.height / 2, { steps: 3 });
    }
    assert.match((await tile.getAttribute('src')) ?? '', new RegExp(`/hls/local-${completedId}/storyboard/sprite-1\\.jpg$`));
    assert.ok(await tile.evaluate((img: any) => img.complete && img.naturalWidth > 0), 'the sprite sheet decoded');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-storyboard.png') });
  });

  it('picks thumbnail 3 as the poster and writes it back to the record', async () => {
    await Promise.all([
      page.waitForURL(`${vc.baseUrl}/admin/jobs/local-${completedId}`),
      page.click('#poster-choices button:has-text("Use thumbnail 3")'),
    ]);
    assert.match(await text(page, '.flash'), /thumbnail 3 is the poster/);
    assert.equal(await page.locator('#poster-choices .current img').getAttribute('alt'), 'Thumbnail 3');
    const record = await vc.api('GET', `/api/jobs/${completedId}`);
    assert.match(record.body.poster_url, new RegExp(`/hls/local-${completedId}/thumbnails/thumb-03\\.jpg$`));
    assert.equal(record.body.thumbnail_urls[2], record.body.poster_url);
    assert.match((await page.locator('#player').getAttribute('poster')) ?? '', /thumbnails\/thumb-03\.jpg$/);
    // And back to the ladder's own choice.
    await Promise.all([page.waitForURL(/\/admin\/jobs\//), page.click('#poster-choices button:has-text("Use the chosen frame")')]);
    assert.match((await vc.api('GET', `/api/jobs/${completedId}`)).body.poster_url, /\/poster\.jpg$/);
  });

  it('plays the animated preview while the pointer is over a completed job in the list', async () => {
    await page.goto(`${vc.baseUrl}/admin/jobs`);
    const still = page.locator(`a.still[href="/admin/jobs/local-${completedId}"]`);
    assert.match((await still.getAttribute('data-preview-src')) ?? '', /preview\.mp4$/);
    await still.hover();
    await page.waitForFunction(
      (id: string) =>
        (globalThis as any).document.querySelector(`a.still[href="/admin/jobs/local-${id}"]`).dataset.previewState === 'playing',
      completedId,
      { timeout: 10_000 },
    );
    const playing = await still.locator('video').evaluate((v: any) => ({ w: v.videoWidth, loop: v.loop, muted: v.muted }));
    assert.deepEqual(playing, { w: 480, loop: true, muted: true });
    await page.mouse.move(0, 0);
    assert.equal(await still.locator('video').count(), 0, 'back to the still');
  });

  it('follows a job in progress without reloading the page, then cancels it', async () => {
    const long = await vc.api('POST', '/api/jobs', { source_url: source.url('/long.mp4'), title: 'Conference keynote (720p, 60 s)' });
    await vc.waitForJob(long.body.id, (j) => j.step === 'transcoding' && j.progress >= 14, 60_000);
    await page.goto(`${vc.baseUrl}/admin`);
    await page.evaluate(() => ((globalThis as any).marker = 'same page'));
    const before = await text(page, '#worker-panel .active-job [data-field="progress"]');
    assert.match(before, /^\d+% \(Transcoding( \w+)?\)$/);
    await page.waitForFunction(() => Number((globalThis as any).document.body.dataset.refreshes ?? 0) >= 1, undefined, { timeout: 15_000 });
    assert.equal(await page.evaluate(() => (globalThis as any).marker), 'same page', 'refreshed in place');
    const afterRefresh = await text(page, '#worker-panel .active-job [data-field="progress"]');
    assert.match(afterRefresh, /^\d+% \(Transcoding( \w+)?\)$/);
    assert.ok(parseInt(afterRefresh, 10) > parseInt(before, 10), `progress moved: ${before} → ${afterRefresh}`);
    assert.equal(await text(page, '[data-text="worker.state"]'), 'PROCESSING');
    assert.match(await text(page, '#worker-panel .active-job .title'), /Conference keynote/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-in-progress.png'), fullPage: true });

    await page.goto(`${vc.baseUrl}/admin/jobs/${long.body.id}`);
    await Promise.all([page.waitForURL(`${vc.baseUrl}/admin/jobs/${long.body.id}`), page.click('.job-head button:has-text("Cancel")')]);
    assert.match(await text(page, '.flash'), /cancelled/);
    await vc.waitForJob(long.body.id, (j) => j.status === 'cancelled', 20_000);
    assert.deepEqual(problems, [], 'no console error, no CSP violation');
  });

  it('deletes a job from the filtered job table only after the confirmation is opened and pressed', async () => {
    await page.goto(`${vc.baseUrl}/admin/jobs?source=local&status=cancelled`);
    const row = page.locator('tr[data-key^="local-"]').first();
    const key = (await row.getAttribute('data-key')) ?? assert.fail('a cancelled job is listed');
    const confirm = row.locator(`button:has-text("Delete ${key}")`);
    assert.equal(await confirm.isVisible(), false, 'the delete button is hidden until the confirmation opens');
    await row.locator('summary:has-text("Delete…")').click();
    assert.equal(await confirm.isVisible(), true);
    await Promise.all([page.waitForURL(`${vc.baseUrl}/admin/jobs`), confirm.click()]);
    assert.equal(await text(page, '.flash'), `Job ${key} deleted, with its ladder.`);
    assert.equal((await vc.api('GET', `/api/jobs/${key}`)).status, 404);
    assert.deepEqual(problems, [], 'no console error, no CSP violation');
  });
});
