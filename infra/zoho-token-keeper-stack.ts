import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EXAMPLE_GRANT_CODE } from '../functions/exchange/exchange-event.js';
import { OPTIONAL_STACK_OUTPUT_KEYS, STACK_OUTPUT_KEYS } from './connection-names.js';
import { ZohoConnection, type ZohoConnectionProps } from './zoho-connection.js';

type OutputField = keyof typeof STACK_OUTPUT_KEYS | keyof typeof OPTIONAL_STACK_OUTPUT_KEYS;
const OUTPUT_KEYS: Readonly<Record<OutputField, string>> = {
  ...STACK_OUTPUT_KEYS,
  ...OPTIONAL_STACK_OUTPUT_KEYS,
};

export type ZohoTokenKeeperStackProps = StackProps & ZohoConnectionProps;

/** One connection in its own stack, named `ZohoTokenKeeper-<connectionName>` by the app. */
export class ZohoTokenKeeperStack extends Stack {
  readonly connection: ZohoConnection;

  constructor(scope: Construct, id: string, props: ZohoTokenKeeperStackProps = {}) {
    super(scope, id, props);
    const connection = new ZohoConnection(this, 'Connection', props);
    this.connection = connection;

    const output = (key: OutputField, value: string, description: string) =>
      new CfnOutput(this, OUTPUT_KEYS[key], { value, description }).overrideLogicalId(OUTPUT_KEYS[key]);
    const { names } = connection;
    const exchangeName = connection.exchangeFunction.functionName;
    output('exchangeFunctionName', exchangeName, 'Invoke with a grant code to connect');
    output(
      'refreshFunctionName',
      connection.refreshFunction.functionName,
      'Invoke with {"force": true} for a new access token',
    );
    output('credentialsSecretName', names.credentialsSecret, 'Client id and secret, refresh token');
    output('credentialsSecretArn', connection.credentialsSecret.secretArn, 'Credentials secret ARN');
    output('accessTokenSecretName', names.accessTokenSecret, 'Current access token: grant read to consumers');
    output('accessTokenSecretArn', connection.accessTokenSecret.secretArn, 'Access-token secret ARN');
    output(
      'refreshScheduleName',
      connection.refreshSchedule,
      'Runs the refresh function; enabled from deployment',
    );
    output(
      'stateTableName',
      connection.stateTable.tableName,
      'DynamoDB table of the connection state (no secret)',
    );
    output('dashboardName', names.dashboard, 'CloudWatch dashboard of this connection');
    output(
      'exchangeCommand',
      `aws lambda invoke --function-name ${exchangeName} --cli-binary-format raw-in-base64-out ` +
        `--payload '{"code":"${EXAMPLE_GRANT_CODE}"}' /dev/stdout`,
      `Replace ${EXAMPLE_GRANT_CODE} with a grant code from the Zoho API Console (Self Client > Generate Code), then run it`,
    );
    if (connection.exampleConsumerFunction) {
      output(
        'exampleConsumerFunctionName',
        connection.exampleConsumerFunction.functionName,
        'Once connected, invoke with {} to read the current Zoho CRM user with the stored access token',
      );
    }
  }
}
