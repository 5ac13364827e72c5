import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { FUNCTION_BUNDLE } from '../../infra/function-bundle.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The esbuild options NodejsFunction derives from infra/function-bundle.ts (format ESM, run from
 * the project root, `--bundle --platform=node`, no external modules), so the bundles measured here
 * are the ones the construct deploys.
 */
export const CONSTRUCT_BUNDLING: Readonly<BuildOptions> = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: FUNCTION_BUNDLE.target,
  minify: FUNCTION_BUNDLE.minify,
  sourcemap: FUNCTION_BUNDLE.sourceMap,
  sourcesContent: FUNCTION_BUNDLE.sourcesContent,
  mainFields: [...FUNCTION_BUNDLE.mainFields],
  banner: { js: FUNCTION_BUNDLE.banner },
  external: [],
  absWorkingDir: PROJECT_ROOT,
  logLevel: 'silent',
};

export interface Bundle {
  readonly name: string;
  /** The bundle itself, without its source map. */
  readonly file: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
}

/** Bundles `entry` (relative to the project root) into `outdir/<name>/index.mjs`, as CDK would. */
export async function bundleEntry(name: string, entry: string, outdir: string): Promise<Bundle> {
  const file = join(outdir, name, 'index.mjs');
  await build({ ...CONSTRUCT_BUNDLING, entryPoints: [entry], outfile: file });
  const [code, map] = await Promise.all([stat(file), stat(`${file}.map`)]);
  return { name, file, bytes: code.size, sourceMapBytes: map.size };
}
