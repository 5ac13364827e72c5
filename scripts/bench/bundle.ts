import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The esbuild options of infra/keeper-function.ts, which does not export them: its NodejsFunction
 * `bundling` props (format ESM, target node24, minify, source map without sources content, main
 * fields module then main, the createRequire banner, no external modules) as aws-cdk-lib turns them
 * into esbuild arguments (`--bundle --platform=node --outfile=index.mjs ...`, run from the project
 * root). Keep the two in step: a change there is a change here.
 */
export const CONSTRUCT_BUNDLING: Readonly<BuildOptions> = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
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
