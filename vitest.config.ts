import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/support/summary-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Mastra reads these when its modules are first evaluated.
    env: { MASTRA_TELEMETRY_DISABLED: '1', MASTRA_OFFLINE: '1' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most of a test file's time is waiting on its servers (Mastra, Redis, nginx, the spawned bins), so two
    // files at once keep two cores busy: the suite takes about 4.5 minutes on two cores instead of 7.
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default', new SummaryReporter()],
  },
});
