import { staleAssetsReason } from './checkout-assets.js';
import { runKeeperApp } from './keeper-app.js';

// This checkout's app deploys this checkout's handlers. cdk.json builds their bundles before it runs
// this file; the app itself only reads them, so that a synth inside the test run never rewrites
// what other tests are reading.
const stale = staleAssetsReason();
if (stale) {
  process.stderr.write(`Error: ${stale}\n`);
  process.exitCode = 1;
} else {
  // The CLI synthesises the app when this process exits; a configuration mistake sets exit code 1
  // instead, after printing what to fix.
  process.exitCode = runKeeperApp();
}
