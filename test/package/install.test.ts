import { execFile, type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../functions/lib/connection-status.js';
import { KEEPER_FUNCTIONS, packageRoot } from '../../infra/function-bundle.js';
import { cloudWatchResult, LocalAws, lambdaResult } from '../cli/aws-endpoint.js';
import { type Lock, lockedVersion, lockSubset } from './lock-subset.js';

// Packs this package, installs the tarball into a fresh CDK app shaped like `cdk init app --language
// typescript` (plus the strictest common compiler options) and synthesises that app, as a new user
// would. Offline: everything comes from the npm cache that `npm ci` filled. Slow on purpose, so every
// step gets minutes, not a real-time budget.
const STEP_TIMEOUT_MS = 240_000;
const ROOT = packageRoot();
const APP_FIXTURE = join(ROOT, 'test', 'package', 'app');
const LOCK: Lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
const MANIFEST: {
  version: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  bin: Record<string, string>;
} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** What a user installs next to the package; `typescript-5` serves ts-node, which TypeScript 7 cannot. */
const APP_DEPENDENCIES = ['aws-cdk-lib', 'constructs'] as const;
const APP_DEV_DEPENDENCIES = [
  'typescript',
  'tsx',
  '@types/node',
  'esbuild',
  'ts-node',
  'typescript-5',
] as const;

// The child processes get a plain environment: no npm lifecycle variables of `npm test`, no
// NODE_OPTIONS of the test runner, and no network for npm.
function childEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const environment = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('npm_lifecycle') && !key.startsWith('npm_package') && key !== 'NODE_OPTIONS',
    ),
  );
  return {
    ...environment,
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    ...extra,
  };
}

function tsc(app: string): string {
  return join(app, 'node_modules', 'typescript', 'bin', 'tsc');
}

function run(command: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const result: SpawnSyncReturns<string> = spawnSync(command, args, {
    cwd,
    env: childEnvironment(env),
    encoding: 'utf8',
    timeout: STEP_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${result.status}, ${result.signal ?? 'no signal'}) in ${cwd}:\n` +
        `${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`,
    );
  }
  return result.stdout;
}

interface Template {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

interface Synthesised {
  readonly outdir: string;
  readonly template: Template;
}

function synthesise(
  app: string,
  args: readonly string[],
  outdir: string,
  env: NodeJS.ProcessEnv = {},
): Synthesised {
  // The CDK CLI runs the app with CDK_OUTDIR set; the App then writes the cloud assembly at exit.
  run(process.execPath, args, app, { ...env, CDK_OUTDIR: outdir, CDK_VALIDATION: 'false' });
  return { outdir, template: JSON.parse(readFileSync(join(outdir, 'ConsumerStack.template.json'), 'utf8')) };
}

function functions(template: Template): [
  string,
  {
    FunctionName?: unknown;
    Handler?: string;
    Code?: { S3Key?: unknown };
    Environment?: { Variables?: Record<string, unknown> };
    Role?: unknown;
  },
][] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

function assetDirectoryOf(outdir: string, s3Key: unknown): string {
  expect(typeof s3Key).toBe('string');
  return join(outdir, `asset.${String(s3Key).replace(/\.zip$/, '')}`);
}

describe('the packed package in a new CDK app', { timeout: STEP_TIMEOUT_MS }, () => {
  let work: string;
  let app: string;
  let tarballFiles: string[];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'zoho-token-keeper-install-'));
    // The test setup built the assets already; rebuilding them here would pull them from under the
    // other test files, so only the compiled code is built, and the pack runs no scripts.
    rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
    run(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      ROOT,
    );
    const [packed] = JSON.parse(
      run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT),
    ) as { filename: string; files: { path: string }[] }[];
    if (!packed) throw new Error('npm pack reported no tarball');
    tarballFiles = packed.files.map((file) => file.path);
    const tarball = join(work, packed.filename);

    app = join(work, 'app');
    cpSync(APP_FIXTURE, app, { recursive: true });
    const pinned = (names: readonly string[]) =>
      Object.fromEntries(
        names.map((name) => {
          const version = lockedVersion(LOCK, name);
          const aliasOf = LOCK.packages[`node_modules/${name}`]?.name;
          return [name, aliasOf ? `npm:${aliasOf}@${version}` : version];
        }),
      );
    const manifest = {
      name: 'consumer-app',
      version: '0.1.0',
      dependencies: { ...pinned(APP_DEPENDENCIES), 'zoho-token-keeper': `file:${packed.filename}` },
      devDependencies: pinned(APP_DEV_DEPENDENCIES),
    };
    writeFileSync(join(app, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    const lock = {
      name: manifest.name,
      version: manifest.version,
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': manifest,
        ...lockSubset(
          LOCK,
          [...APP_DEPENDENCIES, ...APP_DEV_DEPENDENCIES],
          Object.keys(MANIFEST.dependencies),
        ),
        'node_modules/zoho-token-keeper': {
          version: MANIFEST.version,
          resolved: `file:${packed.filename}`,
          integrity,
          dependencies: MANIFEST.dependencies,
          peerDependencies: MANIFEST.peerDependencies,
          // npm links a package's commands from what the lock file says of it.
          bin: MANIFEST.bin,
        },
      },
    };
    writeFileSync(join(app, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
    cpSync(tarball, join(app, packed.filename));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund'], app);
  }, 2 * STEP_TIMEOUT_MS);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
    rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  });

  it('ships compiled code, declarations, the pre-built function bundles, README, LICENSE and CHANGELOG, and no tests or sources', () => {
    expect(tarballFiles).toEqual(
      expect.arrayContaining([
        'dist/infra/index.js',
        'dist/infra/index.d.ts',
        'dist/functions/consumer/index.js',
        'dist/functions/consumer/index.d.ts',
        ...Object.keys(KEEPER_FUNCTIONS).flatMap((name) => [
          `assets/${name}/index.mjs`,
          `assets/${name}/index.mjs.map`,
        ]),
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'package.json',
      ]),
    );
    expect(
      tarballFiles.filter((file) => file.startsWith('test/') || /\.test\.|(?<!\.d)\.ts$/.test(file)),
    ).toEqual([]);
  });

  it('type-checks with strict, exactOptionalPropertyTypes and noUncheckedIndexedAccess', () => {
    run(process.execPath, [tsc(app), '--noEmit', '-p', '.'], app);
  });

  it("type-checks the package's own declarations under those options too", () => {
    // aws-cdk-lib's declarations do not pass exactOptionalPropertyTypes (and middy's name an optional
    // peer), which is why apps and `cdk init` skip library checks; this package's must pass regardless.
    const result = spawnSync(process.execPath, [tsc(app), '--noEmit', '-p', '.', '--skipLibCheck', 'false'], {
      cwd: app,
      env: childEnvironment(),
      encoding: 'utf8',
      timeout: STEP_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    const errors = result.stdout.split('\n').filter((line) => line.includes('error TS'));
    const ours = errors.filter(
      (line) => line.startsWith('node_modules/zoho-token-keeper/') || !line.startsWith('node_modules/'),
    );
    expect(ours).toEqual([]);
  });

  it('synthesises with tsx: keeper functions from the shipped bundles, the consumer bundled by the app and wired by addConsumer', () => {
    const { outdir, template } = synthesise(
      app,
      [join(app, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/app.ts'],
      join(work, 'cdk.out.tsx'),
    );
    const all = functions(template);
    const keeper = all.filter(([, fn]) => fn.Environment?.Variables?.ZOHO_ACCOUNTS_URL !== undefined);
    const consumers = all.filter(([, fn]) => fn.Environment?.Variables?.ZOHO_ACCOUNTS_URL === undefined);
    expect(keeper).toHaveLength(2);
    expect(consumers).toHaveLength(1);

    // No bundling for the keeper: its functions deploy the very files the package ships.
    const shipped = Object.keys(KEEPER_FUNCTIONS).map((name) =>
      readFileSync(join(app, 'node_modules', 'zoho-token-keeper', 'assets', name, 'index.mjs'), 'utf8'),
    );
    for (const [, fn] of keeper) {
      expect(fn.Handler).toBe('index.handler');
      const deployed = readFileSync(join(assetDirectoryOf(outdir, fn.Code?.S3Key), 'index.mjs'), 'utf8');
      expect(shipped).toContain(deployed);
    }

    // The user's function: bundled by their NodejsFunction, with the consumer library inside.
    const [consumerId, consumer] = consumers[0] ?? ['', {}];
    const bundle = readFileSync(join(assetDirectoryOf(outdir, consumer.Code?.S3Key), 'index.js'), 'utf8');
    expect(bundle).toContain('node_modules/zoho-token-keeper/dist/functions/consumer/zoho-token-reader.js');
    expect(bundle).toMatch(/ZohoTokenReader = class/);
    expect(Object.keys(consumer.Environment?.Variables ?? {}).sort()).toEqual(
      expect.arrayContaining(['ACCESS_TOKEN_SECRET_ID', 'REFRESH_FUNCTION_NAME']),
    );

    // Its role may read the access-token secret and invoke the refresh function, nothing of the credentials.
    const roleId = (consumer.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .filter((resource) => JSON.stringify(resource.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(
        (resource) =>
          (resource.Properties?.PolicyDocument as { Statement?: unknown[] } | undefined)?.Statement ?? [],
      );
    const secrets = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === 'AWS::SecretsManager::Secret',
    );
    const accessTokenSecret = secrets.find(([, r]) =>
      String(r.Properties?.Name).endsWith('/access-token'),
    )?.[0];
    const credentialsSecret = secrets.find(([, r]) =>
      String(r.Properties?.Name).endsWith('/credentials'),
    )?.[0];
    const refreshFunction = keeper.find(([, fn]) => String(JSON.stringify(fn)).includes('Refreshes'))?.[0];
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: expect.arrayContaining(['secretsmanager:GetSecretValue']),
          Effect: 'Allow',
          Resource: { Ref: accessTokenSecret },
        }),
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [refreshFunction, 'Arn'] },
        }),
      ]),
    );
    expect(JSON.stringify(statements)).not.toContain(String(credentialsSecret));
    expect(consumerId).not.toBe('');
  });

  it("runs the operator command from the package's bin, finding the connection in the app's own stack by its name", async () => {
    const { template } = synthesise(
      app,
      [join(app, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/app.ts'],
      join(work, 'cdk.out.bin'),
    );
    const exchange = functions(template)
      .map(([, fn]) => fn.FunctionName)
      .find((name): name is string => typeof name === 'string' && name.endsWith('-exchange'));
    const status: ConnectionStatus = {
      connection_state: 'connected',
      client_stored: true,
      accounts_url: 'https://accounts.zoho.eu',
      api_domain: 'https://www.zohoapis.eu',
      expires_at: '2999-01-01T00:00:00.000Z',
      refreshed_at: '2998-12-31T23:40:00.000Z',
      schedule_name: 'zoho-token-keeper-crm-refresh',
      schedule_state: 'ENABLED',
      schedule_expression: 'rate(50 minutes)',
    };
    const aws = await LocalAws.start({
      lambdaInvoke: ({ functionName, event }) =>
        functionName === exchange && JSON.stringify(event) === '{"status":true}'
          ? lambdaResult(status)
          : 'hang',
      cloudWatch: () => cloudWatchResult({ MetricAlarms: [], CompositeAlarms: [] }),
    });
    try {
      // Asynchronously: the stand-in for AWS answers from this process while the command runs.
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(
          join(app, 'node_modules', '.bin', 'zoho-token-keeper'),
          ['status', '--connection', 'crm', '--json'],
          {
            cwd: app,
            env: childEnvironment({
              AWS_ENDPOINT_URL: aws.url,
              AWS_REGION: 'eu-west-1',
              AWS_ACCESS_KEY_ID: 'test',
              AWS_SECRET_ACCESS_KEY: 'test',
              AWS_PROFILE: '',
            }),
            timeout: STEP_TIMEOUT_MS,
          },
          (error, out, err) => (error ? reject(new Error(`${error.message}\n${out}\n${err}`)) : resolve(out)),
        );
      });

      expect(exchange).toBe('zoho-token-keeper-crm-exchange');
      expect(JSON.parse(stdout)).toMatchObject({
        connection_state: 'connected',
        exchange_function: exchange,
      });
      expect(
        aws.requests.some((request) => request.path.includes(`/functions/${exchange}/invocations`)),
      ).toBe(true);
    } finally {
      await aws.close();
    }
  });

  it('synthesises with ts-node and TypeScript 5, as older `cdk init` apps run', () => {
    const { outdir, template } = synthesise(
      app,
      [join(app, 'node_modules', 'ts-node', 'dist', 'bin.js'), '--prefer-ts-exts', 'bin/app.ts'],
      join(work, 'cdk.out.ts-node'),
      // The app's `typescript` is 7, which has no compiler API; ts-node takes the TypeScript 5 beside it.
      { TS_NODE_COMPILER: 'typescript-5' },
    );
    expect(functions(template)).toHaveLength(3);
    expect(existsSync(join(outdir, 'manifest.json'))).toBe(true);
    expect(readdirSync(outdir).filter((name) => name.startsWith('asset.'))).toHaveLength(3);
  });
});
