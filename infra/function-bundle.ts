import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How every function of the keeper is bundled. The package build (scripts/build-assets.ts) and the
 * benchmark (scripts/bench) hand these to esbuild, so the bundles measured are the bundles deployed.
 * Plain values and Node built-ins only: the benchmark imports this without loading the CDK, and the
 * compiled construct imports it without esbuild.
 */
export const FUNCTION_BUNDLE = {
  /** The newest Node.js Lambda runtime aws-cdk-lib offers (Runtime.NODEJS_24_X). */
  target: 'node24',
  minify: true,
  sourceMap: true,
  // Stack traces need the mappings, not a second copy of every source file.
  sourcesContent: false,
  mainFields: ['module', 'main'],
  // Some AWS SDK dependencies still call require(); ESM bundles have no require of their own.
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  /** Set as NODE_OPTIONS on every function, so stack traces point into the TypeScript sources. */
  nodeOptions: '--enable-source-maps',
  /** Each bundle is `assets/<function>/index.mjs`, exporting `handler`, with its chunks beside it. */
  file: 'index.mjs',
  entryName: 'index',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  handler: 'index.handler',
} as const;

/** The keeper's functions and their entry points, relative to the package root. */
export const KEEPER_FUNCTIONS = {
  exchange: 'functions/exchange/handler.ts',
  refresh: 'functions/refresh/handler.ts',
  'example-consumer': 'functions/example-consumer/handler.ts',
} as const;

export type KeeperFunctionName = keyof typeof KEEPER_FUNCTIONS;

const PACKAGE_NAME = 'zoho-token-keeper';

/**
 * The folder holding this package's package.json: the checkout when run from source (tsx, tests),
 * `node_modules/zoho-token-keeper` when run compiled from `dist/`. Found by walking up rather than
 * by a fixed `..`, because the two layouts sit at different depths.
 */
export function packageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest) && isThisPackage(manifest)) return directory;
    const parent = dirname(directory);
    if (parent === directory) {
      throw new Error(
        `Cannot find the ${PACKAGE_NAME} package.json above ${fileURLToPath(import.meta.url)}.`,
      );
    }
    directory = parent;
  }
}

/** Where the pre-built bundle of `name` lives: `assets/<name>/` under the package root. */
export function functionAssetDirectory(name: KeeperFunctionName): string {
  return join(packageRoot(), 'assets', name);
}

function isThisPackage(manifest: string): boolean {
  const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
  return parsed !== null && typeof parsed === 'object' && 'name' in parsed && parsed.name === PACKAGE_NAME;
}
