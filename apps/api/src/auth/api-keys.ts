import { hash, timingSafeEqual } from 'node:crypto';

/** One accepted key: only its sha256 is held, so a leaked config or heap dump reveals no key. */
export interface ApiKeyEntry {
  tenant: string;
  /** sha256 of the key, 32 bytes. */
  hash: Buffer;
  /** The same, hex: the per-key rate limit is keyed on it (never on the key). */
  hashHex: string;
}

export interface Caller {
  tenant: string;
  keyHash: string;
}

const TENANT = /^[A-Za-z0-9_.-]{1,64}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * `REELAY_API_KEYS`: comma list of `tenant:<sha256 hex of the key>`. Make one with
 * `printf %s "$KEY" | sha256sum`. Throws a message naming the bad entry by position (never its value).
 */
export function parseApiKeys(value: string): ApiKeyEntry[] {
  const entries: ApiKeyEntry[] = [];
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  parts.forEach((part, index) => {
    const colon = part.lastIndexOf(':');
    const tenant = part.slice(0, colon);
    const hex = part.slice(colon + 1).toLowerCase();
    if (colon < 1 || !TENANT.test(tenant) || !HEX64.test(hex)) {
      throw new Error(
        `entry ${index + 1} must be tenant:<sha256 hex of the key> (tenant: letters, digits, _ . -; hash: 64 hex digits)`,
      );
    }
    entries.push({ tenant, hash: Buffer.from(hex, 'hex'), hashHex: hex });
  });
  return entries;
}

export function hashApiKey(key: string): Buffer {
  // The one-shot `crypto.hash` (no Hash object per request): the same digest, a third of the cost.
  return hash('sha256', key, 'buffer');
}

/**
 * The caller behind an `Authorization: Bearer <key>` header, or undefined. Every entry is compared,
 * in constant time, whichever matches: the time taken says nothing about which hash was close.
 */
export function authenticate(
  keys: readonly ApiKeyEntry[],
  authorization: string | string[] | undefined,
): Caller | undefined {
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) return undefined;
  const presented = hashApiKey(match[1]!);
  let found: ApiKeyEntry | undefined;
  for (const entry of keys) {
    if (timingSafeEqual(presented, entry.hash) && found === undefined) found = entry;
  }
  return found && { tenant: found.tenant, keyHash: found.hashHex };
}
