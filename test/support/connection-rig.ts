import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { disconnect } from '../../functions/exchange/disconnect.js';
import { parseExchangeEvent } from '../../functions/exchange/exchange-event.js';
import { type ExchangeResult, exchangeGrantCode } from '../../functions/exchange/exchange-grant-code.js';
import type { DisconnectResult } from '../../functions/lib/connection-status.js';
import { parseTokenRecord, type TokenRecord } from '../../functions/lib/documents.js';
import { STATE_TABLE_KEY } from '../../functions/lib/environment.js';
import { RefreshSchedule } from '../../functions/lib/schedule/refresh-schedule.js';
import type { ConnectionItem } from '../../functions/lib/store/connection-item.js';
import { DynamoStateStore } from '../../functions/lib/store/dynamo-state-store.js';
import type { StateChange } from '../../functions/lib/store/held-lease.js';
import { TokenStore } from '../../functions/lib/store/token-store.js';
import { ZohoAccountsClient } from '../../functions/lib/zoho/accounts-client.js';
import { type RefreshOutcome, refreshAccessToken } from '../../functions/refresh/refresh-access-token.js';
import { inProcessFetch } from '../sandbox/in-process-fetch.js';
import { IN_PROCESS_SANDBOX_URL, ZohoSandbox } from '../sandbox/zoho-sandbox.js';
import { InMemoryScheduler, InMemorySecretsManager } from './in-memory-aws.js';
import { createStateTable, dynamoClient } from './state-table.js';

export const RIG = {
  credentialsSecret: 'zoho-token-keeper/rig/credentials',
  accessTokenSecret: 'zoho-token-keeper/rig/access-token',
  schedule: 'zoho-token-keeper-rig-refresh',
  client: { clientId: '1000.RIGCLIENT0123456789ABCDEF', clientSecret: 'r1g2c3d4e5f60718293a4b5c6d7e8f90' },
  apiDomain: 'https://www.zohoapis.eu',
} as const;

/** An answer of Zoho that arrived at the sandbox (which acted on it) and waits to be handed back. */
export interface HeldAnswer {
  /** Resolves once the sandbox has answered: the token is minted, the code spent. */
  readonly answered: Promise<void>;
  release(): void;
}

/**
 * One connection driven by the real exchange, disconnect and refresh use cases, the real token store,
 * state store and schedule module, and the real Zoho accounts client, with Secrets Manager and
 * Scheduler in memory, the state table in DynamoDB (dynalite, whose conditional writes are the real
 * thing), and the Zoho sandbox in-process, on a clock the test moves. Each `container()` has its own
 * clients, as separate Lambda containers do. Nothing here waits on real time.
 */
export class ConnectionRig {
  nowMs = Date.parse('2026-12-01T08:00:00.000Z');
  readonly secrets = new InMemorySecretsManager(() => this.nowMs);
  readonly scheduler = new InMemoryScheduler();
  readonly sandbox: ZohoSandbox;
  /** Every change of state the runs reported, in order. */
  readonly stateChanges: StateChange[] = [];
  /** Origins the Zoho client sent requests to, with their paths, in order. */
  readonly zohoRequests: { readonly origin: string; readonly path: string }[] = [];
  /**
   * How a connect or disconnect waits between two tries for the lease. By default the clock moves on
   * and other work runs; a test replaces it to decide what happens while an operator's change waits.
   */
  operatorSleep: (ms: number) => Promise<void> = async (ms) => {
    this.nowMs += ms;
    await new Promise((resolve) => setImmediate(resolve));
  };
  readonly #held: { answered: () => void; released: Promise<void> }[] = [];

  private constructor(public stateTable: string) {
    this.sandbox = ZohoSandbox.inProcess({ now: () => this.nowMs, apiDomain: RIG.apiDomain });
    this.sandbox.registerClient(RIG.client);
    this.secrets.create(RIG.credentialsSecret, {});
    this.secrets.create(RIG.accessTokenSecret, {});
    this.scheduler.seedRefreshSchedule(RIG.schedule);
  }

  static async create(): Promise<ConnectionRig> {
    return new ConnectionRig(await createStateTable());
  }

  /** Points the containers made from now on at a new, empty state table (the same secrets). */
  async useNewStateTable(): Promise<void> {
    this.stateTable = await createStateTable();
  }

  /** The connection's state as the table holds it. */
  state(): Promise<ConnectionItem | undefined> {
    return this.stateStore(dynamoClient()).read();
  }

  /** Who holds the lease now, read from the table as an operator would. */
  async leaseHolder(): Promise<string | undefined> {
    const output = await dynamoClient().send(
      new GetItemCommand({
        TableName: this.stateTable,
        Key: { [STATE_TABLE_KEY.attribute]: { S: STATE_TABLE_KEY.value } },
        ConsistentRead: true,
      }),
    );
    return output.Item?.lease_holder?.S;
  }

  stateStore(client: DynamoDBClient): DynamoStateStore {
    return new DynamoStateStore({ client, tableName: this.stateTable });
  }

  readonly now = (): Date => new Date(this.nowMs);

  advanceMinutes(minutes: number): void {
    this.nowMs += minutes * 60_000;
  }

  /** The next answer of Zoho's token endpoint is held until released. */
  holdNextAnswer(): HeldAnswer {
    let answered!: () => void;
    let release!: () => void;
    const answeredPromise = new Promise<void>((resolve) => (answered = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#held.push({ answered, released });
    return { answered: answeredPromise, release };
  }

  /** A Lambda container of either function: its own AWS and Zoho clients. */
  container(options: { accountsUrl?: string } = {}): RigContainer {
    const transport = inProcessFetch(this.sandbox);
    const zoho = new ZohoAccountsClient({
      accountsUrl: IN_PROCESS_SANDBOX_URL,
      now: this.now,
      sleep: async () => {},
      fetch: async (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        this.zohoRequests.push({ origin: url.origin, path: url.pathname });
        const response = await transport(input, init);
        const held = this.#held.shift();
        if (held) {
          held.answered();
          await held.released;
        }
        return response;
      },
    });
    return new RigContainer(this, zoho, options.accountsUrl ?? IN_PROCESS_SANDBOX_URL);
  }

  issueGrantCode(): string {
    return this.sandbox.issueGrantCode({ clientId: RIG.client.clientId, scope: 'ZohoCRM.modules.ALL' });
  }

  record(): TokenRecord {
    return parseTokenRecord(this.secrets.valueOf(RIG.accessTokenSecret), RIG.accessTokenSecret);
  }

  credentials(): Record<string, unknown> {
    return this.secrets.jsonOf(RIG.credentialsSecret);
  }

  /** True when the stored access token is one Zoho accepts now. */
  storedTokenWorks(): boolean {
    const token = this.record().token;
    return token !== undefined && this.sandbox.isAccessTokenValid(token.access_token);
  }

  restore(): void {
    this.secrets.restore();
    this.scheduler.restore();
  }
}

export class RigContainer {
  /** This container's DynamoDB client: count its calls with a middleware. */
  readonly dynamo = dynamoClient();
  readonly #store: TokenStore;
  readonly #schedule: RefreshSchedule;
  readonly #common;

  constructor(
    rig: ConnectionRig,
    private readonly zoho: ZohoAccountsClient,
    private readonly accountsUrl: string,
  ) {
    this.#store = new TokenStore({
      client: new SecretsManagerClient({ region: 'eu-west-1' }),
      credentialsSecretId: RIG.credentialsSecret,
      accessTokenSecretId: RIG.accessTokenSecret,
    });
    this.#schedule = new RefreshSchedule({
      client: new SchedulerClient({ region: 'eu-west-1' }),
      name: RIG.schedule,
      group: 'default',
      now: rig.now,
    });
    this.#common = {
      state: rig.stateStore(this.dynamo),
      store: this.#store,
      zoho: this.zoho,
      accountsUrl: this.accountsUrl,
      now: rig.now,
      sleep: (ms: number) => rig.operatorSleep(ms),
      onStateChange: async (change: StateChange) => {
        rig.stateChanges.push(change);
      },
    };
  }

  exchange(code: string, withClient = true): Promise<ExchangeResult> {
    const event = withClient
      ? { code, client_id: RIG.client.clientId, client_secret: RIG.client.clientSecret }
      : { code };
    const parsed = parseExchangeEvent(event);
    if (parsed.kind !== 'connect') throw new Error('not a grant-code event');
    return exchangeGrantCode({ ...this.#common, credentialsSecretId: RIG.credentialsSecret }, parsed);
  }

  refresh(force: boolean): Promise<RefreshOutcome> {
    return refreshAccessToken({ ...this.#common, schedule: this.#schedule }, force);
  }

  disconnect(): Promise<DisconnectResult> {
    return disconnect({ ...this.#common, schedule: this.#schedule });
  }
}
