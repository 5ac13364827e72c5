import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { disconnect } from '../../functions/exchange/disconnect.js';
import { parseExchangeEvent } from '../../functions/exchange/exchange-event.js';
import { type ExchangeResult, exchangeGrantCode } from '../../functions/exchange/exchange-grant-code.js';
import type { DisconnectResult } from '../../functions/lib/connection-status.js';
import { parseTokenRecord, type TokenRecord } from '../../functions/lib/documents.js';
import { RefreshSchedule } from '../../functions/lib/schedule/refresh-schedule.js';
import { TokenStore } from '../../functions/lib/store/token-store.js';
import { ZohoAccountsClient } from '../../functions/lib/zoho/accounts-client.js';
import { type RefreshOutcome, refreshAccessToken } from '../../functions/refresh/refresh-access-token.js';
import { inProcessFetch } from '../sandbox/in-process-fetch.js';
import { IN_PROCESS_SANDBOX_URL, ZohoSandbox } from '../sandbox/zoho-sandbox.js';
import { InMemoryScheduler, InMemorySecretsManager } from './in-memory-aws.js';

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
 * One connection driven by the real exchange, disconnect and refresh use cases, the real token store
 * and schedule module, and the real Zoho accounts client, with Secrets Manager and Scheduler in
 * memory and the Zoho sandbox in-process, on a clock the test moves. Each `container()` has its own
 * clients, as separate Lambda containers do. Nothing here waits on real time.
 */
export class ConnectionRig {
  readonly secrets = new InMemorySecretsManager();
  readonly scheduler = new InMemoryScheduler();
  readonly sandbox: ZohoSandbox;
  nowMs = Date.parse('2026-12-01T08:00:00.000Z');
  readonly #held: { answered: () => void; released: Promise<void> }[] = [];

  constructor() {
    this.sandbox = ZohoSandbox.inProcess({ now: () => this.nowMs, apiDomain: RIG.apiDomain });
    this.sandbox.registerClient(RIG.client);
    this.secrets.create(RIG.credentialsSecret, {});
    this.secrets.create(RIG.accessTokenSecret, {});
    this.scheduler.seedRefreshSchedule(RIG.schedule);
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

  /** The stored token as if minted `minutes` ago, written as another version (as time passing would leave it). */
  ageStoredToken(minutes: number): void {
    const document = this.secrets.jsonOf(RIG.accessTokenSecret);
    const shift = (iso: unknown) => new Date(Date.parse(String(iso)) - minutes * 60_000).toISOString();
    this.secrets.create(RIG.accessTokenSecret, {
      ...document,
      refreshed_at: shift(document.refreshed_at),
      expires_at: shift(document.expires_at),
    });
  }

  restore(): void {
    this.secrets.restore();
    this.scheduler.restore();
  }
}

export class RigContainer {
  readonly #store: TokenStore;
  readonly #schedule: RefreshSchedule;

  constructor(
    private readonly rig: ConnectionRig,
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
  }

  exchange(code: string, withClient = true): Promise<ExchangeResult> {
    const event = withClient
      ? { code, client_id: RIG.client.clientId, client_secret: RIG.client.clientSecret }
      : { code };
    const parsed = parseExchangeEvent(event);
    if (parsed.kind !== 'connect') throw new Error('not a grant-code event');
    return exchangeGrantCode(
      {
        store: this.#store,
        zoho: this.zoho,
        accountsUrl: this.accountsUrl,
        credentialsSecretId: RIG.credentialsSecret,
      },
      parsed,
    );
  }

  refresh(force: boolean): Promise<RefreshOutcome> {
    return refreshAccessToken(
      {
        store: this.#store,
        zoho: this.zoho,
        schedule: this.#schedule,
        accountsUrl: this.accountsUrl,
        now: this.rig.now,
      },
      force,
    );
  }

  disconnect(): Promise<DisconnectResult> {
    return disconnect({
      store: this.#store,
      zoho: this.zoho,
      schedule: this.#schedule,
      accountsUrl: this.accountsUrl,
      now: this.rig.now,
    });
  }
}
