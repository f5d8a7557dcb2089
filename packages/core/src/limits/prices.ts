/** USD per second of output, per model and size (`WIDTHxHEIGHT`); `*` is the model's other sizes. */
export type PriceTable = Record<string, Record<string, number>>;

/**
 * Defaults from the provider's published prices: sora-2 $0.10/s at every size; sora-2-pro $0.30/s at
 * 720p (720x1280, 1280x720) and $0.50/s at 1024x1792/1792x1024. 1080p (1080x1920/1920x1080, pro only)
 * is not in our reference: $0.70/s is assumed — the next step of the published ladder
 * (+$0.20 per size step), which errs high, so a budget stops early rather than late. Override it with
 * REELAY_PRICES once the gateway in use publishes its figure.
 */
export const DEFAULT_PRICES: PriceTable = {
  'sora-2': { '*': 0.1 },
  'sora-2-pro': {
    '720x1280': 0.3,
    '1280x720': 0.3,
    '1024x1792': 0.5,
    '1792x1024': 0.5,
    '1080x1920': 0.7,
    '1920x1080': 0.7,
  },
};

/**
 * Price per second for a model and size. Dated snapshots (`sora-2-pro-2025-10-06`) use their base
 * model's row. A model the table does not know costs `fallbackUsdPerSecond` (callers default it to the
 * highest price in the table: an unknown model is budgeted as the most expensive, never as free).
 */
export function pricePerSecond(
  table: PriceTable,
  model: string,
  size: string,
  fallbackUsdPerSecond: number,
): number {
  const row = table[model] ?? table[baseModel(table, model) ?? ''];
  if (!row) return fallbackUsdPerSecond;
  return row[size] ?? row['*'] ?? fallbackUsdPerSecond;
}

/** The highest per-second price in the table. */
export function highestPrice(table: PriceTable): number {
  return Math.max(0, ...Object.values(table).flatMap((row) => Object.values(row)));
}

function baseModel(table: PriceTable, model: string): string | undefined {
  return Object.keys(table)
    .filter((name) => model.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0];
}
