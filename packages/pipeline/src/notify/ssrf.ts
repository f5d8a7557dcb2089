import { lookup as dnsLookup } from 'node:dns/promises';
import { ReelayError } from '@reelay/core';
import {
  type CompiledAllowList,
  addressAllowed,
  blockedReason,
  compileAllowList,
  normaliseHostName,
  parseAddress,
} from './ip-policy.ts';

/** What a callback URL may point at. */
export interface CallbackPolicy {
  /**
   * Host names, IP addresses or CIDRs allowed although private or local (an internal receiver, a
   * test server on 127.0.0.1). A host name here may resolve to anything. Default: none.
   */
  allow?: readonly string[];
  /** Accept `http:` as well as `https:`. Default false: a callback carries data a producer may not want in clear. */
  allowHttp?: boolean;
}

/** A URL that passed every check, with the one address the request must go to. */
export interface CheckedCallback {
  url: URL;
  address: string;
  family: 4 | 6;
}

/** `dns.promises.lookup(host, { all: true })`, injectable so tests can play a DNS that answers privately. */
export type LookupAll = (hostname: string) => Promise<ReadonlyArray<{ address: string; family: number }>>;

export const systemLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, order: 'verbatim' });

/**
 * Names that reach the machine itself or a cloud metadata service whatever DNS says (or before DNS
 * is asked: `localhost` resolves from /etc/hosts, metadata names from the cloud's resolver only).
 */
const BLOCKED_NAMES = new Set([
  'localhost',
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);
const BLOCKED_SUFFIXES = ['.localhost']; // RFC 6761: every *.localhost name is loopback

function refuse(message: string, details?: Record<string, unknown>): ReelayError {
  return new ReelayError('invalid_request', message, {
    param: 'callbackUrl',
    ...(details ? { details } : {}),
  });
}

/**
 * The checks that need no DNS: scheme, credentials, IP literals in any spelling, local and metadata
 * names. Returns the parsed URL and, for an IP literal, the address. Usable at enqueue time to refuse
 * a bad callback URL before any work is done.
 */
export function parseCallbackUrl(
  raw: string,
  policy: CallbackPolicy = {},
  allow: CompiledAllowList = compileAllowList(policy.allow ?? []),
): { url: URL; host: string; literal?: { address: string; family: 4 | 6 } } {
  let url: URL;
  try {
    // WHATWG parsing turns every IPv4 spelling (2130706433, 0x7f.1, 0177.0.0.1, %31..., full-width
    // digits) into dotted decimal, and IPv6 into its canonical form, so the checks below see one form.
    url = new URL(raw);
  } catch {
    throw refuse('callbackUrl is not a valid absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw refuse(`callbackUrl must use https${policy.allowHttp ? ' or http' : ''}, not ${url.protocol}`);
  }
  if (url.protocol === 'http:' && !policy.allowHttp) {
    throw refuse('callbackUrl must use https (plain http is not allowed by the callback policy)');
  }
  if (url.username !== '' || url.password !== '') {
    throw refuse('callbackUrl must not carry credentials (user:password@); authenticate with the signature');
  }
  const host = normaliseHostName(url.hostname.replace(/^\[|\]$/g, ''));
  if (host === '') throw refuse('callbackUrl has no host');

  // ipaddr.js also reads the inet_aton spellings, so a form the URL parser left as a "name" but a
  // resolver would take for an address is caught here too.
  const literal = parseAddress(host);
  if (literal) {
    const reason = blockedReason(literal);
    if (reason && !addressAllowed(allow, literal)) {
      throw refuse(`callbackUrl host ${url.hostname} is ${reason}`, { reason: 'blocked_address' });
    }
    return { url, host, literal: { address: literal.toString(), family: literal.kind() === 'ipv4' ? 4 : 6 } };
  }
  if (!allow.hosts.has(host) && (BLOCKED_NAMES.has(host) || BLOCKED_SUFFIXES.some((s) => host.endsWith(s)))) {
    throw refuse(`callbackUrl host ${host} is a local or cloud metadata name`, { reason: 'blocked_name' });
  }
  return { url, host };
}

/**
 * Checks a callback URL and resolves the address to send to: the static checks, then DNS — refused
 * when ANY address the name resolves to is blocked (an attacker's name can answer a public and a
 * private address and let the connection race pick). The caller must connect to the returned address
 * (not resolve again), or a DNS answer that changes between check and connect defeats the check.
 */
export async function checkCallbackUrl(
  raw: string,
  policy: CallbackPolicy = {},
  options: { lookup?: LookupAll } = {},
): Promise<CheckedCallback> {
  const allow = compileAllowList(policy.allow ?? []);
  const { url, host, literal } = parseCallbackUrl(raw, policy, allow);
  if (literal) return { url, ...literal };

  let answers: ReadonlyArray<{ address: string; family: number }>;
  try {
    answers = await (options.lookup ?? systemLookup)(host);
  } catch (error) {
    // A name that does not resolve now may resolve later (the producer's DNS): retry, do not refuse.
    throw new ReelayError('transient', `callbackUrl host ${host} did not resolve`, {
      retryable: true,
      param: 'callbackUrl',
      cause: error,
    });
  }
  if (answers.length === 0) {
    throw new ReelayError('transient', `callbackUrl host ${host} resolved to no address`, {
      retryable: true,
      param: 'callbackUrl',
    });
  }
  const hostAllowed = allow.hosts.has(host);
  let first: { address: string; family: 4 | 6 } | undefined;
  for (const answer of answers) {
    const address = parseAddress(answer.address);
    if (!address) throw refuse(`callbackUrl host ${host} resolved to something that is not an address`);
    const reason = blockedReason(address);
    if (reason && !hostAllowed && !addressAllowed(allow, address)) {
      // The resolved address is not named: it may be an internal one the producer should not learn.
      throw refuse(`callbackUrl host ${host} resolves to ${reason}`, { reason: 'blocked_resolution' });
    }
    first ??= { address: address.toString(), family: address.kind() === 'ipv4' ? 4 : 6 };
  }
  return { url, ...first! };
}
