import { defineConfig } from 'vitest/config';

// One test configuration for every package. Real services (Redis, s3rver, the simulator, worker
// processes) take longer to reach than mocks, hence the generous timeouts; nothing here retries a
// failed test.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    retry: 0,
    // One test file at a time: most suites start Redis servers, simulators and worker processes, and
    // on a 2-core machine two such suites side by side starve each other's timing.
    fileParallelism: false,
    reporters: ['default', ['json', { outputFile: '.reports/vitest.json' }]],
  },
});
