import { createKeeperApp } from './keeper-app.js';

// The CLI (cdk.json: npx tsx infra/app.ts) synthesises the app when this process exits.
createKeeperApp();
