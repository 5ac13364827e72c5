import { buildFunctionAssets } from '../scripts/build-assets.js';
import { runKeeperApp } from './keeper-app.js';

// This checkout's app deploys this checkout's handlers: rebuild their bundles (a few seconds) so a
// synth never picks up stale ones.
await buildFunctionAssets();

// The CLI (cdk.json: npx tsx infra/app.ts) synthesises the app when this process exits; a
// configuration mistake sets exit code 1 instead, after printing what to fix.
process.exitCode = runKeeperApp();
