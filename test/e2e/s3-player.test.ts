/**
 * PUBLISH_TARGET=s3 in a real browser: the daemon publishes to an S3-compatible server (s3rver on
 * another port: another origin, as a bucket or CDN is), and the dashboard's player streams the
 * ladder from the bucket's URLs with hls.js, through the bucket's CORS rules and the dashboard's CSP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutBucketCorsCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { startServer, type TestServer } from '../helpers/http-fixtures.js';
import { makeClip } from '../helpers/media-fixtures.js';
import { s3DaemonEnv, startS3, type TestS3 } from '../helpers/s3-server.js';
import { serveFile, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const USER = 'ops';
const PASSWORD = 'correct horse battery staple';

describe('a ladder in an S3 bucket, played in headless Chromium', () => {
  let s3: TestS3;
  let files: TestServer;
  let vc: TestDaemon;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];

  before(async () => {
    s3 = await startS3();
    await s3.client.send(
      new PutBucketCorsCommand({
        Bucket: s3.bucket,
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['*'] }] },
      }),
    );
    files = await startServer(serveFile(await makeClip({ width: 640, height: 360, seconds: 4 })));
    vc = await startTestDaemon({
      ADMIN_USER: USER,
      ADMIN_PASSWORD: PASSWORD,
      ...s3DaemonEnv(s3),
      // The dashboard would serve local ladders too: off, so only the bucket can answer.
      SERVE_HLS: 'false',
    });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('request', (req) => requests.push(req.url()));
    await page.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    );
  });
  after(async () => {
    await browser?.close();
    await vc?.close();
    await files?.close();
    await s3?.close();
  });

  it('plays the job from the bucket through hls.js, with no CSP or CORS error', async () => {
    const submitted = await vc.api('POST', '/api/jobs', { source_url: files.url('/walk.mp4'), title: 'From the bucket' });
    const job = await vc.waitForJob(submitted.body.id, (j) => ['completed', 'failed'].includes(j.status), 120_000);
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.ok(job.hls_url.startsWith(`${s3.endpoint}/${s3.bucket}/storage/hls/`), job.hls_url);

    await page.goto(`${vc.baseUrl}/admin/login?next=%2Fadmin%2Fjobs%2F${job.key}`);
    await page.fill('input[name=user]', USER);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(`${vc.baseUrl}/admin/jobs/${job.key}`), page.click('form.login button[type=submit]')]);
    const video = page.locator('#player');
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#player').dataset.engine !== undefined);
    assert.equal(await video.getAttribute('data-engine'), 'hls.js');
    await video.evaluate((v: any) => {
      v.muted = true;
      return v.play();
    });
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#player').currentTime > 1.5, undefined, {
      timeout: 20_000,
    });
    const state = await video.evaluate((v: any) => ({ width: v.videoWidth, error: v.error?.message ?? null }));
    assert.deepEqual(state, { width: 640, error: null });
    const fromBucket = requests.filter((url) => url.startsWith(`${s3.endpoint}/${s3.bucket}/storage/hls/${job.key}/`));
    assert.ok(
      fromBucket.some((url) => url.endsWith('/master.m3u8')),
      'the master from the bucket',
    );
    assert.ok(
      fromBucket.some((url) => /\/v[0-9tz]+-[0-9a-f]{6}\/.+\.ts$/.test(url)),
      'segments of its version from the bucket',
    );
    assert.deepEqual(problems, [], 'no console, CSP or CORS error');
  });
});
