import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashPassword, parsePasswordHash, verifyPassword } from './passwords.ts';
import type { Operator, Role } from './users.ts';

/** Who made a request, once authenticated. */
export interface Principal {
  name: string;
  role: Role;
}

/**
 * A successful check is remembered this long, ms. scrypt costs ~50 ms of a thread pool slot, and the
 * bull-board UI sends a request every few seconds plus a dozen asset loads per page; without this,
 * one operator's tab would keep a libuv thread busy. The cache lives in the process, so a restart
 * with new hashes revokes every old password at once.
 */
const CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX = 256;

/**
 * Verifies Basic credentials against the configured operators. Unknown users cost the same scrypt
 * as known ones (a dummy hash), so timing does not tell which names exist. Cache keys are an HMAC
 * under a per-process random key: the cache never holds a password or a reusable digest of one.
 */
export class OperatorAuth {
  private readonly operators: Map<string, Operator>;
  private readonly cacheKey = randomBytes(32);
  private readonly cache = new Map<string, { principal: Principal; expires: number }>();
  private dummy: ReturnType<typeof parsePasswordHash> | undefined;

  constructor(operators: Map<string, Operator>) {
    this.operators = operators;
  }

  /** The role a request claims by its user name alone, for routing; authentication happens after. */
  claimedRole(authorization: string | undefined): Role | undefined {
    const match = /^\s*basic\s+([\w.~+/-]+=*)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) return undefined;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : this.operators.get(decoded.slice(0, colon))?.role;
  }

  async verify(name: string, password: string): Promise<Principal | undefined> {
    const key = createHmac('sha256', this.cacheKey).update(`${name}\0${password}`).digest('base64url');
    const hit = this.cache.get(key);
    if (hit && hit.expires > Date.now()) return hit.principal;
    const operator = this.operators.get(name);
    const hash = operator?.hash ?? (await this.dummyHash());
    const ok = await verifyPassword(password, hash);
    if (!ok || !operator) return undefined;
    const principal = { name: operator.name, role: operator.role };
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(key, { principal, expires: Date.now() + CACHE_TTL_MS });
    return principal;
  }

  private async dummyHash() {
    this.dummy ??= parsePasswordHash(await hashPassword(randomBytes(16).toString('hex')));
    return this.dummy;
  }
}

/** The @fastify/basic-auth `validate` callback: sets `request.operator` or refuses with 401. */
export function basicAuthValidator(auth: OperatorAuth) {
  return async (name: string, password: string, request: FastifyRequest, _reply: FastifyReply) => {
    const principal = await auth.verify(name, password);
    if (!principal) return new Error('unknown user or wrong password');
    request.operator = principal;
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook; null on the public probes. */
    operator: Principal | null;
  }
}
