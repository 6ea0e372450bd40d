import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Dispatcher } from 'undici';
import { ServerWarnings } from '../../src/sources/appwrite-warnings.js';

/** A dispatcher that answers every request at once with these raw headers (name, value, name, value…). */
class Answering extends Dispatcher {
  constructor(private readonly raw: string[]) {
    super();
  }

  override dispatch(_options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    handler.onHeaders?.(
      200,
      this.raw.map((h) => Buffer.from(h, 'latin1')),
      () => undefined,
      'OK',
    );
    return true;
  }
}

/** The headers the SDK's fetch gets through the composed dispatcher, and what was reported. */
function answer(warnings: ServerWarnings, raw: string[]): string[] {
  let seen: string[] = [];
  warnings.dispatcher(new Answering(raw)).dispatch(
    { path: '/v1/tablesdb', method: 'GET', origin: 'http://appwrite.test' },
    {
      onHeaders: (_status, headers) => {
        seen = headers.map((h) => h.toString('latin1'));
        return true;
      },
    },
  );
  return seen;
}

describe('ServerWarnings', () => {
  it('takes X-Appwrite-Warning off the response (any case), reports each message once, keeps every other header', () => {
    const reported: string[] = [];
    const warnings = new ServerWarnings((message) => reported.push(message));
    const headers = ['Content-Type', 'application/json', 'X-Appwrite-Warning', 'first; second ;', 'X-Appwrite-Version', '1.9.0'];
    assert.deepEqual(answer(warnings, headers), ['Content-Type', 'application/json', 'X-Appwrite-Version', '1.9.0']);
    assert.deepEqual(answer(warnings, ['x-appwrite-warning', 'second;third']), []);
    assert.deepEqual(reported, ['first', 'second', 'third'], 'split on `;` as the SDK does; a repeated message is not reported again');
    assert.deepEqual(warnings.messages, ['first', 'second', 'third']);
  });

  it('composes once per underlying dispatcher', () => {
    const warnings = new ServerWarnings(() => undefined);
    const base = new Answering([]);
    assert.equal(warnings.dispatcher(base), warnings.dispatcher(base));
    assert.notEqual(warnings.dispatcher(base), warnings.dispatcher(new Answering([])));
  });
});
