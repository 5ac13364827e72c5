import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  FUNCTION_BUNDLE,
  KEEPER_FUNCTIONS,
  type KeeperFunctionName,
  packageRoot,
} from './function-bundle.js';

/** What every bundle is built from: the function sources, the bundle settings and the locked SDK. */
const BUNDLE_INPUTS = ['functions', join('infra', 'function-bundle.ts'), 'package-lock.json'];

/**
 * In a checkout: why the pre-built function bundles cannot be deployed as they are (one is missing,
 * or older than a source it is built from), or undefined when they are current. The app only reads
 * the bundles; `cdk synth` builds them first (cdk.json), the tests once in their global setup.
 */
export function staleAssetsReason(root: string = packageRoot()): string | undefined {
  const newestInput = Math.max(...BUNDLE_INPUTS.map((input) => newestModification(join(root, input))));
  for (const name of Object.keys(KEEPER_FUNCTIONS) as KeeperFunctionName[]) {
    const bundle = join(root, 'assets', name, FUNCTION_BUNDLE.file);
    const problem = !existsSync(bundle)
      ? 'is missing'
      : statSync(bundle).mtimeMs < newestInput
        ? 'is older than its sources'
        : undefined;
    if (problem) {
      return `The ${name} function's bundle (assets/${name}/${FUNCTION_BUNDLE.file}) ${problem}. Run \`npm run build:assets\`, or \`npx cdk synth\`, which builds the bundles before it runs the app.`;
    }
  }
  return undefined;
}

function newestModification(path: string): number {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestModification(join(path, entry))));
}
