import { type BudgetScope, budgetPeriods } from '@reelay/core';
import type { AdmissionOptions } from './admission-options.ts';

/** The four budgets a generation counts against now: global and its tenant's, per day and per month. */
export function scopesFor(options: AdmissionOptions, tenant: string, now: number) {
  const { day, month } = budgetPeriods(now, options.dayMs);
  const b = options.budgets;
  const own = b.tenants[tenant];
  const scopes: BudgetScope[] = [
    { scope: 'global', period: day.id, limitUsd: b.globalDailyUsd, endsAt: day.endsAt },
    { scope: 'global', period: month.id, limitUsd: b.globalMonthlyUsd, endsAt: month.endsAt },
    {
      scope: `tenant:${tenant}`,
      period: day.id,
      limitUsd: own?.dailyUsd ?? b.tenantDailyUsd,
      endsAt: day.endsAt,
    },
    {
      scope: `tenant:${tenant}`,
      period: month.id,
      limitUsd: own?.monthlyUsd ?? b.tenantMonthlyUsd,
      endsAt: month.endsAt,
    },
  ];
  return { scopes, endsAt: { [day.id]: day.endsAt, [month.id]: month.endsAt } as Record<string, number> };
}
