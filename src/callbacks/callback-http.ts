import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios from 'axios';
import { AppError, toAppError } from '../errors.js';
import { assertHostAllowed, createGuardedLookup, isIpLiteral, parseHttpUrl, type HostPolicyOptions } from '../pipeline/url-policy.js';
import type { AttemptResult } from './callback-policy.js';

export interface PostCallbackOptions {
  readonly url: string;
  /** The exact bytes that were signed. */
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  /** ALLOW_PRIVATE_CALLBACK_URLS and, in tests, the resolver and address predicate. */
  readonly policy: HostPolicyOptions;
  /** From the first byte sent to the response's status line. */
  readonly timeoutMs: number;
  /** The service stopping: the attempt is abandoned and does not count. */
  readonly signal: AbortSignal;
}

/** An attempt cut short by `signal`: neither a success nor a failure of the receiver. */
export type PostResult = AttemptResult | { readonly kind: 'aborted' };

/**
 * One POST under the address policy, checked on the address actually connected (the agents'
 * lookup), never through an environment proxy, and with no redirect followed: a receiver that
 * moved answers 3xx and the delivery gives up, rather than our signed body going to a host
 * nobody configured. The response body is never read. Never throws.
 */
export async function postCallback(options: PostCallbackOptions): Promise<PostResult> {
  let url: URL;
  try {
    url = parseHttpUrl(options.url);
  } catch {
    return { kind: 'invalid', error: 'the callback URL is not an absolute http(s) URL' };
  }
  const lookup = createGuardedLookup(options.policy);
  // keepAlive off: every attempt connects afresh, so every attempt is judged by the policy.
  const agents = { http: new http.Agent({ keepAlive: false, lookup }), https: new https.Agent({ keepAlive: false, lookup }) };
  const deadline = AbortSignal.timeout(options.timeoutMs);
  try {
    // Node connects to IP literals without calling the guarded lookup: judge them here.
    if (isIpLiteral(url.hostname)) await assertHostAllowed(url.hostname, options.policy);
    const response = await axios.request<Readable>({
      url: url.href,
      method: 'POST',
      data: options.body,
      headers: { ...options.headers },
      responseType: 'stream',
      decompress: false,
      validateStatus: () => true,
      maxRedirects: 0,
      proxy: false,
      httpAgent: agents.http,
      httpsAgent: agents.https,
      signal: AbortSignal.any([options.signal, deadline]),
    });
    response.data.destroy();
    return { kind: 'response', statusCode: response.status };
  } catch (err) {
    if (options.signal.aborted) return { kind: 'aborted' };
    if (deadline.aborted) return { kind: 'error', error: `no response within ${options.timeoutMs} ms` };
    return classify(err);
  } finally {
    agents.http.destroy();
    agents.https.destroy();
  }
}

/** The policy's verdict travels as an AppError, wrapped by the http request and axios on the way. */
function classify(err: unknown): PostResult {
  for (let cause: unknown = err, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth += 1) {
    if (cause instanceof AppError && cause.code === 'source_url_forbidden') return { kind: 'refused', error: refusal(cause) };
    if (cause instanceof AppError) return { kind: 'error', error: cause.message };
  }
  return { kind: 'error', error: toAppError(err, 'source_network_error').message };
}

/** url-policy words its refusal for downloads; say which setting applies here. */
function refusal(err: AppError): string {
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  const host = text(err.context.host) ?? '';
  const address = text(err.context.address) ?? host;
  const via = host === address ? '' : ` resolves to ${address}, which`;
  return `The callback host "${host}"${via} is a private, loopback or link-local address; callbacks to such addresses are refused unless ALLOW_PRIVATE_CALLBACK_URLS=true.`;
}
