import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { STATE_TABLE_KEY } from '../../functions/lib/environment.js';

/** A client of the run's dynalite server (test/dynalite-setup.ts). */
export function dynamoClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: inject('dynamoEndpoint'),
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/** A new, empty state table shaped as the construct creates it; its name is unique to the caller. */
export async function createStateTable(client: DynamoDBClient = dynamoClient()): Promise<string> {
  const tableName = `zoho-token-keeper-test-${randomUUID()}-state`;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: STATE_TABLE_KEY.attribute, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: STATE_TABLE_KEY.attribute, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  // A new table is CREATING for a moment, as on AWS: wait until it takes requests (no time limit here;
  // the test's own timeout stops a table that never comes).
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return tableName;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
