import assert from 'node:assert/strict';
import type { IncomingHttpHeaders, RequestListener } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { downloadSource } from '../../src/pipeline/download.js';
import { POLICY_ON, expectFailure, fakeLookup, makeDownloadDir, options, removeDownloadDir } from '../helpers/download-fixtures.js';
import { redirect, routes, sendBody, serverPool, videoBytes } from '../helpers/http-fixtures.js';

before(makeDownloadDir);
after(removeDownloadDir);

const KEY = 'secret-storage-key-0123456789';
const HEADERS = { 'X-Appwrite-Project': 'vc-test', 'X-Appwrite-Key': KEY };
const BODY = videoBytes(32 * 1024);

/** Keeps the headers of every request, then answers with `then`. */
function recording(seen: IncomingHttpHeaders[], then: RequestListener): RequestListener {
  return (req, res) => {
    seen.push(req.headers);
    then(req, res);
  };
}

/** A source's own headers (a CMS's API key) and its trusted host, in downloadSource. */
describe('download with source access', () => {
  const pool = serverPool();
  after(() => pool.closeAll());

  it('sends the headers to the source’s origin and drops them on a redirect to another origin', async () => {
    const there: IncomingHttpHeaders[] = [];
    const other = await pool.serve(recording(there, sendBody(BODY)));
    const here: IncomingHttpHeaders[] = [];
    const cms = await pool.serve(recording(here, routes({ '/file': redirect(`http://files.test:${other.port}/v.mp4`) })));
    const lookup = fakeLookup({ 'files.test': ['127.0.0.1'] });
    const result = await downloadSource(options(cms.url('/file'), { headers: HEADERS, lookup }));
    assert.equal(result.bytes, BODY.length);
    assert.deepEqual([here[0]?.['x-appwrite-key'], here[0]?.['x-appwrite-project']], [KEY, 'vc-test']);
    assert.equal(there.length, 1);
    assert.deepEqual([there[0]?.['x-appwrite-key'], there[0]?.['x-appwrite-project']], [undefined, undefined]);
  });

  it('exempts the trusted host, and only it, from the private-address policy', async () => {
    const other = await pool.serve(sendBody(BODY));
    const cms = await pool.serve(routes({ '/file': sendBody(BODY), '/moved': redirect(`http://files.test:${other.port}/v.mp4`) }));
    const lookup = fakeLookup({ 'files.test': ['127.0.0.1'] });
    await expectFailure(options(cms.url('/file'), { config: POLICY_ON, headers: HEADERS }), 'source_url_forbidden');
    const ok = await downloadSource(options(cms.url('/file'), { config: POLICY_ON, headers: HEADERS, trustedHost: '127.0.0.1' }));
    assert.equal(ok.bytes, BODY.length);
    // The trust is the host's, not the download's: a redirect elsewhere meets the policy again.
    await expectFailure(options(cms.url('/moved'), { config: POLICY_ON, trustedHost: '127.0.0.1', lookup }), 'source_url_forbidden');
  });

  it('retries a refused key (the operator’s to fix), but not a plain URL’s 401', async () => {
    const cms = await pool.serve(sendBody('{"message":"missing scopes"}', { status: 401, contentType: 'application/json' }));
    const refused = await expectFailure(options(cms.url('/file'), { headers: HEADERS }), 'source_http_error');
    assert.equal(refused.retryable, true);
    assert.equal(`${refused.message} ${JSON.stringify(refused.context)}`.includes(KEY), false, 'the key is not in the error');
    const plain = await expectFailure(options(cms.url('/file')), 'source_http_error');
    assert.equal(plain.retryable, false);
  });
});
