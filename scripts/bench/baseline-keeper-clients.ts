/**
 * The cold-start floor of the exchange and refresh functions: the AWS SDK clients they use and the
 * commands they send (each command brings its own serialisation code), imported and created the way
 * their handlers do, and nothing else.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

export const clients = [
  new SecretsManagerClient({}),
  new SchedulerClient({}),
  new DynamoDBClient({}),
  new EventBridgeClient({}),
];

export const commands = [
  GetSecretValueCommand,
  PutSecretValueCommand,
  DescribeSecretCommand,
  GetScheduleCommand,
  CreateScheduleCommand,
  UpdateScheduleCommand,
  DeleteScheduleCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  PutEventsCommand,
];
