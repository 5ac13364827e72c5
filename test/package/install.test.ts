import { execFile, type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../functions/lib/connection-status.js';
import { KEEPER_FUNCTIONS, packageRoot } from '../../infra/function-bundle.js';
import { buildDist } from '../../scripts/build-dist.js';
import { cloudWatchResult, LocalAws, lambdaResult } from '../cli/aws-endpoint.js';
import { type Lock, lockedVersion, lockSubset } from './lock-subset.js';

// Packs this package and installs the tarball into two fresh CDK apps, as new users would: one shaped
// like `cdk init app --language typescript` today (CommonJS, Jest with @swc/jest, tsx, TypeScript 7),
// one as `cdk init` made them for years (`"module": "commonjs"` with classic resolution, ts-node and
// TypeScript 5) on the oldest aws-cdk-lib of the peer range, without @middy/core. Offline: everything
// comes from the npm cache that `npm ci` filled. Slow on purpose, so every step gets minutes, not a
// real-time budget.
const STEP_TIMEOUT_MS = 240_000;
const ROOT = packageRoot();
const FIXTURES = join(ROOT, 'test', 'package');
const LOCK: Lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
const MANIFEST: {
  version: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>;
  bin: Record<string, string>;
} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** What a `cdk init` app installs, plus @middy/core for the middleware and esbuild for NodejsFunction. */
const CDK_INIT_APP: AppPackages = {
  dependencies: ['aws-cdk-lib', 'constructs', '@middy/core'],
  devDependencies: [
    'typescript',
    'tsx',
    '@types/node',
    'esbuild',
    'jest',
    '@swc/jest',
    '@swc/core',
    '@types/jest',
  ],
};
/** An older app: its `aws-cdk-lib` is the oldest the package accepts, its `typescript` is 5. */
const CLASSIC_APP: AppPackages = {
  dependencies: ['aws-cdk-lib', 'constructs'],
  devDependencies: ['typescript', '@types/node', 'esbuild', 'ts-node'],
  aliases: { 'aws-cdk-lib': 'aws-cdk-lib-oldest', typescript: 'typescript-5' },
};

interface AppPackages {
  readonly dependencies: readonly string[];
  readonly devDependencies: readonly string[];
  /** App name -> name in this project's lock, for packages this project holds a second version of. */
  readonly aliases?: Readonly<Record<string, string>>;
}

// The child processes get a plain environment: no npm lifecycle variables of `npm test`, no
// NODE_OPTIONS of the test runner, no quieting of the SDK that the test configuration sets (the
// command must quiet it itself), and no network for npm.
function childEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const environment = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !key.startsWith('npm_lifecycle') &&
        !key.startsWith('npm_package') &&
        key !== 'NODE_OPTIONS' &&
        key !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
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

interface Finished {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function spawn(command: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Finished {
  const result: SpawnSyncReturns<string> = spawnSync(command, args, {
    cwd,
    env: childEnvironment(env),
    encoding: 'utf8',
    timeout: STEP_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.signal) throw new Error(`${command} ${args.join(' ')} ended by ${result.signal} in ${cwd}.`);
  return result;
}

function run(command: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const result = spawn(command, args, cwd, env);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${result.status}) in ${cwd}:\n` +
        `${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`,
    );
  }
  return result.stdout;
}

/** Copies the fixture `name` to `work/name` and installs it, with the tarball, from the npm cache. */
function installApp(work: string, name: string, tarball: string, packages: AppPackages): string {
  const app = join(work, name);
  cpSync(join(FIXTURES, name), app, { recursive: true });
  const aliases = packages.aliases ?? {};
  const pinned = (names: readonly string[]) =>
    Object.fromEntries(
      names.map((appName) => {
        const lockName = aliases[appName] ?? appName;
        const version = lockedVersion(LOCK, lockName);
        const realName = LOCK.packages[`node_modules/${lockName}`]?.name ?? lockName;
        return [appName, realName === appName ? version : `npm:${realName}@${version}`];
      }),
    );
  const filename = basename(tarball);
  const manifest = {
    name,
    version: '0.1.0',
    dependencies: { ...pinned(packages.dependencies), 'zoho-token-keeper': `file:${filename}` },
    devDependencies: pinned(packages.devDependencies),
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
        [...packages.dependencies, ...packages.devDependencies],
        Object.keys(MANIFEST.dependencies),
        aliases,
      ),
      'node_modules/zoho-token-keeper': {
        version: MANIFEST.version,
        resolved: `file:${filename}`,
        integrity,
        dependencies: MANIFEST.dependencies,
        peerDependencies: MANIFEST.peerDependencies,
        peerDependenciesMeta: MANIFEST.peerDependenciesMeta,
        // npm links a package's commands from what the lock file says of it.
        bin: MANIFEST.bin,
      },
    },
  };
  writeFileSync(join(app, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  cpSync(tarball, join(app, filename));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund'], app);
  return app;
}

/** The package as `npm pack` makes it, from a staging copy: nothing is built into this checkout. */
async function pack(work: string): Promise<{ tarball: string; files: string[] }> {
  const stage = join(work, 'stage');
  for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'assets']) {
    cpSync(join(ROOT, file), join(stage, file), { recursive: true });
  }
  await buildDist(join(stage, 'dist'));
  const [packed] = JSON.parse(
    run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], stage),
  ) as { filename: string; files: { path: string }[] }[];
  if (!packed) throw new Error('npm pack reported no tarball');
  return { tarball: join(work, packed.filename), files: packed.files.map((file) => file.path) };
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

describe('the packed package', { timeout: STEP_TIMEOUT_MS }, () => {
  let work: string;
  let tarball: string;
  let tarballFiles: string[];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'zoho-token-keeper-install-'));
    ({ tarball, files: tarballFiles } = await pack(work));
  }, STEP_TIMEOUT_MS);

  // Two installed apps are hundreds of megabytes: removing them takes a while on a busy machine.
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  }, STEP_TIMEOUT_MS);

  it('ships CommonJS code and declarations of its three entries, the pre-built function bundles, README, LICENSE and CHANGELOG, and no tests or sources', () => {
    expect(tarballFiles).toEqual(
      expect.arrayContaining([
        'dist/package.json',
        ...[
          'infra/index',
          'functions/consumer/index',
          'functions/middy/index',
          'cli/zoho-token-keeper',
        ].flatMap((entry) => [`dist/${entry}.js`, `dist/${entry}.d.ts`]),
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

  describe('in a `cdk init` app: CommonJS, Jest with @swc/jest, tsx, TypeScript 7', () => {
    let app: string;

    beforeAll(() => {
      app = installApp(work, 'app', tarball, CDK_INIT_APP);
    }, STEP_TIMEOUT_MS);

    it('type-checks with strict, exactOptionalPropertyTypes and noUncheckedIndexedAccess', () => {
      run(process.execPath, [tsc(app), '--noEmit', '-p', '.'], app);
    });

    it("type-checks the package's own declarations under those options too", () => {
      // aws-cdk-lib's declarations do not pass exactOptionalPropertyTypes (and middy's name an optional
      // peer), which is why apps and `cdk init` skip library checks; this package's must pass regardless.
      const result = spawnSync(
        process.execPath,
        [tsc(app), '--noEmit', '-p', '.', '--skipLibCheck', 'false'],
        {
          cwd: app,
          env: childEnvironment(),
          encoding: 'utf8',
          timeout: STEP_TIMEOUT_MS,
          maxBuffer: 64 * 1024 * 1024,
        },
      );
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
      expect(consumers).toHaveLength(2);

      // No bundling for the keeper: its functions deploy the very files the package ships.
      const shipped = Object.keys(KEEPER_FUNCTIONS).map((name) =>
        readFileSync(join(app, 'node_modules', 'zoho-token-keeper', 'assets', name, 'index.mjs'), 'utf8'),
      );
      for (const [, fn] of keeper) {
        expect(fn.Handler).toBe('index.handler');
        const deployed = readFileSync(join(assetDirectoryOf(outdir, fn.Code?.S3Key), 'index.mjs'), 'utf8');
        expect(shipped).toContain(deployed);
      }

      // The user's functions: bundled by their NodejsFunction, with the consumer library inside; the
      // middy one (an .mts handler) with middy and the middleware too.
      const bundles = consumers.map(([id, fn]) => ({
        id,
        fn,
        code: readFileSync(join(assetDirectoryOf(outdir, fn.Code?.S3Key), 'index.js'), 'utf8'),
      }));
      for (const { code } of bundles) {
        expect(code).toContain('node_modules/zoho-token-keeper/dist/functions/consumer/zoho-token-reader.js');
        expect(code).toMatch(/\bclass ZohoTokenReader\b|\bZohoTokenReader\d* = class\b/);
      }
      const middyBundle = bundles.find(({ id }) => id.startsWith('MiddyJob'));
      expect(middyBundle?.code).toContain('node_modules/@middy/core/index.js');
      expect(middyBundle?.code).toContain(
        'node_modules/zoho-token-keeper/dist/functions/middy/zoho-token-middleware.js',
      );
      const [consumerId, consumer] = consumers.find(([id]) => id.startsWith('SyncJob')) ?? ['', {}];
      expect(Object.keys(consumer.Environment?.Variables ?? {}).sort()).toEqual(
        expect.arrayContaining(['ACCESS_TOKEN_SECRET_ID', 'REFRESH_FUNCTION_NAME']),
      );

      // Its role may read the access-token secret and invoke the refresh function, nothing of the credentials.
      const roleId = (consumer.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const statements = Object.values(template.Resources)
        .filter((resource) => resource.Type === 'AWS::IAM::Policy')
        .filter(
          (resource) => JSON.stringify(resource.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]),
        )
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
        const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>(
          (resolve, reject) => {
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
              (error, out, err) =>
                error
                  ? reject(new Error(`${error.message}\n${out}\n${err}`))
                  : resolve({ stdout: out, stderr: err }),
            );
          },
        );

        expect(exchange).toBe('zoho-token-keeper-crm-exchange');
        // The command created AWS clients on Node 20 without the test configuration's quieting of the
        // SDK's Node-version notice (see childEnvironment): it quiets it itself.
        expect(stderr).toBe('');
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

    it("passes the app's own Jest stack test, which loads the construct with require()", () => {
      const result = spawn(
        process.execPath,
        [join(app, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci'],
        app,
      );

      expect(`${result.stdout}${result.stderr}`).toMatch(/Tests:\s+1 passed, 1 total/);
      expect(result.status).toBe(0);
    });

    it("answers --help, a usage mistake and a refusal with its own name, never `npm run`, and without the SDK's Node-version notice", () => {
      const command = join(app, 'node_modules', '.bin', 'zoho-token-keeper');

      const help = spawn(command, ['status', '--help'], app);
      const usage = spawn(command, ['connect', '--cod', 'x'], app);
      // A placeholder code of the wrong shape, as an old README showed it.
      const badCode = spawn(command, ['connect', '--code', '1000.abc.def', '--connection', 'crm'], app);
      const unconfirmed = spawn(command, ['disconnect', '--connection', 'crm'], app);

      expect(help.status).toBe(0);
      expect(help.stdout).toContain('Usage: npx zoho-token-keeper status [--connection NAME]');
      expect(usage.status).toBe(1);
      expect(usage.stderr).toContain('Usage: npx zoho-token-keeper connect --code <grant code>');
      expect(badCode.status).toBe(1);
      expect(badCode.stderr).toContain(
        'one is a number such as 1000, a dot, 16 to 128 letters or digits, a dot and 16 to 128 letters or digits',
      );
      expect(unconfirmed.status).toBe(1);
      expect(unconfirmed.stderr).toContain('npx zoho-token-keeper disconnect --yes --connection crm');
      for (const { stdout, stderr } of [help, usage, badCode, unconfirmed]) {
        expect(`${stdout}${stderr}`).not.toContain('npm run');
        expect(`${stdout}${stderr}`).not.toContain('NodeVersionSupportWarning');
      }
    });
  });

  describe('in an older app: "module": "commonjs" with classic resolution, ts-node, TypeScript 5, the oldest aws-cdk-lib of the peer range, no @middy/core', () => {
    let app: string;

    beforeAll(() => {
      app = installApp(work, 'classic-app', tarball, CLASSIC_APP);
    }, STEP_TIMEOUT_MS);

    it('installs the lowest aws-cdk-lib the peer range allows, TypeScript 5 and no middy', () => {
      const version = (name: string) =>
        (
          JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')) as {
            version: string;
          }
        ).version;
      expect(`^${version('aws-cdk-lib')}`).toBe(MANIFEST.peerDependencies['aws-cdk-lib']);
      expect(version('typescript')).toMatch(/^5\./);
      expect(existsSync(join(app, 'node_modules', '@middy'))).toBe(false);
    });

    it('type-checks a consumer of zoho-token-keeper/consumer without skipLibCheck', () => {
      run(process.execPath, [tsc(app), '-p', 'tsconfig.consumer.json'], app);
    });

    it('synthesises with ts-node, which type-checks the stack and loads the package with require()', () => {
      const { outdir, template } = synthesise(
        app,
        [join(app, 'node_modules', 'ts-node', 'dist', 'bin.js'), '--prefer-ts-exts', 'bin/app.ts'],
        join(work, 'cdk.out.ts-node'),
      );
      expect(functions(template)).toHaveLength(3);
      expect(existsSync(join(outdir, 'manifest.json'))).toBe(true);
      expect(readdirSync(outdir).filter((name) => name.startsWith('asset.'))).toHaveLength(3);
    });
  });
});
