import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import {
  assertHostAllowed,
  createGuardedLookup,
  isIpLiteral,
  isPublicAddress,
  parseSourceUrl,
  redactUrl,
  type LookupFn,
} from '../../src/pipeline/url-policy.js';

function lookupFrom(table: Record<string, string[]>): LookupFn {
  return async (hostname) => (table[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
}

function assertCode(code: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  };
}

describe('parseSourceUrl', () => {
  it('accepts http and https URLs, credentials included', () => {
    assert.equal(parseSourceUrl('https://cdn.example.com/v/a.mp4?sig=1').href, 'https://cdn.example.com/v/a.mp4?sig=1');
    assert.equal(parseSourceUrl('  http://user:pw@example.com:8080/a.mp4 ').port, '8080');
  });

  const invalid = [
    'file:///etc/passwd',
    'ftp://x/y',
    'not a url',
    'javascript:alert(1)',
    'data:video/mp4;base64,AAAA',
    'gopher://example.com/',
    '/relative/path.mp4',
    '',
    '   ',
    `https://example.com/${'a'.repeat(2048)}`,
  ];
  for (const text of invalid) {
    it(`refuses ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}`, () => {
      assert.throws(() => parseSourceUrl(text), assertCode('source_url_invalid'));
    });
  }

  it('does not repeat credentials or the query of an unparsable URL in its message', () => {
    assert.throws(
      () => parseSourceUrl('http://user:secret@exa mple.com/a?token=abc'),
      (err: unknown) => err instanceof AppError && !/secret|abc/.test(err.message),
    );
  });
});

describe('redactUrl', () => {
  it('keeps origin and path, drops credentials, query and fragment', () => {
    assert.equal(redactUrl('https://u:p@cdn.example.com:8443/a/b.mp4?X-Amz-Signature=abc#t=1'), 'https://cdn.example.com:8443/a/b.mp4');
    assert.equal(redactUrl(new URL('http://[::1]:80/x')), 'http://[::1]/x');
  });
});

describe('isPublicAddress', () => {
  const table: Array<[string, boolean]> = [
    ['8.8.8.8', true],
    ['1.1.1.1', true],
    ['93.184.216.34', true],
    ['172.15.255.255', true],
    ['172.32.0.1', true],
    ['100.63.255.255', true],
    ['100.128.0.1', true],
    ['2606:4700:4700::1111', true],
    ['2001:4860:4860::8888', true],
    ['::ffff:8.8.8.8', true],
    ['127.0.0.1', false],
    ['127.255.255.254', false],
    ['10.0.0.1', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['100.127.255.254', false],
    ['0.0.0.0', false],
    ['255.255.255.255', false],
    ['224.0.0.1', false],
    ['192.0.2.1', false],
    ['198.51.100.7', false],
    ['203.0.113.9', false],
    ['240.0.0.1', false],
    ['::1', false],
    ['[::1]', false],
    ['::', false],
    ['fe80::1', false],
    ['fc00::1', false],
    ['fd12:3456::1', false],
    ['ff02::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:169.254.169.254', false],
    ['::127.0.0.1', false],
    ['64:ff9b::a00:1', false],
    ['2002:a00:1::1', false],
    ['2001:db8::1', false],
    ['not-an-ip', false],
    ['', false],
    ['example.com', false],
  ];
  for (const [ip, expected] of table) {
    it(`${ip || '(empty)'} → ${expected ? 'public' : 'not public'}`, () => {
      assert.equal(isPublicAddress(ip), expected);
    });
  }
});

describe('isIpLiteral', () => {
  it('recognises v4, v6 and bracketed v6, not names', () => {
    assert.equal(isIpLiteral('10.0.0.1'), true);
    assert.equal(isIpLiteral('[::1]'), true);
    assert.equal(isIpLiteral('fe80::1'), true);
    assert.equal(isIpLiteral('example.com'), false);
  });
});

describe('assertHostAllowed', () => {
  const lookup = lookupFrom({
    'public.test': ['93.184.216.34', '2606:4700::1'],
    'mixed.test': ['93.184.216.34', '10.0.0.8'],
    'internal.test': ['192.168.0.2'],
  });

  it('returns every address of a public name', async () => {
    assert.deepEqual(await assertHostAllowed('public.test', { allowPrivate: false, lookup }), [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:4700::1', family: 6 },
    ]);
  });

  it('refuses a name with any private address', async () => {
    await assert.rejects(assertHostAllowed('mixed.test', { allowPrivate: false, lookup }), assertCode('source_url_forbidden'));
    await assert.rejects(assertHostAllowed('internal.test', { allowPrivate: false, lookup }), assertCode('source_url_forbidden'));
  });

  it('refuses private literals without a lookup', async () => {
    const never: LookupFn = () => assert.fail('lookup must not be called for a literal');
    await assert.rejects(assertHostAllowed('[::1]', { allowPrivate: false, lookup: never }), assertCode('source_url_forbidden'));
    await assert.rejects(assertHostAllowed('169.254.169.254', { allowPrivate: false, lookup: never }), assertCode('source_url_forbidden'));
    assert.deepEqual(await assertHostAllowed('8.8.8.8', { allowPrivate: false, lookup: never }), [{ address: '8.8.8.8', family: 4 }]);
  });

  it('allows everything when allowPrivate is set', async () => {
    assert.equal((await assertHostAllowed('internal.test', { allowPrivate: true, lookup })).length, 1);
    assert.equal((await assertHostAllowed('127.0.0.1', { allowPrivate: true, lookup })).length, 1);
  });

  it('reports a name without addresses as a network error', async () => {
    await assert.rejects(assertHostAllowed('nowhere.test', { allowPrivate: false, lookup }), assertCode('source_network_error'));
  });
});

describe('createGuardedLookup', () => {
  const guarded = createGuardedLookup({
    allowPrivate: false,
    lookup: lookupFrom({ 'public.test': ['93.184.216.34', '2606:4700::1'], 'internal.test': ['10.1.1.1'] }),
  });

  function call(
    hostname: string,
    options: { all?: boolean; family?: number },
  ): Promise<{ err: Error | null; address: string | LookupAddress[]; family?: number }> {
    return new Promise((resolve) => guarded(hostname, options, (err, address, family) => resolve({ err, address, family })));
  }

  it('answers in the all: true form net uses with autoSelectFamily', async () => {
    const { err, address } = await call('public.test', { all: true });
    assert.equal(err, null);
    assert.deepEqual(address, [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:4700::1', family: 6 },
    ]);
  });

  it('answers in the single-address form, honouring the family', async () => {
    assert.deepEqual(await call('public.test', { family: 6 }), { err: null, address: '2606:4700::1', family: 6 });
    assert.deepEqual(await call('public.test', {}), { err: null, address: '93.184.216.34', family: 4 });
  });

  it('fails the connection with source_url_forbidden for a private answer', async () => {
    const { err } = await call('internal.test', { all: true });
    assert.ok(err instanceof AppError && err.code === 'source_url_forbidden');
  });
});
