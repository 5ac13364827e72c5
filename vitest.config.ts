import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The test apps' own tests run under Jest, in the apps the install test makes.
    exclude: [...configDefaults.exclude, 'test/package/app/**', 'test/package/classic-app/**'],
    globalSetup: ['test/global-setup.ts', 'test/dynalite-setup.ts'],
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
      // The SDK warns once per process that Node 20 support ends in 2027; the deployed functions run
      // Node 22, and one warning per worker and child process buries the test report.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
