import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { FUNCTION_BUNDLE } from '../../infra/function-bundle.js';

/** One fresh `node` process importing one bundle. */
export interface ColdStartSample {
  /** From the first line of the child's script to the end of `import()`: the bundle's own cost. */
  readonly importMs: number;
  /** From spawning the process to its exit, as the parent saw it. */
  readonly processMs: number;
}

/**
 * The environment a handler's cold start needs, with dummy values that never reach a network: the
 * contract's variables, a region, and the NODE_OPTIONS the construct sets on every function. Built
 * from scratch rather than inherited, so that NODE_EXTRA_CA_CERTS (about 90 ms per start on this
 * machine) and a developer's AWS settings stay out.
 */
export function coldStartEnvironment(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    ZOHO_ACCOUNTS_URL: 'http://127.0.0.1:1',
    CREDENTIALS_SECRET_ID: 'zoho-token-keeper/bench/credentials',
    ACCESS_TOKEN_SECRET_ID: 'zoho-token-keeper/bench/access-token',
    REFRESH_SCHEDULE_NAME: 'zoho-token-keeper-bench-refresh',
    REFRESH_SCHEDULE_GROUP: 'default',
    STATE_TABLE_NAME: 'zoho-token-keeper-bench-state',
    CONNECTION_NAME: 'bench',
    REFRESH_FUNCTION_NAME: 'zoho-token-keeper-bench-refresh',
    POWERTOOLS_SERVICE_NAME: 'zoho-token-keeper',
    NODE_OPTIONS: FUNCTION_BUNDLE.nodeOptions,
  };
}

/**
 * Imports `file` in a new process of `node` (this one's binary unless given, e.g. the Node major the
 * Lambda runtime runs) and reports how long that took. Throws when the import fails.
 */
export function importInFreshProcess(
  file: string,
  env: NodeJS.ProcessEnv,
  node: string = process.execPath,
): ColdStartSample {
  const script =
    `const started = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); ` +
    'process.stdout.write(String(performance.now() - started)); process.exit(0);';
  const spawnedAt = performance.now();
  const child = spawnSync(node, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  const processMs = performance.now() - spawnedAt;
  const importMs = Number(child.stdout);
  if (child.status !== 0 || !Number.isFinite(importMs)) {
    throw new Error(`Importing ${file} failed (exit ${child.status}): ${child.stderr.slice(0, 2000)}`);
  }
  return { importMs, processMs };
}

/**
 * `rounds` fresh imports of every file, interleaved so that the machine's drift and noise fall on
 * all of them alike; the order rotates each round. One unmeasured round warms the file cache.
 */
export function measureColdStarts(
  files: readonly string[],
  rounds: number,
  env: NodeJS.ProcessEnv = coldStartEnvironment(),
  node: string = process.execPath,
): Map<string, ColdStartSample[]> {
  const samples = new Map<string, ColdStartSample[]>(files.map((file) => [file, []]));
  for (const file of files) importInFreshProcess(file, env, node);
  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < files.length; i += 1) {
      const file = files[(i + round) % files.length];
      if (file) samples.get(file)?.push(importInFreshProcess(file, env, node));
    }
  }
  return samples;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}
