import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../vitest.shared.ts';

// The bounded (CI) sizes finish each scenario well within the shared 60 s per test; the full sizes
// (`REELAY_CHAOS_SCALE=full`, `pnpm test:chaos`) run for minutes.
const full = process.env['REELAY_CHAOS_SCALE'] === 'full';

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      testTimeout: full ? 1_800_000 : 120_000,
      hookTimeout: full ? 300_000 : 60_000,
    },
  }),
);
