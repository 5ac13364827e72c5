/**
 * `npm run build:dist`: compiles the package's entry points (tsconfig.build.json) to CommonJS in
 * `dist/`, with declarations beside them. CommonJS because CDK apps made by `cdk init` are CommonJS
 * and test with Jest, which cannot `require` an ES module; Node's `import` loads CommonJS too, so one
 * build serves both and no app can hold two copies of a construct class.
 *
 * TypeScript writes the declarations and names the files; esbuild turns each of those files into
 * CommonJS on its own (no bundling), since TypeScript 7 cannot emit CommonJS from `import.meta`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { packageRoot } from '../infra/function-bundle.js';

const ROOT = packageRoot();

// `import.meta.url` has no CommonJS meaning; the files that use it get it from their own path.
const IMPORT_META_URL = 'import.meta.url';
const IMPORT_META_URL_SHIM = 'importMetaUrl';

/** The TypeScript sources tsc emitted declarations for, i.e. everything the entry points load. */
function emitDeclarations(outdir: string): string[] {
  const result = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      outdir,
      '--listEmittedFiles',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`tsc failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter((line) => line.startsWith('TSFILE: ') && line.endsWith('.d.ts'))
    .map((line) => join(ROOT, relative(outdir, line.slice('TSFILE: '.length)).replace(/\.d\.ts$/, '.ts')));
}

/** Builds `dist/` (or `outdir`): CommonJS `.js` with source maps, `.d.ts`, and a package.json saying so. */
export async function buildDist(outdir = join(ROOT, 'dist')): Promise<void> {
  const target = resolve(outdir);
  const sources = emitDeclarations(target);
  const usesImportMeta = (file: string) => readFileSync(file, 'utf8').includes(IMPORT_META_URL);
  const common: BuildOptions = {
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outbase: ROOT,
    outdir: target,
    sourcemap: true,
    sourcesContent: true,
    logLevel: 'warning',
  };
  const plain = sources.filter((file) => !usesImportMeta(file));
  const withImportMeta = sources.filter(usesImportMeta);
  await Promise.all([
    build({ ...common, entryPoints: plain }),
    build({
      ...common,
      entryPoints: withImportMeta,
      define: { [IMPORT_META_URL]: IMPORT_META_URL_SHIM },
      banner: { js: `const ${IMPORT_META_URL_SHIM} = require('node:url').pathToFileURL(__filename).href;` },
    }),
  ]);
  // The repository is ESM ("type": "module"); the compiled files are not.
  writeFileSync(join(target, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildDist();
}
