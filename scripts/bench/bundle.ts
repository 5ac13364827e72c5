import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FUNCTION_BUNDLE, packageRoot } from '../../infra/function-bundle.js';
import { bundleFunction } from '../build-assets.js';

export const PROJECT_ROOT = packageRoot();

export interface Bundle {
  readonly name: string;
  /** The entry file, which a cold start imports. */
  readonly file: string;
  /** The entry and every chunk, without source maps. */
  readonly bytes: number;
  readonly sourceMapBytes: number;
}

/**
 * Bundles `entry` (relative to the project root) into `outdir/<name>/` exactly as the
 * package build bundles the functions it ships (scripts/build-assets.ts).
 */
export async function bundleEntry(name: string, entry: string, outdir: string): Promise<Bundle> {
  const directory = join(outdir, name);
  await bundleFunction(entry, directory);
  const files = (await readdir(directory, { recursive: true })).filter(
    (path) => path.endsWith('.mjs') || path.endsWith('.mjs.map'),
  );
  const sizes = await Promise.all(
    files.map(async (path) => ({ path, bytes: (await stat(join(directory, path))).size })),
  );
  const total = (suffix: string) =>
    sizes.filter(({ path }) => path.endsWith(suffix)).reduce((sum, { bytes }) => sum + bytes, 0);
  return {
    name,
    file: join(directory, FUNCTION_BUNDLE.file),
    bytes: total('.mjs'),
    sourceMapBytes: total('.mjs.map'),
  };
}
