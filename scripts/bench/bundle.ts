import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FUNCTION_BUNDLE, packageRoot } from '../../infra/function-bundle.js';
import { bundleFunction } from '../build-assets.js';

export const PROJECT_ROOT = packageRoot();

export interface Bundle {
  readonly name: string;
  /** The bundle itself, without its source map. */
  readonly file: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
}

/**
 * Bundles `entry` (relative to the project root) into `outdir/<name>/index.mjs` exactly as the
 * package build bundles the functions it ships (scripts/build-assets.ts).
 */
export async function bundleEntry(name: string, entry: string, outdir: string): Promise<Bundle> {
  const file = join(outdir, name, FUNCTION_BUNDLE.file);
  await bundleFunction(entry, file);
  const [code, map] = await Promise.all([stat(file), stat(`${file}.map`)]);
  return { name, file, bytes: code.size, sourceMapBytes: map.size };
}
