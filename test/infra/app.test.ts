import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXAMPLE_GRANT_CODE } from '../../functions/exchange/exchange-event.js';
import { DATA_CENTRE_IDS } from '../../functions/lib/data-centres.js';
import { OPTIONAL_STACK_OUTPUT_KEYS, STACK_OUTPUT_KEYS } from '../../infra/connection-names.js';
import { createKeeperApp, runKeeperApp } from '../../infra/keeper-app.js';
import { ZohoTokenKeeperStack } from '../../infra/zoho-token-keeper-stack.js';

const FAST_CONTEXT = { 'aws:cdk:bundling-stacks': [] };

beforeEach(() => {
  // A developer's CLI environment must not make the stack environment-specific.
  vi.stubEnv('CDK_DEFAULT_ACCOUNT', '');
  vi.stubEnv('CDK_DEFAULT_REGION', '');
  vi.stubEnv('CDK_VALIDATION', 'false');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function onlyStack(app: App): ZohoTokenKeeperStack {
  const stacks = app.node.children.filter((child): child is ZohoTokenKeeperStack => Stack.isStack(child));
  expect(stacks).toHaveLength(1);
  return stacks[0] as ZohoTokenKeeperStack;
}

describe('the CDK app', () => {
  it('deploys the connection "default" in the US data centre when given no context', () => {
    const stack = onlyStack(createKeeperApp({ context: FAST_CONTEXT }));

    expect(stack.stackName).toBe('ZohoTokenKeeper-default');
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(Token.isUnresolved(stack.region)).toBe(true);
    const template = Template.fromStack(stack);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ZOHO_ACCOUNTS_URL: 'https://accounts.zoho.com' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1 });
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('is configured by context: connection name, data centre, alarm email, accounts server, concurrency', () => {
    const app = createKeeperApp({
      context: {
        ...FAST_CONTEXT,
        connectionName: 'crm-eu',
        dataCenter: 'eu',
        alarmEmail: 'ops@example.com',
        accountsUrl: 'http://127.0.0.1:9000',
        refreshReservedConcurrency: '0',
      },
    });
    const stack = onlyStack(app);

    expect(stack.stackName).toBe('ZohoTokenKeeper-crm-eu');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'zoho-token-keeper/crm-eu/credentials',
    });
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ZOHO_ACCOUNTS_URL: 'http://127.0.0.1:9000' }) },
      ReservedConcurrentExecutions: Match.absent(),
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('uses the data centre from context for the accounts server', () => {
    const template = Template.fromStack(
      onlyStack(createKeeperApp({ context: { ...FAST_CONTEXT, dataCenter: 'au' } })),
    );
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ZOHO_ACCOUNTS_URL: 'https://accounts.zoho.com.au' }) },
    });
  });

  it('fails on an unknown data centre, listing the valid ones', () => {
    const act = () => createKeeperApp({ context: { ...FAST_CONTEXT, dataCenter: 'europe' } });
    expect(act).toThrow(/Unknown Zoho data centre "europe"/);
    expect(act).toThrow(DATA_CENTRE_IDS.join(', '));
  });

  it('reads the data centre in any case', () => {
    const stack = onlyStack(createKeeperApp({ context: { ...FAST_CONTEXT, dataCenter: 'EU' } }));
    Template.fromStack(stack).allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ZOHO_ACCOUNTS_URL: 'https://accounts.zoho.eu' }) },
    });
  });

  it("refuses another data centre's accounts server as accountsUrl, saying which dataCenter to set", () => {
    const act = () =>
      createKeeperApp({
        context: { ...FAST_CONTEXT, dataCenter: 'eu', accountsUrl: 'https://accounts.zoho.com' },
      });
    expect(act).toThrow(
      'accountsUrl https://accounts.zoho.com is the accounts server of the United States data centre ("us"), ' +
        'but dataCenter is "eu" (https://accounts.zoho.eu). Set dataCenter to "us" and leave accountsUrl out',
    );
  });

  it('accepts the data centre its own accounts server as accountsUrl', () => {
    const app = createKeeperApp({
      context: { ...FAST_CONTEXT, dataCenter: 'eu', accountsUrl: 'https://accounts.zoho.eu/' },
    });
    Template.fromStack(onlyStack(app)).allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ZOHO_ACCOUNTS_URL: 'https://accounts.zoho.eu' }) },
    });
  });

  it.each([
    [{ dataCenter: 'xx' }, 'Error: Unknown Zoho data centre "xx". Use one of:'],
    [{ connectionName: 'CRM EU' }, 'Error: Invalid connectionName "CRM EU"'],
    [{ accountsUrl: 'http://accounts.example.com' }, 'Error: accountsUrl "http://accounts.example.com"'],
    [{ exampleConsumer: 'yes' }, 'Error: Context value exampleConsumer must be true or false, got "yes".'],
    [
      { refreshReservedConcurrency: 'one' },
      'Error: Context value refreshReservedConcurrency must be a whole number >= 0, got "one".',
    ],
  ])(
    'GIVEN the context %j WHEN the app runs THEN it prints one Error line and exits 1',
    (context, expected) => {
      const lines: string[] = [];

      const exitCode = runKeeperApp({ context: { ...FAST_CONTEXT, ...context } }, (line) => lines.push(line));

      expect(exitCode).toBe(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]?.startsWith(expected)).toBe(true);
    },
  );

  it('GIVEN a bad -c dataCenter WHEN cdk runs infra/app.ts THEN stderr holds the message and no stack trace, exit 1', () => {
    const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--no-warnings', 'infra/app.ts'], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ dataCenter: 'xx' }),
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'keeper-app-')),
      },
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `Error: Unknown Zoho data centre "xx". Use one of: ${DATA_CENTRE_IDS.join(', ')} ` +
        '(the domain of your Zoho account, e.g. "eu" for zoho.eu).\n',
    );
    expect(result.stdout).toBe('');
  });

  it('targets the CLI account and region when the CLI knows them', () => {
    vi.stubEnv('CDK_DEFAULT_ACCOUNT', '123456789012');
    vi.stubEnv('CDK_DEFAULT_REGION', 'eu-central-1');
    const stack = onlyStack(createKeeperApp({ context: FAST_CONTEXT }));
    expect(stack.account).toBe('123456789012');
    expect(stack.region).toBe('eu-central-1');
  });

  it('publishes the outputs a CLI reads under fixed keys, with a ready-to-paste exchange command', () => {
    const stack = onlyStack(createKeeperApp({ context: { ...FAST_CONTEXT, connectionName: 'crm' } }));
    const template = Template.fromStack(stack);

    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(Object.values(STACK_OUTPUT_KEYS).sort());
    const exchangeName = stack.resolve(stack.connection.exchangeFunction.functionName);
    template.hasOutput('ExchangeFunctionName', { Value: exchangeName });
    template.hasOutput('CredentialsSecretName', { Value: 'zoho-token-keeper/crm/credentials' });
    template.hasOutput('AccessTokenSecretName', { Value: 'zoho-token-keeper/crm/access-token' });
    template.hasOutput('AccessTokenSecretArn', {
      Value: stack.resolve(stack.connection.accessTokenSecret.secretArn),
    });
    template.hasOutput('RefreshScheduleName', { Value: 'zoho-token-keeper-crm-refresh' });
    template.hasOutput('DashboardName', { Value: 'ZohoTokenKeeper-crm' });
    template.hasOutput('ExchangeCommand', {
      Value: {
        'Fn::Join': [
          '',
          [
            'aws lambda invoke --function-name ',
            exchangeName,
            ` --cli-binary-format raw-in-base64-out --payload '{"code":"${EXAMPLE_GRANT_CODE}"}' /dev/stdout`,
          ],
        ],
      },
    });
  });

  it('deploys the example consumer only with -c exampleConsumer=true, and names it in an output', () => {
    const stack = onlyStack(createKeeperApp({ context: { ...FAST_CONTEXT, exampleConsumer: 'true' } }));
    const example = stack.connection.exampleConsumerFunction;
    if (!example) throw new Error('no example consumer was deployed');
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::Lambda::Function', 3);
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(
      [...Object.values(STACK_OUTPUT_KEYS), ...Object.values(OPTIONAL_STACK_OUTPUT_KEYS)].sort(),
    );
    template.hasOutput('ExampleConsumerFunctionName', { Value: stack.resolve(example.functionName) });
  });

  it.each([
    ['no exampleConsumer', {}],
    ['exampleConsumer=false', { exampleConsumer: 'false' }],
  ])('deploys no example consumer and no output for it with %s', (_name, context) => {
    const stack = onlyStack(createKeeperApp({ context: { ...FAST_CONTEXT, ...context } }));
    const template = Template.fromStack(stack);

    expect(stack.connection.exampleConsumerFunction).toBeUndefined();
    template.resourceCountIs('AWS::Lambda::Function', 2);
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('ExampleConsumerFunctionName');
  });

  it('reads exampleConsumer as a boolean from cdk.json too, and refuses anything but true or false', () => {
    const fromCdkJson = onlyStack(createKeeperApp({ context: { ...FAST_CONTEXT, exampleConsumer: true } }));
    expect(fromCdkJson.connection.exampleConsumerFunction).toBeDefined();
    expect(() => createKeeperApp({ context: { ...FAST_CONTEXT, exampleConsumer: 'yes' } })).toThrow(
      'Context value exampleConsumer must be true or false, got "yes".',
    );
  });

  it('holds two connections as two stacks of one app without a clash of physical names', () => {
    const app = new App({ context: FAST_CONTEXT });
    const stacks = ['crm', 'books'].map(
      (connectionName) =>
        new ZohoTokenKeeperStack(app, `ZohoTokenKeeper-${connectionName}`, {
          connectionName,
          dataCenter: 'eu',
        }),
    );

    const physicalNames = stacks.map((stack) => {
      const resources = Object.values(Template.fromStack(stack).toJSON().Resources) as {
        Properties?: Record<string, unknown>;
      }[];
      return resources.flatMap((resource) =>
        ['Name', 'LogGroupName', 'AlarmName', 'DashboardName', 'TableName']
          .map((property) => resource.Properties?.[property])
          .filter((name) => typeof name === 'string'),
      );
    });
    // Two secrets, one schedule, two log groups, ten alarms, one dashboard, one state table per connection.
    expect(physicalNames[0]).toHaveLength(17);
    expect(physicalNames[1]).toHaveLength(17);
    expect(physicalNames[0]?.filter((name) => physicalNames[1]?.includes(name))).toEqual([]);
  });

  it('synthesises for real, example consumer included: bundles ESM with the SDK inside, passes CloudFormation validation and cdk-nag', () => {
    vi.stubEnv('CDK_VALIDATION', 'true');
    // The example consumer adds to the default deployment only: one synthesis checks both.
    const app = createKeeperApp({ context: { exampleConsumer: 'true' } });

    // Under Vitest (NODE_ENV=test) the CDK throws the validation report when a rule fails.
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    // Not even a warning, from cdk-nag or from the CloudFormation schema validation.
    expect(report.pluginReports).toEqual([]);

    const assetDirectories = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    // Exchange, refresh and the example consumer.
    expect(assetDirectories).toHaveLength(3);
    for (const directory of assetDirectories) {
      const files = readdirSync(join(assembly.directory, directory), { recursive: true }).map(String);
      // The entry and the chunks it loads on demand, each with its source map, and nothing else.
      expect(files).toEqual(expect.arrayContaining(['index.mjs', 'index.mjs.map']));
      const bundles = files.filter((file) => file.endsWith('.mjs'));
      expect(files.filter((file) => file.endsWith('.map')).sort()).toEqual(
        bundles.map((file) => `${file}.map`).sort(),
      );
      expect(
        files.every((file) => file === 'chunks' || file.endsWith('.mjs') || file.endsWith('.mjs.map')),
      ).toBe(true);
      const bundle = readFileSync(join(assembly.directory, directory, 'index.mjs'), 'utf8');
      expect(bundle.startsWith("import { createRequire } from 'module';")).toBe(true);
      // The SDK is bundled, not left for the runtime's copy.
      expect(bundle).not.toMatch(/from\s*["']@aws-sdk\//);
      expect(bundle).toContain('export');
    }
    // Bundling three functions and validating the template is CPU-bound: about 8 s on an idle
    // 2-core machine, over 40 s with both cores busy. The budget is for the loaded case.
  }, 180_000);
});
