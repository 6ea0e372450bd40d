import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.js';

/** Longer URLs are refused: no legitimate media URL needs more, and they bloat logs and records. */
export const MAX_SOURCE_URL_LENGTH = 2048;

/** One address a hostname resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

/** Resolves every address of a hostname (like `dns.lookup(host, { all: true })`). Injectable for tests. */
export type LookupFn = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (getaddrinfo, so /etc/hosts applies), every address. */
export const systemLookup: LookupFn = (hostname) => dnsLookup(hostname, { all: true });

/**
 * Decides whether the daemon may connect to an address. Defaults to {@link isPublicAddress};
 * `hostname` is the name being resolved (the literal itself for IP hosts).
 */
export type AddressPredicate = (address: string, hostname: string) => boolean;

export interface HostPolicyOptions {
  /** ALLOW_PRIVATE_SOURCE_URLS: skip the address check entirely. */
  readonly allowPrivate: boolean;
  readonly lookup?: LookupFn;
  /** Replaces {@link isPublicAddress}; tests use it to treat one loopback name as public. */
  readonly isAllowedAddress?: AddressPredicate;
}

/**
 * Parses a source URL as typed by a person or stored in a CMS. Only absolute http(s) URLs up to
 * {@link MAX_SOURCE_URL_LENGTH} characters pass; everything else is `source_url_invalid`.
 * Credentials in the URL are accepted (some CMS media URLs carry them) but never logged.
 */
export function parseSourceUrl(text: string): URL {
  const trimmed = text.trim();
  if (trimmed.length === 0) {
    throw new AppError('source_url_invalid', 'The source URL is empty.');
  }
  if (trimmed.length > MAX_SOURCE_URL_LENGTH) {
    throw new AppError(
      'source_url_invalid',
      `The source URL is ${trimmed.length} characters long; at most ${MAX_SOURCE_URL_LENGTH} are allowed.`,
      {
        context: { length: trimmed.length },
      },
    );
  }
  return parseHttpUrl(trimmed);
}

/**
 * The one definition of an acceptable URL's shape, whatever its length: absolute, http or https,
 * with a host name. Anything else is `source_url_invalid` saying what is wrong. The API's
 * validation (src/http/validation.ts) and {@link parseSourceUrl} both use it.
 */
export function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    throw new AppError('source_url_invalid', `The source URL "${redactUrlText(text)}" is not a valid absolute URL.`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('source_url_invalid', `The source URL uses the "${url.protocol}" scheme; only http and https are allowed.`, {
      context: { scheme: url.protocol },
    });
  }
  if (url.hostname === '') {
    throw new AppError('source_url_invalid', 'The source URL has no host name.', { context: { url: redactUrl(url) } });
  }
  return url;
}

/**
 * The URL as it may appear in logs, errors and records: origin and path only. Credentials,
 * query string (signed URLs carry tokens there) and fragment are dropped.
 */
export function redactUrl(url: URL | string): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return redactUrlText(String(url));
  }
}

/** For text that is not a URL at all: cut the query and any user-info, and the length. */
function redactUrlText(text: string): string {
  const withoutQuery = text.split(/[?#]/, 1)[0] ?? '';
  const withoutUserInfo = withoutQuery.replace(/\/\/[^/@]*@/, '//');
  return withoutUserInfo.length > 100 ? `${withoutUserInfo.slice(0, 100)}…` : withoutUserInfo;
}

/** Hostname without the brackets URL puts around IPv6 literals. */
export function bareHostname(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** Whether the (bare) hostname is an IPv4 or IPv6 literal: Node connects to those without a lookup. */
export function isIpLiteral(hostname: string): boolean {
  const bare = bareHostname(hostname);
  // net.isIP is what Node uses to skip the lookup, so it must never say yes where we say no.
  return isIP(bare) !== 0 || ipaddr.isValid(bare);
}

/**
 * True only for globally routable unicast addresses. Loopback, private (RFC 1918), link-local
 * (cloud metadata lives at 169.254.169.254), unique-local, multicast, unspecified, carrier-grade
 * NAT, reserved and documentation ranges, and IPv6 forms that embed an IPv4 address (mapped,
 * NAT64, 6to4, Teredo) all answer false; IPv4-mapped IPv6 is judged as the IPv4 it carries.
 * Anything that does not parse answers false.
 */
export function isPublicAddress(ip: string): boolean {
  const bare = bareHostname(ip);
  if (!ipaddr.isValid(bare)) return false;
  const addr = ipaddr.process(bare);
  // ::a.b.c.d (deprecated IPv4-compatible) counts as unicast for ipaddr.js but can reach IPv4 hosts.
  if (
    addr.kind() === 'ipv6' &&
    addr
      .toByteArray()
      .slice(0, 12)
      .every((byte) => byte === 0)
  )
    return false;
  return addr.range() === 'unicast';
}

/**
 * Checks that a host may be contacted and returns the addresses to connect to. An IP literal is
 * judged as is (no lookup); a name is resolved and refused if ANY of its addresses is not
 * allowed, so a round-robin record cannot smuggle in an internal address.
 * @throws AppError `source_url_forbidden`, or `source_network_error` when the name does not resolve.
 */
export async function assertHostAllowed(hostname: string, options: HostPolicyOptions): Promise<readonly ResolvedAddress[]> {
  const host = bareHostname(hostname);
  const allowed = options.isAllowedAddress ?? isPublicAddress;
  if (isIpLiteral(host)) {
    if (!options.allowPrivate && !allowed(host, host)) throw forbidden(host, host);
    return [{ address: host, family: host.includes(':') ? 6 : 4 }];
  }
  const addresses = await (options.lookup ?? systemLookup)(host);
  if (addresses.length === 0) {
    throw new AppError('source_network_error', `The source host "${host}" did not resolve to any address.`, { context: { host } });
  }
  if (!options.allowPrivate) {
    const refused = addresses.find((entry) => !allowed(entry.address, host));
    if (refused) throw forbidden(host, refused.address);
  }
  return addresses;
}

function forbidden(host: string, address: string): AppError {
  const via = host === address ? '' : ` resolves to ${address}, which`;
  return new AppError(
    'source_url_forbidden',
    `The source host "${host}"${via} is a private, loopback or link-local address; downloads from such addresses are refused unless ALLOW_PRIVATE_SOURCE_URLS=true.`,
    { context: { host, address } },
  );
}

/**
 * A `lookup` for net/http agents that applies {@link assertHostAllowed} to every connection, so
 * the policy holds for the address actually connected (DNS rebinding, redirects included).
 * Node never calls it for IP literals: check those with {@link assertHostAllowed} first.
 */
export function createGuardedLookup(options: HostPolicyOptions): LookupFunction {
  return (hostname: string, lookupOptions: LookupOptions, callback) => {
    assertHostAllowed(hostname, options).then(
      (addresses) => {
        const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
        const usable: LookupAddress[] = addresses
          .filter((entry) => family === 0 || entry.family === family)
          .map((entry) => ({ address: entry.address, family: entry.family }));
        const first = usable[0];
        if (!first) {
          const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
          callback(err, '', 0);
        } else if (lookupOptions.all === true) {
          callback(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (err: unknown) => callback(err as NodeJS.ErrnoException, '', 0),
    );
  };
}
