import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { connectionNames, resolveDataCentre } from './connection-names.js';
import { ZohoTokenKeeperStack } from './zoho-token-keeper-stack.js';

/**
 * The CDK app: one connection per deployment, configured with context values
 * (`cdk deploy -c dataCenter=eu -c connectionName=crm-eu -c alarmEmail=ops@example.com`):
 *
 * | key | default | meaning |
 * |---|---|---|
 * | `dataCenter` | `us` | Zoho data centre of the Self Client |
 * | `connectionName` | `default` | names the stack `ZohoTokenKeeper-<connectionName>` and its resources |
 * | `alarmEmail` | none | email notified by the alarms |
 * | `accountsUrl` | the data centre's | accounts server override, e.g. a private test server |
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
      throw new Error(`Context value ${key} must be true or false, got "${value}".`);
    }
    return value === 'true';
  };

  const connectionName = context('connectionName') ?? 'default';
  const reservedConcurrency = context('refreshReservedConcurrency');
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
    refreshReservedConcurrency: reservedConcurrency === undefined ? undefined : Number(reservedConcurrency),
    exampleConsumer: flag('exampleConsumer'),
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}
