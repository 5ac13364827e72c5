/**
 * `npm run build:assets`: bundles each of the keeper's functions into `assets/<function>/index.mjs`
 * (+ source map), which the construct deploys with `lambda.Code.fromAsset`. Run by the package build
 * (so an installed package needs no bundler), by this repository's CDK app before it synthesises,
 * and once before the tests.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import {
  FUNCTION_BUNDLE,
  functionAssetDirectory,
  KEEPER_FUNCTIONS,
  type KeeperFunctionName,
  packageRoot,
} from '../infra/function-bundle.js';

/** infra/function-bundle.ts as esbuild options: one ESM file per function, nothing external. */
export const FUNCTION_BUILD_OPTIONS: Readonly<BuildOptions> = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: FUNCTION_BUNDLE.target,
  minify: FUNCTION_BUNDLE.minify,
  sourcemap: FUNCTION_BUNDLE.sourceMap,
  sourcesContent: FUNCTION_BUNDLE.sourcesContent,
  mainFields: [...FUNCTION_BUNDLE.mainFields],
  banner: { js: FUNCTION_BUNDLE.banner },
  // The SDK is bundled too, so the deployed versions are the ones package-lock.json pinned for the tests.
  external: [],
  logLevel: 'silent',
};

/** Bundles `entry` (relative to the package root) into `outfile` and its `.map`. */
export async function bundleFunction(entry: string, outfile: string): Promise<void> {
  await build({ ...FUNCTION_BUILD_OPTIONS, absWorkingDir: packageRoot(), entryPoints: [entry], outfile });
}

/** Rebuilds every function's asset folder from scratch, so no stale file is ever deployed. */
export async function buildFunctionAssets(): Promise<void> {
  await Promise.all(
    (Object.entries(KEEPER_FUNCTIONS) as [KeeperFunctionName, string][]).map(async ([name, entry]) => {
      const directory = functionAssetDirectory(name);
      await rm(directory, { recursive: true, force: true });
      await bundleFunction(entry, join(directory, FUNCTION_BUNDLE.file));
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildFunctionAssets();
}
