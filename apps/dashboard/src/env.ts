import { DEFAULT_PREFIX, ValidationError, envField, parseEnv } from '@reelay/core';
import { z } from 'zod';
import { type Operator, parseOperators } from './auth/users.ts';

/** Hosts the insecure dev mode may bind: nothing off this machine can reach them. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1'] as const;

/** The dashboard's whole environment, parsed once at start. One comment per variable. */
export const dashboardEnvSchema = z.object({
  /** Redis holding the queues, records and limits (the one the workers use). */
  REDIS_URL: envField.url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  /** Key prefix of every queue and record; must carry a Cluster hash tag, and match the workers'. */
  REELAY_PREFIX: z
    .string()
    .regex(/\{[^{}]+\}/, 'must contain a hash tag like {reelay}')
    .default(DEFAULT_PREFIX),
  /** TCP port; 0 = any free port (the chosen one is in the `listening` line). */
  REELAY_DASHBOARD_PORT: envField.int({ min: 0, max: 65535, default: 3000 }),
  /** Interface to bind. Default 0.0.0.0 (a pod behind a Service); auth is required there. */
  REELAY_DASHBOARD_HOST: z.string().min(1).default('0.0.0.0'),
  /**
   * Operators, `name:role:hash` comma-separated; role `admin` or `readonly`; hash from
   * `pnpm --filter @reelay/dashboard hash-password`. Required unless REELAY_DASHBOARD_INSECURE.
   */
  REELAY_DASHBOARD_USERS: z
    .string()
    .optional()
    .transform((text, ctx): Map<string, Operator> | undefined => {
      if (text === undefined || text.trim() === '') return undefined;
      try {
        return parseOperators(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** Local development only: no authentication (everyone is admin). Refused unless bound to loopback. */
  REELAY_DASHBOARD_INSECURE: envField.bool(false),
  /** The in-flight cap the workers run with (their REELAY_MAX_IN_FLIGHT), shown against what is held; 0 = none. */
  REELAY_MAX_IN_FLIGHT: envField.int({ min: 0, default: 0 }),
  /** The workers' budgets in USD (same variables), shown against what is spent; 0 = none. */
  REELAY_BUDGET_GLOBAL_DAILY_USD: envField.number({ min: 0, default: 0 }),
  REELAY_BUDGET_GLOBAL_MONTHLY_USD: envField.number({ min: 0, default: 0 }),
  REELAY_BUDGET_TENANT_DAILY_USD: envField.number({ min: 0, default: 0 }),
  REELAY_BUDGET_TENANT_MONTHLY_USD: envField.number({ min: 0, default: 0 }),
  /** Per-tenant overrides, JSON `{"tenant": {"dailyUsd": 5, "monthlyUsd": 100}}` (as the workers'). */
  REELAY_BUDGET_TENANTS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return {};
      const shape = z.record(
        z.string(),
        z.object({ dailyUsd: z.number().min(0).optional(), monthlyUsd: z.number().min(0).optional() }),
      );
      try {
        const parsed = shape.safeParse(JSON.parse(text));
        if (parsed.success) return parsed.data;
      } catch {}
      ctx.addIssue({ code: 'custom', message: 'must be JSON like {"acme":{"dailyUsd":5}}' });
      return z.NEVER;
    }),
  /** Length of a budget day, ms, as the workers' (shortened only in tests and demos). */
  REELAY_BUDGET_DAY_MS: envField.int({ min: 100, default: 86_400_000 }),
  /** On SIGTERM, how long in-flight requests may finish before the process exits anyway, ms. */
  REELAY_SHUTDOWN_TIMEOUT_MS: envField.int({ min: 0, default: 10_000 }),
});
export type DashboardEnv = z.infer<typeof dashboardEnvSchema>;

/**
 * Parses the environment and refuses an unauthenticated dashboard: credentials are required, unless
 * REELAY_DASHBOARD_INSECURE=true and the bind address is loopback (then nothing else can reach it).
 */
export function loadDashboardEnv(env: Record<string, string | undefined> = process.env): DashboardEnv {
  const parsed = parseEnv(dashboardEnvSchema, env);
  const host = parsed.REELAY_DASHBOARD_HOST;
  const loopback = (LOOPBACK_HOSTS as readonly string[]).includes(host);
  if (parsed.REELAY_DASHBOARD_INSECURE) {
    if (parsed.REELAY_DASHBOARD_USERS) {
      refuse('REELAY_DASHBOARD_INSECURE', 'turns authentication off; unset it or REELAY_DASHBOARD_USERS');
    }
    if (!loopback) {
      refuse(
        'REELAY_DASHBOARD_INSECURE',
        `allowed only with REELAY_DASHBOARD_HOST=127.0.0.1 or ::1 (got ${host}): ` +
          'an unauthenticated dashboard may retry and clean jobs',
      );
    }
  } else if (!parsed.REELAY_DASHBOARD_USERS) {
    refuse(
      'REELAY_DASHBOARD_USERS',
      'required: operator credentials (name:role:hash, see apps/dashboard/README.md); ' +
        'for local development only, REELAY_DASHBOARD_INSECURE=true with REELAY_DASHBOARD_HOST=127.0.0.1',
    );
  }
  return parsed;
}

function refuse(path: string, message: string): never {
  throw new ValidationError(
    `invalid environment:\n  ${path}: ${message}`,
    [{ path, message }],
    'config_invalid',
  );
}
