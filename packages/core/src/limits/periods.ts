/** A budget period: its name in keys and when the next one starts (ms). */
export interface Period {
  id: string;
  endsAt: number;
}

export const DAY_MS = 86_400_000;

/**
 * The day and month containing `now`. With a real day (the default) they are UTC calendar days and
 * months, as providers bill. A shorter `dayMs` (tests, demos) makes days of that length counted from
 * the epoch and months of 30 such days, so a rollover can be watched without waiting for midnight.
 */
export function budgetPeriods(now: number, dayMs = DAY_MS): { day: Period; month: Period } {
  if (dayMs === DAY_MS) {
    const d = new Date(now);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    const dayStart = Date.UTC(y, m, d.getUTCDate());
    return {
      day: { id: new Date(dayStart).toISOString().slice(0, 10), endsAt: dayStart + DAY_MS },
      month: { id: new Date(dayStart).toISOString().slice(0, 7), endsAt: Date.UTC(y, m + 1, 1) },
    };
  }
  const day = Math.floor(now / dayMs);
  const month = Math.floor(day / 30);
  return {
    day: { id: `d${day}`, endsAt: (day + 1) * dayMs },
    month: { id: `m${month}`, endsAt: (month + 1) * 30 * dayMs },
  };
}
