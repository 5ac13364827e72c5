import { runKeeperApp } from './keeper-app.js';

// The CLI (cdk.json: npx tsx infra/app.ts) synthesises the app when this process exits; a
// configuration mistake sets exit code 1 instead, after printing what to fix.
process.exitCode = runKeeperApp();
