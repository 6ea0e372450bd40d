import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { appwriteSignature, rawUrlDecode } from '../../src/http/webhooks/appwrite-webhook.js';
import { rawUrlDecode as fakeDecode } from '../fakes/appwrite-webhooks.js';

/** The URL half of Appwrite's webhook signature: PHP's rawurldecode of the URL, byte for byte. */
describe('Appwrite webhook signature', () => {
  it('decodes %-escapes to bytes and leaves everything else as written', () => {
    const cases: Array<[string, Buffer]> = [
      ['https://v.test/api/webhooks/appwrite', Buffer.from('https://v.test/api/webhooks/appwrite')],
      ['https://v.test/hook?site=caf%C3%A9%20bar', Buffer.from('https://v.test/hook?site=café bar')],
      ['https://v.test/hook?a=1+2&b=%2fx', Buffer.from('https://v.test/hook?a=1+2&b=/x')],
      ['https://v.test/hook?p=100%&q=%zz%4', Buffer.from('https://v.test/hook?p=100%&q=%zz%4')],
      ['https://v.test/hook?latin1=%E9', Buffer.concat([Buffer.from('https://v.test/hook?latin1='), Buffer.from([0xe9])])],
    ];
    for (const [url, expected] of cases) {
      assert.deepEqual(rawUrlDecode(url), expected, url);
      assert.deepEqual(fakeDecode(url), expected, `the fake server agrees: ${url}`);
    }
  });

  it('signs the decoded URL followed by the raw body', () => {
    const body = Buffer.from('{"$id":"r1"}');
    const expected = createHmac('sha1', 's3cret').update('https://v.test/hook?site=my site{"$id":"r1"}').digest('base64');
    assert.equal(appwriteSignature('s3cret', 'https://v.test/hook?site=my%20site', body), expected);
  });
});
