import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/lib/errors.js';
import type { ConnectionItem, StateStore } from '../../../functions/lib/store/connection-item.js';
import { DynamoStateStore } from '../../../functions/lib/store/dynamo-state-store.js';
import { MemoryStateStore } from '../../support/memory-state-store.js';
import { createStateTable, dynamoClient } from '../../support/state-table.js';

const T0 = new Date('2026-12-01T08:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const LEASE_MS = 60_000;

const CONNECTED: ConnectionItem = {
  state: 'connected',
  stateReason: 'connected',
  stateSince: '2026-12-01T07:00:00.000Z',
  connectedAt: '2026-12-01T07:00:00.000Z',
  tokenVersionId: '6a3c1e4e-0f0a-4b5e-9d3b-2f1c0e8d7a61',
  refreshedAt: '2026-12-01T07:50:00.000Z',
  expiresAt: '2026-12-01T08:50:00.000Z',
  lastFailureAt: '2026-12-01T06:00:00.000Z',
  lastFailureError: 'ZohoUnavailableError',
  retryAfter: '2026-12-01T06:01:00.000Z',
  tokenWrites: [T0.getTime() - 3_600_000, T0.getTime() - 600_000],
  forcedWrites: [T0.getTime() - 600_000],
};

/** The DynamoDB calls a store made, by operation, counted on the wire. */
function countCalls(client: DynamoDBClient): Record<string, number> {
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      counts[operation] = (counts[operation] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return counts;
}

interface Subject {
  readonly store: StateStore;
  /** DynamoDB calls so far, by operation. */
  readonly calls: () => Record<string, number>;
}

const implementations: [string, () => Promise<Subject>][] = [
  [
    'DynamoDB (dynalite)',
    async () => {
      const client = dynamoClient();
      const tableName = await createStateTable(client);
      const counts = countCalls(client);
      return { store: new DynamoStateStore({ client, tableName }), calls: () => ({ ...counts }) };
    },
  ],
  [
    'in memory (simulation)',
    async () => {
      const store = new MemoryStateStore();
      return {
        store,
        calls: () => Object.fromEntries(Object.entries(store.calls).filter(([, count]) => count > 0)),
      };
    },
  ],
];

describe.each(implementations)('state store: %s', (_name, create) => {
  let subject: Subject;
  beforeAll(async () => {
    subject = await create();
  });
  const fresh = async () => {
    subject = await create();
    return subject.store;
  };

  it('hands the lease of an empty table to one run and says the state is still to be built', async () => {
    const store = await fresh();
    await expect(store.acquire('run-a', T0, LEASE_MS)).resolves.toEqual({ acquired: true, item: undefined });
    await expect(store.read()).resolves.toBeUndefined();
  });

  it('refuses the lease while another run holds it, saying who and until when', async () => {
    const store = await fresh();
    await store.acquire('run-a', T0, LEASE_MS);
    await expect(store.acquire('run-b', at(30), LEASE_MS)).resolves.toEqual({
      acquired: false,
      item: undefined,
      lease: { holder: 'run-a', until: at(60) },
    });
  });

  it('gives a lapsed lease to the next run, and then refuses the lapsed holder its write', async () => {
    const store = await fresh();
    await store.acquire('run-a', T0, LEASE_MS);
    const taken = await store.acquire('run-b', at(60), LEASE_MS);
    expect(taken.acquired).toBe(true);
    await expect(store.release('run-a', CONNECTED)).resolves.toBe(false);
    await expect(store.read()).resolves.toBeUndefined();
    await expect(store.release('run-b', CONNECTED)).resolves.toBe(true);
    await expect(store.read()).resolves.toEqual(CONNECTED);
  });

  it('stores every field of the state with the release, and frees the lease in the same write', async () => {
    const store = await fresh();
    await store.acquire('run-a', T0, LEASE_MS);
    await store.release('run-a', CONNECTED);
    await expect(store.acquire('run-b', at(1), LEASE_MS)).resolves.toEqual({
      acquired: true,
      item: CONNECTED,
    });
  });

  it('frees the lease without a change, keeping the state', async () => {
    const store = await fresh();
    await store.acquire('run-a', T0, LEASE_MS);
    await store.release('run-a', CONNECTED);
    await store.acquire('run-b', at(1), LEASE_MS);
    await expect(store.release('run-b')).resolves.toBe(true);
    await expect(store.acquire('run-c', at(2), LEASE_MS)).resolves.toEqual({
      acquired: true,
      item: CONNECTED,
    });
  });

  it('drops optional fields a new state leaves out', async () => {
    const store = await fresh();
    await store.acquire('run-a', T0, LEASE_MS);
    await store.release('run-a', CONNECTED);
    await store.acquire('run-b', at(1), LEASE_MS);
    const disconnected: ConnectionItem = { state: 'not-connected', tokenWrites: [], forcedWrites: [] };
    await store.release('run-b', disconnected);
    await expect(store.read()).resolves.toEqual(disconnected);
  });

  it('lets exactly one of many runs that ask at the same moment take the lease', async () => {
    const store = await fresh();
    const attempts = await Promise.all(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((run) => store.acquire(`run-${run}`, T0, LEASE_MS)),
    );
    expect(attempts.filter((attempt) => attempt.acquired)).toHaveLength(1);
  });

  it('makes one call to take a free lease, two to find it held, and one to give it back', async () => {
    const store = await fresh();
    const before = subject.calls();
    await store.acquire('run-a', T0, LEASE_MS);
    expect(subject.calls()).toEqual({ ...before, UpdateItem: 1 });
    await store.acquire('run-b', at(1), LEASE_MS);
    expect(subject.calls()).toEqual({ UpdateItem: 2, GetItem: 1 });
    await store.release('run-a', CONNECTED);
    expect(subject.calls()).toEqual({ UpdateItem: 2, GetItem: 1, PutItem: 1 });
  });
});

describe('state store: DynamoDB errors an operator can fix', () => {
  it('names the variable to check when the table does not exist', async () => {
    const store = new DynamoStateStore({
      client: dynamoClient(),
      tableName: 'zoho-token-keeper-missing-state',
    });
    const failure = store.read();
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow(
      /zoho-token-keeper-missing-state was not found\. Check STATE_TABLE_NAME/,
    );
  });

  it('refuses a state it does not know, saying how to rebuild it', async () => {
    const client = dynamoClient();
    const tableName = await createStateTable(client);
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'connection' }, state: { S: 'fine' } } }),
    );
    await expect(new DynamoStateStore({ client, tableName }).read()).rejects.toThrow(
      /unknown state\. Delete its item \(key pk = "connection"\): the next run rebuilds it from the secrets/,
    );
  });
});
