import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Synth and bundling tests are CPU-bound; two workers match the two-core machines CI runs on.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Never let a developer's AWS profile or region leak into tests.
    env: {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_PROFILE: '',
    },
  },
});
