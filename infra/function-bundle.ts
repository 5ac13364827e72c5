/**
 * How every function of the keeper is bundled. The construct hands these to NodejsFunction and the
 * benchmark (scripts/bench) to esbuild, so the bundles measured are the bundles deployed. Plain
 * values, no aws-cdk-lib: the benchmark imports this without loading the CDK.
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
} as const;
