/**
 * The cold-start floor of the exchange and refresh functions: the AWS SDK clients they use,
 * imported and created the way their handlers do, and nothing else.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export const clients = [
  new SecretsManagerClient({}),
  new SchedulerClient({}),
  new DynamoDBClient({}),
  new EventBridgeClient({}),
];
