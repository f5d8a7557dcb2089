import { setTimeout as sleep } from 'node:timers/promises';
import {
  type GenerationRecord,
  type GenerationStore,
  InFlightLeases,
  RateLog,
  ReelayError,
  SpendLedger,
  budgetPeriods,
  pricePerSecond,
} from '@reelay/core';
import type { ProviderResponseInfo } from '@reelay/providers';
import type { Redis } from 'ioredis';
import type {
  Admission,
  AdmissionDecision,
  RecordWriteOptions,
  SettleOutcome,
  SettleResult,
} from '../admission.ts';
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
  /** Create slots admitted in this process and not yet reported (`afterCreate`), per generation round. */
  private readonly pendingCreates = new Map<string, string>();

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

  /**
   * Budget, lease, create slot — all or none. The cost is reserved in the budget periods of the
   * instant admission ends (`at`, which submit records as the create's intent time): when a period
   * rolled over while the lease and slot were taken (or slept to), the reservation is moved to the
   * new period, against its limits, before the create may go.
   */
  async admit(record: GenerationRecord, options: RecordWriteOptions = {}): Promise<AdmissionDecision> {
    const o = this.options;
    const defer = options.deferCost === true;
    let now = o.clock();
    let budget = await this.reserveBudget(record, now, defer);
    if (!budget.reserved) return budget.refusal;
    let budgetCreated = budget.created;
    const held = await this.takeLeaseAndSlot(record);
    if (held.refusal) {
      if (budgetCreated) await this.ledger.release(record.id, record.attempts.resubmits);
      return held.refusal;
    }
    for (;;) {
      const at = o.clock();
      if (samePeriods(o, now, at)) {
        // A new reservation's estimate goes on the record: here, or with the caller's next write.
        return defer && budgetCreated
          ? { admitted: true, at, cost: { estimatedUsd: this.estimateUsd(record) } }
          : { admitted: true, at };
      }
      now = at;
      const undo = async () => {
        await this.undoLeaseAndSlot(record, held.leaseCreated);
        if (budgetCreated) await this.ledger.release(record.id, record.attempts.resubmits);
      };
      try {
        budget = await this.reserveBudget(record, now, defer);
      } catch (error) {
        await undo(); // budget_exceeded in fail mode: nothing may stay held
        throw error;
      }
      if (!budget.reserved) {
        await undo();
        return budget.refusal;
      }
      budgetCreated ||= budget.created;
    }
  }

  /** Reserves the round's estimate in the periods of `now`; a refusal says how long to wait, or throws. */
  private async reserveBudget(
    record: GenerationRecord,
    now: number,
    deferCost: boolean,
  ): Promise<{ reserved: true; created: boolean } | { reserved: false; refusal: AdmissionDecision }> {
    const o = this.options;
    const estimate = this.estimateUsd(record);
    const { scopes, endsAt } = scopesFor(o, record.tenant, now);
    const hopeless = scopes.find((s) => s.limitUsd > 0 && estimate > s.limitUsd);
    if (hopeless) throw overBudget(hopeless, estimate, 'the estimate alone exceeds this budget');
    const budget = await this.ledger.reserve(
      record.id,
      record.attempts.resubmits,
      record.tenant,
      estimate,
      scopes,
    );
    if (!budget.reserved) {
      if (o.budgetMode === 'fail') throw overBudget(budget.over, estimate, 'budget exhausted');
      const rollover = (endsAt[budget.over.period] ?? now + o.budgetRecheckMs) - now;
      return {
        reserved: false,
        refusal: {
          admitted: false,
          reason: 'budget',
          retryInMs: Math.min(Math.max(1, rollover), o.budgetRecheckMs),
        },
      };
    }
    if (budget.created && !deferCost)
      await this.store.update(record.id, { cost: { estimatedUsd: estimate } });
    return { reserved: true, created: budget.created };
  }

  /** The in-flight lease, then a create slot (slept to); a refusal gives back the lease it took. */
  private async takeLeaseAndSlot(
    record: GenerationRecord,
  ): Promise<{ refusal?: AdmissionDecision; leaseCreated: boolean }> {
    const o = this.options;
    let leaseCreated = false;
    if (o.maxInFlight > 0) {
      const lease = await this.leases.take(record.id, o.maxInFlight, o.leaseHoldMs, o.leaseDeadlineMs);
      if (!lease.taken) {
        const retryInMs = Math.min(lease.hintMs, o.inFlightRecheckMs);
        return { refusal: { admitted: false, reason: 'in_flight', retryInMs }, leaseCreated };
      }
      leaseCreated = lease.created;
    }
    if (o.createLimit > 0) {
      const slot = await this.rate.acquireToSend(
        'create',
        o.createLimit,
        o.windowMs,
        o.reserveHorizonMs,
        o.createSendBoundMs,
      );
      if (!slot.admitted) {
        if (leaseCreated) await this.leases.release(record.id);
        return {
          refusal: { admitted: false, reason: 'rate', retryInMs: slot.retryInMs },
          leaseCreated: false,
        };
      }
      // A slot of an earlier run of this round that never reported is left to count until its send
      // bound: it may be a run still sending (its lock lapsed), so giving it back could undercount.
      this.pendingCreates.set(createKey(record), slot.slot);
      // Sent late is safe (the entry is dated when the create is answered); early is not: +1 ms
      // against a timer firing on the millisecond before its due time.
      if (slot.waitMs > 0) await sleep(slot.waitMs + 1);
    }
    return { leaseCreated };
  }

  private async undoLeaseAndSlot(record: GenerationRecord, leaseCreated: boolean): Promise<void> {
    await this.afterCreate(record, 'not_sent');
    if (leaseCreated) await this.leases.release(record.id);
  }

  async afterCreate(record: GenerationRecord, outcome: 'answered' | 'unknown' | 'not_sent'): Promise<void> {
    const key = createKey(record);
    const slot = this.pendingCreates.get(key);
    if (!slot) return;
    this.pendingCreates.delete(key);
    const o = this.options;
    if (outcome === 'not_sent') await this.rate.release('create', slot);
    else {
      const inTransit = outcome === 'unknown' ? o.safetyMarginMs : 0;
      await this.rate.sent('create', slot, o.windowMs, o.createSendBoundMs, inTransit);
    }
  }

  async abandon(record: GenerationRecord): Promise<void> {
    // The provider counted the refused request against its window, so the rate slot stays taken.
    if (this.options.maxInFlight > 0) await this.leases.release(record.id);
    await this.ledger.release(record.id, record.attempts.resubmits);
  }

  async settle(
    record: GenerationRecord,
    outcome: SettleOutcome,
    options: RecordWriteOptions = {},
  ): Promise<SettleResult> {
    // Without a cap no lease was taken (as abandon); one left from a capped run is reclaimed by the
    // lease scripts once its record is finished.
    if (this.options.maxInFlight > 0) await this.leases.release(record.id);
    const billed =
      outcome.billedSeconds ?? (outcome.status === 'completed' ? Number(record.request.seconds) : 0);
    const { model, size } = record.request;
    const actualUsd = round6(
      billed * pricePerSecond(this.options.prices, model, size, this.options.fallbackUsdPerSecond),
    );
    const closed = await this.ledger.settle(record.id, record.attempts.resubmits, actualUsd);
    if (!closed) return {};
    const cost = { estimatedUsd: record.cost?.estimatedUsd ?? this.estimateUsd(record), actualUsd };
    if (options.deferCost) return { cost };
    await this.store.update(record.id, { cost }, { from: '*' });
    return {};
  }

  async beforeRead(): Promise<AdmissionDecision> {
    if (this.options.readLimit <= 0) return { admitted: true };
    return (await this.slot('read', this.options.readLimit)) ?? { admitted: true };
  }

  /**
   * Reads: takes a slot of the admission-dated log and sleeps to it; returns the refusal, or
   * undefined once the request may go. The stages call it right before the read. A sleep that overslept (a stalled event loop) by more than half the safety margin gives its
   * slot back and takes a new one: sent that late, it could land in the same provider window as the
   * request that was scheduled one window after it.
   */
  private async slot(kind: 'read', limit: number): Promise<AdmissionDecision | undefined> {
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

function samePeriods(o: AdmissionOptions, a: number, b: number): boolean {
  const x = budgetPeriods(a, o.dayMs);
  const y = budgetPeriods(b, o.dayMs);
  return x.day.id === y.day.id && x.month.id === y.month.id;
}

function createKey(record: GenerationRecord): string {
  return `${record.id}:${record.attempts.resubmits}`;
}

function round6(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
