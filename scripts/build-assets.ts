/**
 * `npm run build:assets`: bundles each of the keeper's functions into `assets/<function>/index.mjs`
 * (+ source map), which the construct deploys with `lambda.Code.fromAsset`. Run by the package build
 * (so an installed package needs no bundler), by `cdk synth` (cdk.json) before it runs this repository's app,
 * and once before the tests.
 */
import { rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import {
  FUNCTION_BUNDLE,
  functionAssetDirectory,
  KEEPER_FUNCTIONS,
  type KeeperFunctionName,
  packageRoot,
} from '../infra/function-bundle.js';

/**
 * infra/function-bundle.ts as esbuild options: one ESM entry per function, nothing external, and
 * code that is only loaded with import() (the consumer's Lambda client, the SDK's rarely used
 * credential providers) split into chunks beside it, so a cold start neither parses nor runs it.
 */
export const FUNCTION_BUILD_OPTIONS: Readonly<BuildOptions> = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  splitting: FUNCTION_BUNDLE.splitting,
  entryNames: FUNCTION_BUNDLE.entryName,
  chunkNames: FUNCTION_BUNDLE.chunkNames,
  outExtension: { '.js': '.mjs' },
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

/** Bundles `entry` (relative to the package root) into `outdir`: `index.mjs`, its chunks and their maps. */
export async function bundleFunction(entry: string, outdir: string): Promise<void> {
  await build({ ...FUNCTION_BUILD_OPTIONS, absWorkingDir: packageRoot(), entryPoints: [entry], outdir });
}

/** Rebuilds every function's asset folder from scratch, so no stale file is ever deployed. */
export async function buildFunctionAssets(): Promise<void> {
  await Promise.all(
    (Object.entries(KEEPER_FUNCTIONS) as [KeeperFunctionName, string][]).map(async ([name, entry]) => {
      const directory = functionAssetDirectory(name);
      await rm(directory, { recursive: true, force: true });
      await bundleFunction(entry, directory);
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildFunctionAssets();
}
