import { setTimeout as sleep } from 'node:timers/promises';
import {
  type GenerationRecord,
  type GenerationStore,
  InFlightLeases,
  RateLog,
  ReelayError,
  SpendLedger,
  pricePerSecond,
} from '@reelay/core';
import type { ProviderResponseInfo } from '@reelay/providers';
import type { Redis } from 'ioredis';
import type { Admission, AdmissionDecision, SettleOutcome } from '../admission.ts';
import {
  type AdmissionOptions,
  type AdmissionOptionsInput,
  resolveAdmissionOptions,
} from './admission-options.ts';
import { scopesFor } from './budget-scopes.ts';
import { learnFromResponse } from './learn.ts';
import { type SpendSnapshot, readSpendSnapshot } from './snapshot.ts';

/**
 * The Admission held in Redis, for all replicas together: budget reservation, then an in-flight
 * lease, then a create slot of the sliding-window limiter — all three or none (a later refusal gives
 * back what an earlier step took in this call). A slot a little ahead is slept to inside the job.
 */
export class RedisAdmission implements Admission {
  readonly options: AdmissionOptions;
  private readonly store: GenerationStore;
  private readonly rate: RateLog;
  private readonly leases: InFlightLeases;
  private readonly ledger: SpendLedger;
  private readonly onError: (error: unknown) => void;

  constructor(
    redis: Redis,
    store: GenerationStore,
    input: AdmissionOptionsInput = {},
    onError: (error: unknown) => void = () => {},
  ) {
    this.options = resolveAdmissionOptions(input);
    this.store = store;
    this.rate = new RateLog(redis, store.prefix);
    this.leases = new InFlightLeases(redis, store.prefix);
    this.ledger = new SpendLedger(redis, store.prefix);
    this.onError = onError;
  }

  /** Estimated cost of the generation's current round, USD. */
  estimateUsd(record: GenerationRecord): number {
    const { model, size, seconds } = record.request;
    const price = pricePerSecond(this.options.prices, model, size, this.options.fallbackUsdPerSecond);
    return round6(price * Number(seconds));
  }

  async admit(record: GenerationRecord): Promise<AdmissionDecision> {
    const o = this.options;
    const round = record.attempts.resubmits;
    const estimate = this.estimateUsd(record);
    const now = o.clock();
    const { scopes, endsAt } = scopesFor(o, record.tenant, now);
    const hopeless = scopes.find((s) => s.limitUsd > 0 && estimate > s.limitUsd);
    if (hopeless) throw overBudget(hopeless, estimate, 'the estimate alone exceeds this budget');

    const budget = await this.ledger.reserve(record.id, round, record.tenant, estimate, scopes);
    if (!budget.reserved) {
      if (o.budgetMode === 'fail') throw overBudget(budget.over, estimate, 'budget exhausted');
      const rollover = (endsAt[budget.over.period] ?? now + o.budgetRecheckMs) - now;
      return {
        admitted: false,
        reason: 'budget',
        retryInMs: Math.min(Math.max(1, rollover), o.budgetRecheckMs),
      };
    }
    const undoBudget = () =>
      budget.created ? this.ledger.release(record.id, round) : Promise.resolve(false);

    let leaseCreated = false;
    if (o.maxInFlight > 0) {
      const lease = await this.leases.take(record.id, o.maxInFlight, o.leaseHoldMs, o.leaseDeadlineMs);
      if (!lease.taken) {
        await undoBudget();
        return {
          admitted: false,
          reason: 'in_flight',
          retryInMs: Math.min(lease.hintMs, o.inFlightRecheckMs),
        };
      }
      leaseCreated = lease.created;
    }

    if (budget.created) await this.store.update(record.id, { cost: { estimatedUsd: estimate } });
    if (o.createLimit > 0) {
      const refused = await this.slot('create', o.createLimit);
      if (refused) {
        if (leaseCreated) await this.leases.release(record.id);
        await undoBudget();
        return refused;
      }
    }
    return { admitted: true };
  }

  async abandon(record: GenerationRecord): Promise<void> {
    // The provider counted the refused request against its window, so the rate slot stays taken.
    if (this.options.maxInFlight > 0) await this.leases.release(record.id);
    await this.ledger.release(record.id, record.attempts.resubmits);
  }

  async settle(record: GenerationRecord, outcome: SettleOutcome): Promise<void> {
    await this.leases.release(record.id);
    const billed =
      outcome.billedSeconds ?? (outcome.status === 'completed' ? Number(record.request.seconds) : 0);
    const { model, size } = record.request;
    const actualUsd = round6(
      billed * pricePerSecond(this.options.prices, model, size, this.options.fallbackUsdPerSecond),
    );
    const closed = await this.ledger.settle(record.id, record.attempts.resubmits, actualUsd);
    if (closed) {
      const estimatedUsd = record.cost?.estimatedUsd ?? this.estimateUsd(record);
      await this.store.update(record.id, { cost: { estimatedUsd, actualUsd } }, { from: '*' });
    }
  }

  async beforeRead(): Promise<AdmissionDecision> {
    if (this.options.readLimit <= 0) return { admitted: true };
    return (await this.slot('read', this.options.readLimit)) ?? { admitted: true };
  }

  /**
   * Takes a rate slot and sleeps to it; returns the refusal, or undefined once the request may go.
   * This is the last step before the request is sent, so nothing slow sits between the slot and the
   * send. A sleep that overslept (a stalled event loop) by more than half the safety margin gives its
   * slot back and takes a new one: sent that late, it could land in the same provider window as the
   * request that was scheduled one window after it.
   */
  private async slot(kind: 'create' | 'read', limit: number): Promise<AdmissionDecision | undefined> {
    const o = this.options;
    for (;;) {
      const slot = await this.rate.acquire(kind, limit, o.windowMs + o.safetyMarginMs, o.reserveHorizonMs);
      if (!slot.admitted) return { admitted: false, reason: 'rate', retryInMs: slot.retryInMs };
      if (slot.waitMs <= 0) return undefined;
      const due = Date.now() + slot.waitMs;
      await sleep(slot.waitMs);
      if (Date.now() - due <= o.safetyMarginMs / 2) return undefined;
      await this.rate.release(kind, slot.slot);
    }
  }

  observe(info: ProviderResponseInfo): void {
    const lesson = learnFromResponse(info);
    if (lesson) this.rate.block(lesson.kind, lesson.blockMs).catch(this.onError);
  }

  /** Spend, reservations and budgets per tenant and global, and leases held: for a metrics exporter. */
  snapshot(): Promise<SpendSnapshot> {
    return readSpendSnapshot(this.options, this.ledger, this.leases);
  }
}

function overBudget(
  scope: { scope: string; period: string; limitUsd: number },
  estimateUsd: number,
  why: string,
): ReelayError {
  return new ReelayError(
    'budget_exceeded',
    `${why}: ${scope.scope} budget for ${scope.period} is $${scope.limitUsd}`,
    {
      details: { scope: scope.scope, period: scope.period, limitUsd: scope.limitUsd, estimateUsd },
    },
  );
}

function round6(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
