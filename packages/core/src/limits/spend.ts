import type { Redis } from 'ioredis';
import { type LimitKeys, limitKeys } from './keys.ts';
import { script } from './scripts.ts';
import { CLOSE_SCRIPT, RESERVE_SCRIPT } from './spend-script.ts';

/** One budget a reservation is counted against: a scope (`global`, `tenant:<id>`) in one period. */
export interface BudgetScope {
  scope: string;
  period: string;
  /** Limit in USD for this scope and period; 0 = none (still counted, for metrics). */
  limitUsd: number;
  /**
   * When the period ends, ms. Given, its spend key's ttl is set once, reaching KEY_TTL_S past that end
   * (and at least KEY_TTL_S from now), not pushed out by every reservation; absent, it is pushed out to
   * KEY_TTL_S from now by every reservation.
   */
  endsAt?: number;
}

/** What a scope has spent and holds reserved in one period, USD. */
export interface SpendFigures {
  scope: string;
  period: string;
  spentUsd: number;
  reservedUsd: number;
}

const MICRO = 1_000_000;
/** Spend keys outlive their period (by this long after its end) so a month's figures can be read after it ends. */
const KEY_TTL_S = 40 * 24 * 3600;

const toMicro = (usd: number) => Math.round(usd * MICRO);

/** Ttl of a spend key set once: past its period's end by KEY_TTL_S, never less than KEY_TTL_S from now. */
const onceTtlS = (endsAt: number) => KEY_TTL_S + Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));

/**
 * Cost reservations and spend per budget scope and period, in Redis (integer micro-dollars, so
 * concurrent increments never drift). Reserve at admission, settle at completion, release when the
 * create created nothing. Every step is one Lua script and idempotent per generation round.
 */
export class SpendLedger {
  private readonly redis: Redis;
  private readonly keys: LimitKeys;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.keys = limitKeys(prefix);
  }

  /**
   * Reserves `usd` for the round in the given scopes. Idempotent per round; a round still reserved in
   * other periods (admitted before a rollover, nothing sent) is moved to these, against their limits.
   */
  async reserve(
    generationId: string,
    round: number,
    tenant: string,
    usd: number,
    scopes: readonly BudgetScope[],
  ): Promise<{ reserved: true; created: boolean; moved: boolean } | { reserved: false; over: BudgetScope }> {
    const [ok, value] = (await script(this.redis, 'reelaySpendReserve', null, RESERVE_SCRIPT)(
      2 + scopes.length,
      this.keys.reservation(generationId, round),
      this.keys.tenants,
      ...scopes.map((s) => this.keys.spend(s.scope, s.period)),
      toMicro(usd),
      tenant,
      KEY_TTL_S,
      ...scopes.map((s) => toMicro(s.limitUsd)),
      ...scopes.map((s) => (s.endsAt === undefined ? 0 : onceTtlS(s.endsAt))),
    )) as [number, number];
    if (ok === 1) return { reserved: true, created: value === 1, moved: value === 2 };
    const over = scopes[value - 1];
    if (!over) throw new Error(`spend reserve returned an unknown scope index ${value}`);
    return { reserved: false, over };
  }

  /** The round's actual cost becomes spend. Returns false when it was closed already. */
  async settle(generationId: string, round: number, actualUsd: number): Promise<boolean> {
    return this.close(generationId, round, actualUsd, 'settled');
  }

  /** The round created nothing: its reservation is given back. */
  async release(generationId: string, round: number): Promise<boolean> {
    return this.close(generationId, round, 0, 'released');
  }

  /** Spend and reservations of the given scopes in the given periods. */
  async figures(scopes: ReadonlyArray<{ scope: string; period: string }>): Promise<SpendFigures[]> {
    const pipeline = this.redis.pipeline();
    for (const s of scopes) pipeline.hmget(this.keys.spend(s.scope, s.period), 'spent', 'reserved');
    const results = (await pipeline.exec()) ?? [];
    return scopes.map((s, i) => {
      const [spent, reserved] = (results[i]?.[1] as Array<string | null> | undefined) ?? [];
      return {
        scope: s.scope,
        period: s.period,
        spentUsd: Number(spent ?? 0) / MICRO,
        reservedUsd: Number(reserved ?? 0) / MICRO,
      };
    });
  }

  /** Every tenant that has reserved, for metrics. */
  async tenants(): Promise<string[]> {
    return this.redis.smembers(this.keys.tenants);
  }

  private async close(id: string, round: number, usd: number, state: 'settled' | 'released') {
    const [ok] = (await script(
      this.redis,
      'reelaySpendClose',
      1,
      CLOSE_SCRIPT,
    )(this.keys.reservation(id, round), toMicro(usd), state)) as [number, unknown];
    return ok === 1;
  }
}
