import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashes are scrypt (node:crypto, no native add-on): `scrypt$<N>$<r>$<p>$<salt>$<key>`, salt
 * and key base64url. N=2^15, r=8, p=1 follow OWASP's scrypt minimum; one check costs ~50 ms of a
 * libuv thread, which is why auth.ts caches a successful check for a few minutes. A fast hash
 * (sha256) would let anyone who reads the environment brute-force a weak operator password.
 */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
/** scrypt needs 128·N·r bytes; the default 32 MiB cap is exactly N=2^15, so leave room. */
const MAX_MEM = 64 * 1024 * 1024;

export interface PasswordHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  const { N, r, p } = PARAMS;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Throws a message naming what is wrong (never the hash itself). */
export function parsePasswordHash(text: string): PasswordHash {
  const parts = text.split('$');
  const [kind, n, r, p, salt, key] = parts;
  if (parts.length !== 6 || kind !== 'scrypt' || !n || !r || !p || !salt || !key) {
    throw new Error('a password hash must look like scrypt$N$r$p$salt$key (make one with hash-password)');
  }
  const hash = {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt, 'base64url'),
    key: Buffer.from(key, 'base64url'),
  };
  if (![hash.N, hash.r, hash.p].every((v) => Number.isInteger(v) && v > 0) || hash.key.length < 16) {
    throw new Error('a password hash has bad scrypt parameters or a short key');
  }
  return hash;
}

/** Constant-time in the password: the whole key is always derived and compared. */
export async function verifyPassword(password: string, hash: PasswordHash): Promise<boolean> {
  const key = await derive(password, hash.salt, hash, hash.key.length);
  return timingSafeEqual(key, hash.key);
}

function derive(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
  bytes = KEY_BYTES,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, bytes, { ...params, maxmem: MAX_MEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}
