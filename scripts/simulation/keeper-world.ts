import {
  InvokeCommand,
  type InvokeCommandInput,
  type InvokeCommandOutput,
  LambdaClient,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ZohoTokenReader } from '../../functions/consumer/index.js';
import { parseExchangeEvent } from '../../functions/exchange/exchange-event.js';
import { type ExchangeResult, exchangeGrantCode } from '../../functions/exchange/exchange-grant-code.js';
import {
  type AccessTokenDocument,
  parseAccessToken,
  parseCredentials,
} from '../../functions/lib/documents.js';
import { followUpScheduleName, RefreshSchedule } from '../../functions/lib/schedule/refresh-schedule.js';
import { TokenStore } from '../../functions/lib/store/token-store.js';
import { ZohoAccountsClient } from '../../functions/lib/zoho/accounts-client.js';
import {
  type RefreshDependencies,
  refreshAccessToken,
} from '../../functions/refresh/refresh-access-token.js';
import { parseRefreshEvent } from '../../functions/refresh/refresh-event.js';
import { ZohoCallGuard } from '../../functions/refresh/zoho-call-guard.js';
import { inProcessFetch } from '../../test/sandbox/in-process-fetch.js';
import { type SandboxFault, ZohoSandbox } from '../../test/sandbox/zoho-sandbox.js';
import { InMemoryScheduler, InMemorySecretsManager } from '../../test/support/in-memory-aws.js';
import { SeededRandom } from './random.js';
import { routeGlobalFetch } from './sandbox-routing.js';
import type { SimulatedClock } from './simulated-clock.js';
import { SimulatedTimeouts } from './simulated-timeouts.js';

export const NAMES = {
  credentialsSecret: 'zoho-token-keeper/sim/credentials',
  accessTokenSecret: 'zoho-token-keeper/sim/access-token',
  schedule: 'zoho-token-keeper-sim-refresh',
  scheduleGroup: 'default',
  refreshFunction: 'zoho-token-keeper-sim-refresh',
} as const;

export const SIMULATED_CLIENT = {
  clientId: '1000.SIMULATIONCLIENT42',
  clientSecret: 'simulations3cret0123456789abcdef',
} as const;

const REGION = 'eu-west-1';
const FOLLOW_UP_NAME = followUpScheduleName(NAMES.schedule);

/** What started a run of the refresh function (or the exchange function). */
export type RunSource = 'exchange' | 'schedule' | 'duplicate' | 'follow-up' | 'consumer' | 'direct';

export interface RunRecord {
  readonly at: number;
  readonly source: RunSource;
  readonly force: boolean;
  /** 'refreshed', 'skipped', 'connected', or the name of the error the run failed with. */
  readonly outcome: string;
  /** Requests that reached Zoho's token endpoint during the run, retries included. */
  readonly zohoRequests: number;
  readonly accessTokensMinted: number;
  readonly secretWrites: number;
}

export interface KeeperWorldOptions {
  readonly clock: SimulatedClock;
  /**
   * Decides the order of concurrent answers and the backoff's jitter, so that a seed replays a run.
   * @default new SeededRandom(1)
   */
  readonly random?: SeededRandom;
  /**
   * Asked before each request to Zoho's token endpoint; a fault it returns is served to that request.
   * A 'hang' or 'lost-answer' ends in the client's time-out.
   */
  readonly faultFor?: () => SandboxFault | undefined;
  /**
   * How long the refresh function's container may sit idle before Lambda reclaims it, drawn anew for
   * each container; a run after that starts a new container, without the old one's memory.
   * @default never reclaimed
   */
  readonly reclaimAfterIdleMs?: () => number;
}

export type ReaderKind = 'fleet' | 'burst';

/** Most microtask turns a request or answer waits in the transport: enough to reorder concurrent calls. */
const MAX_TRANSPORT_TURNS = 8;

/**
 * One connection as deployed, driven by the real code: the exchange and refresh use cases, the
 * consumer library, the Zoho sandbox in-process and Secrets Manager, Scheduler and Lambda in memory,
 * all on one simulated clock. Nothing waits on a socket or a real timer, so a seed decides the whole
 * run, whatever the machine's speed. The refresh function runs one invocation at a time
 * (reserved concurrency 1): an Invoke that arrives while a run is in progress is answered
 * TooManyRequestsException, as Lambda does. (The exchange shares that one slot here; it only ever
 * runs alone, at the start or at a reconnect.)
 */
export class KeeperWorld {
  readonly secrets = new InMemorySecretsManager();
  readonly scheduler = new InMemoryScheduler();
  readonly lambda = mockClient(LambdaClient);
  readonly runs: RunRecord[] = [];
  readonly secretWriteTimes: number[] = [];
  /** Per refresh token, when each access token was minted from it (the exchange included). */
  readonly mintTimes = new Map<string, number[]>();
  readonly invokes = { total: 0, busy: 0 };
  readonly injectedFaults = new Map<SandboxFault, number>();
  /** The largest count the sandbox reported of access tokens minted from one refresh token in 10 minutes. */
  maxMintsInTenMinutes = 0;

  readonly #clock: SimulatedClock;
  readonly #refresh: Omit<RefreshDependencies, 'guard'>;
  readonly #exchangeStore: TokenStore;
  readonly #zoho: ZohoAccountsClient;
  readonly #schedule: RefreshSchedule;
  readonly #platformScheduler = new SchedulerClient({ region: REGION });
  readonly #readerClients = new Map<SecretsManagerClient, ReaderKind>();
  readonly #runListeners: ((record: RunRecord) => void)[] = [];
  /** Containers the refresh function started: the first, then one per recycle or reclaim. */
  refreshContainers = 0;
  /** The refresh function's container: its call guard lives as long as the container. */
  #guard = new ZohoCallGuard();
  #refreshLastRunAt: number | undefined;
  #reclaimAfterIdleMs = Number.POSITIVE_INFINITY;
  #running: Promise<void> | undefined;
  readonly #restoreGlobalFetch: () => void;

  private constructor(
    readonly sandbox: ZohoSandbox,
    private readonly options: KeeperWorldOptions,
  ) {
    this.#clock = options.clock;
    const random = options.random ?? new SeededRandom(1);
    const order = random.fork('answer order');
    const backoff = random.fork('zoho backoff');
    const timeouts = new SimulatedTimeouts();
    const transport = inProcessFetch(sandbox, {
      turns: () => Math.floor(order.between(0, MAX_TRANSPORT_TURNS + 1)),
      onHeld: timeouts.expire,
    });
    this.#restoreGlobalFetch = routeGlobalFetch(sandbox.url, transport);
    this.sandbox.registerClient(SIMULATED_CLIENT);
    this.secrets.create(NAMES.credentialsSecret, {});
    this.secrets.create(NAMES.accessTokenSecret, {});
    this.scheduler.seedRefreshSchedule(NAMES.schedule, NAMES.scheduleGroup);

    this.#zoho = new ZohoAccountsClient({
      accountsUrl: sandbox.url,
      now: this.#clock.now,
      timeoutSignal: timeouts.signal,
      random: () => backoff.next(),
      // Retries happen at once: the backoff is seconds of simulated time, too short to matter.
      sleep: async () => {},
      fetch: (input, init) => {
        this.#injectFault();
        return transport(input, init);
      },
    });
    this.#schedule = new RefreshSchedule({
      client: new SchedulerClient({ region: REGION }),
      name: NAMES.schedule,
      group: NAMES.scheduleGroup,
      now: this.#clock.now,
    });
    this.#exchangeStore = this.#tokenStore();
    this.#refresh = {
      store: this.#tokenStore(),
      zoho: this.#zoho,
      schedule: this.#schedule,
      now: this.#clock.now,
    };
    this.lambda.on(InvokeCommand).callsFake((input: InvokeCommandInput) => this.#invoke(input));
  }

  /** Close it when done: until then the global fetch sends the sandbox's origin to the sandbox. */
  static async start(options: KeeperWorldOptions): Promise<KeeperWorld> {
    return new KeeperWorld(ZohoSandbox.inProcess({ now: options.clock.nowMs }), options);
  }

  /** Called after every run of either function, failed ones included. */
  onRun(listener: (record: RunRecord) => void): void {
    this.#runListeners.push(listener);
  }

  /**
   * An operator generates a grant code in the API Console and runs the exchange function. The first
   * time it carries the client id and secret; a reconnect relies on the ones already stored.
   */
  exchange(options: { withClient: boolean } = { withClient: true }): Promise<ExchangeResult> {
    const code = this.sandbox.issueGrantCode({
      clientId: SIMULATED_CLIENT.clientId,
      scope: 'ZohoCRM.users.READ',
    });
    const event = options.withClient
      ? { code, client_id: SIMULATED_CLIENT.clientId, client_secret: SIMULATED_CLIENT.clientSecret }
      : { code };
    return this.#oneAtATime('exchange', false, describeExchange, () =>
      exchangeGrantCode(
        {
          store: this.#exchangeStore,
          zoho: this.#zoho,
          schedule: this.#schedule,
          accountsUrl: this.sandbox.url,
          credentialsSecretId: NAMES.credentialsSecret,
        },
        parseExchangeEvent(event),
      ),
    );
  }

  /**
   * A run of the refresh function. Called directly it is an asynchronous invocation (the schedule's),
   * which Lambda holds until the function's one slot is free; consumers' synchronous invocations come
   * through the mocked Invoke, which refuses them while a run is in progress. Runs are instantaneous
   * in simulated time; a container idle for longer than its reclaim time is replaced first.
   */
  refresh(source: RunSource, force: boolean): Promise<{ refreshed: boolean; expiresAt: string }> {
    return this.#oneAtATime(source, force, describeRefresh, () => {
      const now = this.#clock.nowMs();
      const idle = this.#refreshLastRunAt === undefined ? undefined : now - this.#refreshLastRunAt;
      if (idle === undefined || idle > this.#reclaimAfterIdleMs) this.recycleRefreshContainer();
      this.#refreshLastRunAt = now;
      return refreshAccessToken({ ...this.#refresh, guard: this.#guard }, force);
    });
  }

  /** Lambda replaced the refresh function's container: what it remembered (its call guard) is gone. */
  recycleRefreshContainer(): void {
    this.refreshContainers += 1;
    this.#guard = new ZohoCallGuard();
    this.#reclaimAfterIdleMs = this.options.reclaimAfterIdleMs?.() ?? Number.POSITIVE_INFINITY;
  }

  /** A reader in a new consumer container, with its own clients and memory. */
  createReader(kind: ReaderKind): ZohoTokenReader {
    const secretsManager = new SecretsManagerClient({ region: REGION });
    this.#readerClients.set(secretsManager, kind);
    return new ZohoTokenReader({
      secretId: NAMES.accessTokenSecret,
      refreshFunctionName: NAMES.refreshFunction,
      secretsManager,
      lambda: new LambdaClient({ region: REGION }),
      now: this.#clock.now,
      // A busy refresh function is waited for, not timed: the run in progress finishes first.
      sleep: () => this.#waitForRunSlot(),
    });
  }

  /** True for the Secrets Manager client of a consumer container. */
  isReaderClient(client: unknown): boolean {
    return this.#readerClients.has(client as SecretsManagerClient);
  }

  /** GetSecretValue calls made by readers of one kind. */
  readerSecretReads(kind: ReaderKind): number {
    return this.secrets.mock
      .commandCalls(GetSecretValueCommand)
      .filter((call) => this.#readerClients.get(call.thisValue as SecretsManagerClient) === kind).length;
  }

  storedAccessToken(): AccessTokenDocument | undefined {
    return parseAccessToken(this.secrets.valueOf(NAMES.accessTokenSecret), NAMES.accessTokenSecret);
  }

  storedRefreshToken(): string | undefined {
    return parseCredentials(this.secrets.valueOf(NAMES.credentialsSecret), NAMES.credentialsSecret)
      .refresh_token;
  }

  /** True when the stored access token is one Zoho accepts right now. */
  storedTokenIsUsable(): boolean {
    const stored = this.storedAccessToken();
    return stored !== undefined && this.sandbox.isAccessTokenValid(stored.access_token);
  }

  mainSchedule(): { enabled: boolean; rateMinutes: number } {
    const schedule = this.scheduler.get(NAMES.schedule, NAMES.scheduleGroup);
    const rate = /^rate\((\d+) minutes?\)$/.exec(schedule?.ScheduleExpression ?? '');
    if (!schedule || !rate?.[1]) throw new Error('The simulation models a rate(N minutes) refresh schedule.');
    return { enabled: schedule.State !== 'DISABLED', rateMinutes: Number(rate[1]) };
  }

  /** When the pending one-time follow-up fires (epoch ms), if one is pending. */
  followUpAt(): number | undefined {
    const followUp = this.scheduler.get(FOLLOW_UP_NAME, NAMES.scheduleGroup);
    if (!followUp || followUp.State === 'DISABLED') return undefined;
    const at = /^at\((.+)\)$/.exec(followUp.ScheduleExpression ?? '')?.[1];
    // at() is read in ScheduleExpressionTimezone, which the follow-up sets to UTC.
    return at === undefined ? undefined : Date.parse(`${at}Z`);
  }

  /** The follow-up fired: ActionAfterCompletion DELETE removes it. */
  async completeFollowUp(): Promise<void> {
    await this.#platformScheduler.send(
      new DeleteScheduleCommand({ Name: FOLLOW_UP_NAME, GroupName: NAMES.scheduleGroup }),
    );
  }

  async close(): Promise<void> {
    await this.#running;
    this.lambda.restore();
    this.secrets.restore();
    this.scheduler.restore();
    this.#restoreGlobalFetch();
    await this.sandbox.close();
  }

  async #invoke(input: InvokeCommandInput): Promise<Partial<InvokeCommandOutput>> {
    this.invokes.total += 1;
    if (input.FunctionName !== NAMES.refreshFunction) {
      throw Object.assign(new Error(`Function not found: ${input.FunctionName}`), {
        name: 'ResourceNotFoundException',
      });
    }
    if (this.#running) {
      this.invokes.busy += 1;
      throw new TooManyRequestsException({
        message: 'Rate Exceeded.',
        Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
        $metadata: {},
      });
    }
    try {
      const event: unknown = JSON.parse(payloadText(input.Payload));
      const outcome = await this.refresh('consumer', parseRefreshEvent(event).force);
      return lambdaAnswer({ refreshed: outcome.refreshed, expires_at: outcome.expiresAt });
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      return {
        ...lambdaAnswer({ errorType: name, errorMessage: message, trace: [] }),
        FunctionError: 'Unhandled',
      };
    }
  }

  async #oneAtATime<T>(
    source: RunSource,
    force: boolean,
    describe: (result: T) => string,
    work: () => Promise<T>,
  ): Promise<T> {
    while (this.#running) await this.#running;
    const before = {
      zohoRequests: this.sandbox.stats.tokenRequests,
      mints: this.sandbox.stats.mints,
      writes: this.secrets.calls.put,
    };
    let outcome = 'unknown';
    const run = (async () => {
      try {
        const result = await work();
        outcome = describe(result);
        return result;
      } catch (error) {
        outcome = error instanceof Error ? error.name : 'Error';
        throw error;
      }
    })();
    this.#running = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await run;
    } finally {
      this.#running = undefined;
      this.#record(source, force, outcome, before);
    }
  }

  #record(
    source: RunSource,
    force: boolean,
    outcome: string,
    before: { zohoRequests: number; mints: number; writes: number },
  ): void {
    const at = this.#clock.nowMs();
    const stats = this.sandbox.stats;
    const record: RunRecord = {
      at,
      source,
      force,
      outcome,
      zohoRequests: stats.tokenRequests - before.zohoRequests,
      accessTokensMinted: stats.mints - before.mints,
      secretWrites: this.secrets.calls.put - before.writes,
    };
    for (let i = 0; i < record.secretWrites; i += 1) this.secretWriteTimes.push(at);
    const refreshToken = this.storedRefreshToken();
    if (refreshToken && record.accessTokensMinted > 0) {
      const times = this.mintTimes.get(refreshToken) ?? [];
      for (let i = 0; i < record.accessTokensMinted; i += 1) times.push(at);
      this.mintTimes.set(refreshToken, times);
    }
    for (const token of this.mintTimes.keys()) {
      this.maxMintsInTenMinutes = Math.max(
        this.maxMintsInTenMinutes,
        this.sandbox.mintsInLastTenMinutes(token),
      );
    }
    this.runs.push(record);
    for (const listener of this.#runListeners) listener(record);
  }

  #injectFault(): void {
    const fault = this.options.faultFor?.();
    if (!fault) return;
    this.injectedFaults.set(fault, (this.injectedFaults.get(fault) ?? 0) + 1);
    this.sandbox.injectFaults(fault);
  }

  async #waitForRunSlot(): Promise<void> {
    if (this.#running) await this.#running;
    else await new Promise((resolve) => setImmediate(resolve));
  }

  #tokenStore(): TokenStore {
    return new TokenStore({
      client: new SecretsManagerClient({ region: REGION }),
      credentialsSecretId: NAMES.credentialsSecret,
      accessTokenSecretId: NAMES.accessTokenSecret,
    });
  }
}

function describeExchange(result: ExchangeResult): string {
  return result.status;
}

function describeRefresh(outcome: { refreshed: boolean }): string {
  return outcome.refreshed ? 'refreshed' : 'skipped';
}

function payloadText(payload: InvokeCommandInput['Payload']): string {
  if (typeof payload === 'string') return payload;
  return payload instanceof Uint8Array ? new TextDecoder().decode(payload) : '{}';
}

function lambdaAnswer(body: unknown): Partial<InvokeCommandOutput> {
  return {
    StatusCode: 200,
    Payload: new TextEncoder().encode(JSON.stringify(body)) as InvokeCommandOutput['Payload'],
  };
}
