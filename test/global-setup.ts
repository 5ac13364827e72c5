import { buildFunctionAssets } from '../scripts/build-assets.js';

/** The construct deploys pre-built bundles: build them from the sources under test, once per run. */
export default async function setup(): Promise<void> {
  await buildFunctionAssets();
}
