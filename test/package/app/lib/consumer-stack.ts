import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as cdk from 'aws-cdk-lib/core';
import type { Construct } from 'constructs';
import { type DataCentreId, ZohoConnection } from 'zoho-token-keeper';

const dataCenter: DataCentreId = 'eu';

/** What a user writes: one connection, and one function of their own that reads its token. */
export class ConsumerStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    const connection = new ZohoConnection(this, 'Zoho', { connectionName: 'crm', dataCenter });

    const syncJob = new NodejsFunction(this, 'SyncJob', {
      entry: path.join(__dirname, '..', 'lambda', 'sync-job.ts'),
      runtime: lambda.Runtime.NODEJS_22_X,
      timeout: cdk.Duration.seconds(60),
    });
    connection.addConsumer(syncJob);

    const middyJob = new NodejsFunction(this, 'MiddyJob', {
      entry: path.join(__dirname, '..', 'lambda', 'middy-job.mts'),
      runtime: lambda.Runtime.NODEJS_22_X,
      timeout: cdk.Duration.seconds(60),
    });
    connection.addConsumer(middyJob);
  }
}
