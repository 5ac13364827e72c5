import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CONNECTION_STATES, type ConnectionState } from '../connection-status.js';
import { ENV, STATE_TABLE_KEY } from '../environment.js';
import { ConfigError, hasErrorName } from '../errors.js';
import type { ConnectionItem, LeaseAttempt, StateStore } from './connection-item.js';

type Item = Record<string, AttributeValue>;

const KEY: Item = { [STATE_TABLE_KEY.attribute]: { S: STATE_TABLE_KEY.value } };

/** Item attributes holding ISO times or words, by ConnectionItem field. */
const STRING_ATTRIBUTES = {
  stateReason: 'state_reason',
  stateSince: 'state_since',
  connectedAt: 'connected_at',
  tokenVersionId: 'token_version',
  refreshedAt: 'refreshed_at',
  expiresAt: 'expires_at',
  lastFailureAt: 'last_failure_at',
  lastFailureError: 'last_failure_error',
  retryAfter: 'retry_after',
} as const satisfies Partial<Record<keyof ConnectionItem, string>>;

/**
 * The connection's state in its DynamoDB table: one item, written only with conditions. A lease
 * (`lease_holder`, `lease_until` in epoch ms) is taken with a conditional update that also returns
 * the item, and given back with a conditional put of the whole new state: two calls per run.
 */
export class DynamoStateStore implements StateStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async acquire(holder: string, now: Date, leaseMs: number): Promise<LeaseAttempt> {
    try {
      const output = await this.#call(() =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.#tableName,
            Key: KEY,
            UpdateExpression: 'SET lease_holder = :holder, lease_until = :until',
            ConditionExpression: 'attribute_not_exists(lease_until) OR lease_until <= :now',
            ExpressionAttributeValues: {
              ':holder': { S: holder },
              ':until': { N: String(now.getTime() + leaseMs) },
              ':now': { N: String(now.getTime()) },
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return { acquired: true, item: parseItem(output.Attributes, this.#tableName) };
    } catch (error) {
      if (!hasErrorName(error, 'ConditionalCheckFailedException')) throw error;
      // DynamoDB can return the item with the failure (ReturnValuesOnConditionCheckFailure), but not
      // every implementation does: one consistent read says who holds the lease.
      const current = await this.#get();
      const until = Number(current?.lease_until?.N ?? now.getTime());
      return {
        acquired: false,
        item: parseItem(current, this.#tableName),
        lease: { holder: current?.lease_holder?.S ?? 'unknown', until: new Date(until) },
      };
    }
  }

  async release(holder: string, next?: ConnectionItem): Promise<boolean> {
    const condition = {
      ConditionExpression: 'lease_holder = :holder',
      ExpressionAttributeValues: { ':holder': { S: holder } },
    };
    try {
      await this.#call(() =>
        next
          ? this.#client.send(
              new PutItemCommand({ TableName: this.#tableName, Item: toItem(next), ...condition }),
            )
          : this.#client.send(
              new UpdateItemCommand({
                TableName: this.#tableName,
                Key: KEY,
                UpdateExpression: 'REMOVE lease_holder, lease_until',
                ...condition,
              }),
            ),
      );
      return true;
    } catch (error) {
      if (hasErrorName(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  async read(): Promise<ConnectionItem | undefined> {
    return parseItem(await this.#get(), this.#tableName);
  }

  async #get(): Promise<Item | undefined> {
    const output = await this.#call(() =>
      this.#client.send(new GetItemCommand({ TableName: this.#tableName, Key: KEY, ConsistentRead: true })),
    );
    return output.Item;
  }

  async #call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw explainTableError(error, this.#tableName);
    }
  }
}

function toItem(state: ConnectionItem): Item {
  const item: Item = {
    ...KEY,
    state: { S: state.state },
    token_writes: { L: state.tokenWrites.map((time) => ({ N: String(time) })) },
    forced_writes: { L: state.forcedWrites.map((time) => ({ N: String(time) })) },
  };
  for (const [field, attribute] of Object.entries(STRING_ATTRIBUTES)) {
    const value = state[field as keyof typeof STRING_ATTRIBUTES];
    if (value !== undefined && value !== '') item[attribute] = { S: value };
  }
  return item;
}

/**
 * The item as state, or undefined when it holds none yet: a new table, or one whose only attributes
 * are a lease taken a moment ago. An attribute of the wrong type is a hand edit: refused, named.
 */
function parseItem(item: Item | undefined, tableName: string): ConnectionItem | undefined {
  const state = item?.state?.S;
  if (item === undefined || state === undefined) return undefined;
  if (!(CONNECTION_STATES as readonly string[]).includes(state)) {
    throw new ConfigError(
      `The state table ${tableName} holds an unknown state. Delete its item (key ${STATE_TABLE_KEY.attribute} = ` +
        `"${STATE_TABLE_KEY.value}"): the next run rebuilds it from the secrets.`,
    );
  }
  const strings: Partial<Record<keyof typeof STRING_ATTRIBUTES, string>> = {};
  for (const [field, attribute] of Object.entries(STRING_ATTRIBUTES)) {
    const value = item[attribute]?.S;
    if (value !== undefined) strings[field as keyof typeof STRING_ATTRIBUTES] = value;
  }
  return {
    state: state as ConnectionState,
    ...strings,
    tokenWrites: numbers(item.token_writes),
    forcedWrites: numbers(item.forced_writes),
  };
}

function numbers(attribute: AttributeValue | undefined): number[] {
  return (attribute?.L ?? []).map((value) => Number(value.N)).filter((time) => Number.isFinite(time));
}

function explainTableError(error: unknown, tableName: string): unknown {
  const options = { cause: error };
  if (hasErrorName(error, 'ResourceNotFoundException')) {
    return new ConfigError(
      `The state table ${tableName} was not found. Check ${ENV.stateTableName} on the function: it must name the ` +
        "connection's DynamoDB table in this account and region (the CDK construct creates it and sets it).",
      options,
    );
  }
  if (hasErrorName(error, 'AccessDeniedException')) {
    return new ConfigError(
      `The function's role may not use the state table ${tableName}. Grant it dynamodb:GetItem, PutItem and ` +
        'UpdateItem on the table (the CDK construct does) and redeploy.',
      options,
    );
  }
  return error;
}
