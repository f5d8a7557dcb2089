import { ReelayError } from '@reelay/core';
import { compileAllowList } from './ip-policy.ts';
import { createSigner } from './sign.ts';
import { type CallbackPolicy, type LookupAll, systemLookup } from './ssrf.ts';

/** Options of the notify stage. Every field: unit, default, why. */
export interface NotifyOptions {
  /**
   * The tenant's Standard Webhooks signing secret (`whsec_` + base64), or undefined when it has none.
   * Required: a callback is never sent unsigned, so a tenant without a secret has its callbacks
   * abandoned at once (logged as an error). `tenantSecrets()` builds one from a map.
   */
  secretFor: (tenant: string) => string | undefined;
  /** What callback URLs may reach. Default `{}`: https only, public addresses only. */
  policy: CallbackPolicy;
  /**
   * Whole-request deadline (connect, send, response), ms. Default 10 000: a receiver should
   * acknowledge and work later; a slow one holds a worker slot and is retried anyway.
   */
  timeoutMs: number;
  /**
   * Give up on a callback this long after the generation ended (its `completedAt`), ms. Default 24 h,
   * the window Standard Webhooks senders commonly retry for; past it the producer is better served by
   * reading the record than by a day-old event.
   */
  maxAgeMs: number;
  /** Response bytes read (and discarded) before the socket is closed. Default 64 KiB. */
  maxResponseBytes: number;
  /** `User-Agent` of every callback. Default `Reelay-Webhooks/1`. */
  userAgent: string;
  /**
   * Extra trusted CA certificates (PEM) for https callbacks, added to Node's bundled roots. Default
   * none. For internal receivers whose certificates come from a private CA.
   */
  tlsCa: readonly string[];
  /** DNS resolution (all addresses). Default: the system resolver; tests inject a private answer. */
  lookup: LookupAll;
}

export type NotifyOptionsInput = Partial<Omit<NotifyOptions, 'secretFor'>> & Pick<NotifyOptions, 'secretFor'>;

export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;
export const DEFAULT_NOTIFY_MAX_AGE_MS = 24 * 3600_000;

export function resolveNotifyOptions(input: NotifyOptionsInput): NotifyOptions {
  const policy: CallbackPolicy = {
    allow: [...(input.policy?.allow ?? [])],
    allowHttp: input.policy?.allowHttp ?? false,
  };
  try {
    compileAllowList(policy.allow ?? []);
  } catch (error) {
    throw new ReelayError('config_invalid', (error as Error).message, { param: 'policy.allow' });
  }
  const timeoutMs = input.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
  const maxAgeMs = input.maxAgeMs ?? DEFAULT_NOTIFY_MAX_AGE_MS;
  if (!(timeoutMs > 0))
    throw new ReelayError('config_invalid', 'timeoutMs must be > 0', { param: 'timeoutMs' });
  if (!(maxAgeMs >= 0))
    throw new ReelayError('config_invalid', 'maxAgeMs must be >= 0', { param: 'maxAgeMs' });
  return {
    secretFor: input.secretFor,
    policy,
    timeoutMs,
    maxAgeMs,
    maxResponseBytes: input.maxResponseBytes ?? 64 * 1024,
    userAgent: input.userAgent ?? 'Reelay-Webhooks/1',
    tlsCa: [...(input.tlsCa ?? [])],
    lookup: input.lookup ?? systemLookup,
  };
}

/**
 * `secretFor` from a per-tenant map and an optional fallback for every other tenant. Each secret is
 * checked here, at start-up, so a malformed one fails the process instead of every callback.
 */
export function tenantSecrets(
  perTenant: Readonly<Record<string, string>>,
  fallback?: string,
): (tenant: string) => string | undefined {
  for (const [tenant, secret] of Object.entries(perTenant)) {
    try {
      createSigner(secret);
    } catch (error) {
      throw new ReelayError(
        'config_invalid',
        `callback secret of tenant ${tenant}: ${(error as Error).message}`,
      );
    }
  }
  if (fallback !== undefined) {
    try {
      createSigner(fallback);
    } catch (error) {
      throw new ReelayError('config_invalid', `default callback secret: ${(error as Error).message}`);
    }
  }
  const map = new Map(Object.entries(perTenant));
  return (tenant) => map.get(tenant) ?? fallback;
}
