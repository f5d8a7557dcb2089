import { describe, expect, it } from 'vitest';
import { type SpendReading, createMetrics } from '../src/index.ts';

const line = (spentUsd: number, reservedUsd: number, limitUsd: number) => ({
  spentUsd,
  reservedUsd,
  limitUsd,
});

// What the admission's snapshot() reports: global and per-tenant lines per period.
const reading: SpendReading = {
  global: { day: line(10, 2.5, 100), month: line(40, 2.5, 0) },
  tenants: {
    acme: { day: line(6, 2.5, 20), month: line(30, 2.5, 300) },
    globex: { day: line(4, 0, 50), month: line(10, 0, 200) },
  },
  inFlight: 3,
};

describe('spend and budget gauges', () => {
  it('report spent + reserved and the budget per scope and period; scope=tenant is the highest tenant', async () => {
    const metrics = createMetrics({ spend: async () => reading, inFlightCap: 8, processMetrics: false });
    const json = await metrics.registry.getMetricsAsJSON();
    const values = (name: string) =>
      Object.fromEntries(
        (json.find((m) => m.name === name)?.values ?? []).map((v) => [
          `${String(v.labels['scope'])}/${String(v.labels['period'])}`,
          v.value,
        ]),
      );
    expect(values('reelay_spend_usd')).toEqual({
      'global/day': 12.5,
      'global/month': 42.5,
      'tenant/day': 8.5,
      'tenant/month': 32.5,
    });
    expect(values('reelay_budget_usd')).toEqual({
      'global/day': 100,
      'global/month': 0,
      'tenant/day': 50,
      'tenant/month': 300,
    });
    expect(json.find((m) => m.name === 'reelay_in_flight')?.values[0]?.value).toBe(3);
    expect(json.find((m) => m.name === 'reelay_in_flight_cap')?.values[0]?.value).toBe(8);
  });

  it('without tenants, scope=tenant reads 0', async () => {
    const metrics = createMetrics({
      spend: async () => ({ ...reading, tenants: {} }),
      processMetrics: false,
    });
    const text = (await metrics.render()).body;
    expect(text).toContain('reelay_spend_usd{scope="tenant",period="day"} 0');
    expect(text).toContain('reelay_budget_usd{scope="tenant",period="month"} 0');
  });
});
