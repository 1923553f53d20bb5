import { defineConfig } from 'vitest/config';

// Browser tests against a running Agora server (AGORA_URL), driven by playwright-core and
// the system Chromium. Run with `npm run e2e`.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    retry: 0,
  },
});
