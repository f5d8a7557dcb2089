import { type InFlightLeases, type SpendLedger, budgetPeriods } from '@reelay/core';
import type { AdmissionOptions } from './admission-options.ts';
import { scopesFor } from './budget-scopes.ts';

export interface SpendLine {
  spentUsd: number;
  reservedUsd: number;
  /** 0 = no limit. */
  limitUsd: number;
}

export interface ScopeSpend {
  day: SpendLine;
  month: SpendLine;
}

/** What a metrics exporter reads: current periods, spend/reservations per scope, leases held. */
export interface SpendSnapshot {
  day: string;
  month: string;
  global: ScopeSpend;
  tenants: Record<string, ScopeSpend>;
  inFlight: number;
}

export async function readSpendSnapshot(
  options: AdmissionOptions,
  ledger: SpendLedger,
  leases: InFlightLeases,
): Promise<SpendSnapshot> {
  const now = options.clock();
  const { day, month } = budgetPeriods(now, options.dayMs);
  const tenants = await ledger.tenants();
  const rows = tenants.map((t) => scopesFor(options, t, now).scopes);
  const global = scopesFor(options, '', now).scopes.slice(0, 2);
  const all = [...global, ...rows.flatMap((r) => r.slice(2))];
  const figures = await ledger.figures(all);
  const line = (i: number): SpendLine => ({
    spentUsd: figures[i]?.spentUsd ?? 0,
    reservedUsd: figures[i]?.reservedUsd ?? 0,
    limitUsd: all[i]?.limitUsd ?? 0,
  });
  const out: SpendSnapshot = {
    day: day.id,
    month: month.id,
    global: { day: line(0), month: line(1) },
    tenants: {},
    inFlight: await leases.sweep(options.leaseDeadlineMs),
  };
  tenants.forEach((t, i) => {
    out.tenants[t] = { day: line(2 + 2 * i), month: line(3 + 2 * i) };
  });
  return out;
}
