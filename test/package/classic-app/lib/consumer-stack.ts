import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { ZohoConnection } from 'zoho-token-keeper';

/** An app as `cdk init` made them for years: CommonJS, classic module resolution, ts-node. */
export class ConsumerStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    const connection = new ZohoConnection(this, 'Zoho', { connectionName: 'crm', dataCenter: 'eu' });
    const syncJob = new NodejsFunction(this, 'SyncJob', {
      entry: path.join(__dirname, '..', 'lambda', 'sync-job.ts'),
      runtime: lambda.Runtime.NODEJS_22_X,
      timeout: cdk.Duration.seconds(60),
    });
    connection.addConsumer(syncJob);
  }
}
