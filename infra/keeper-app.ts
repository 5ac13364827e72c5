import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { connectionNames, KeeperConfigError, resolveDataCentre } from './connection-names.js';
import { ZohoTokenKeeperStack } from './zoho-token-keeper-stack.js';

/**
 * The CDK app: one connection per deployment, configured with context values
 * (`cdk deploy -c dataCenter=eu -c connectionName=crm-eu -c alarmEmail=ops@example.com`):
 *
 * | key | default | meaning |
 * |---|---|---|
 * | `dataCenter` | `us` | Zoho data centre of the Self Client, in any case (`eu`, `EU`) |
 * | `connectionName` | `default` | names the stack `ZohoTokenKeeper-<connectionName>` and its resources |
 * | `alarmEmail` | none | email notified by the alarms |
 * | `accountsUrl` | the data centre's | accounts server override, e.g. a private test server; another data centre's server is refused |
 * | `refreshReservedConcurrency` | `1` | `0` for accounts whose Lambda concurrency quota is 10 |
 * | `exampleConsumer` | `false` | `true` also deploys the example consumer Lambda |
 *
 * The stack is environment-agnostic unless the CLI knows an account and region
 * (`CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION`).
 */
export function createKeeperApp(props: AppProps = {}): App {
  const app = new App(props);
  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  // `-c key=true` arrives as a string, cdk.json may hold a boolean: both read the same.
  const flag = (key: string): boolean | undefined => {
    const value = context(key);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') {
      throw new KeeperConfigError(`Context value ${key} must be true or false, got "${value}".`);
    }
    return value === 'true';
  };

  const connectionName = context('connectionName') ?? 'default';
  const reservedConcurrency = wholeNumber(
    'refreshReservedConcurrency',
    context('refreshReservedConcurrency'),
  );
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const stackName = connectionNames(connectionName).stack;

  new ZohoTokenKeeperStack(app, stackName, {
    stackName,
    description: `Keeps the Zoho OAuth tokens of connection ${connectionName} fresh (zoho-token-keeper)`,
    env: account && region ? { account, region } : undefined,
    connectionName,
    dataCenter: resolveDataCentre(context('dataCenter') ?? 'us'),
    accountsUrl: context('accountsUrl'),
    alarmEmail: context('alarmEmail'),
    refreshReservedConcurrency: reservedConcurrency,
    exampleConsumer: flag('exampleConsumer'),
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

function wholeNumber(key: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new KeeperConfigError(`Context value ${key} must be a whole number >= 0, got "${value}".`);
  }
  return Number(value);
}

/**
 * Builds the app as `cdk synth` / `cdk deploy` run it. A configuration mistake is printed as
 * `Error: <what is wrong and what to use>` with exit code 1, without a stack trace that would bury
 * the message; any other failure is a bug and keeps its stack trace.
 */
export function runKeeperApp(
  props: AppProps = {},
  stderr: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): 0 | 1 {
  try {
    createKeeperApp(props);
    return 0;
  } catch (error) {
    if (!(error instanceof KeeperConfigError)) throw error;
    stderr(`Error: ${error.message}`);
    return 1;
  }
}
