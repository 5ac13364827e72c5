import {
  InvokeCommand,
  type InvokeCommandInput,
  type InvokeCommandOutput,
  LambdaClient,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { DeleteScheduleCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { loadLambdaModule } from '../../functions/consumer/default-clients.js';
import { ZohoTokenReader } from '../../functions/consumer/index.js';
import { describeConnection } from '../../functions/exchange/describe-connection.js';
import { disconnect } from '../../functions/exchange/disconnect.js';
import { parseExchangeEvent } from '../../functions/exchange/exchange-event.js';
import { type ExchangeResult, exchangeGrantCode } from '../../functions/exchange/exchange-grant-code.js';
import type { ConnectionStatus, DisconnectResult } from '../../functions/lib/connection-status.js';
import {
  type AccessTokenDocument,
  parseCredentials,
  parseTokenRecord,
  type TokenRecord,
} from '../../functions/lib/documents.js';
import { followUpScheduleName, RefreshSchedule } from '../../functions/lib/schedule/refresh-schedule.js';
import { TokenStore } from '../../functions/lib/store/token-store.js';
import { ZohoAccountsClient } from '../../functions/lib/zoho/accounts-client.js';
import { type RefreshOutcome, refreshAccessToken } from '../../functions/refresh/refresh-access-token.js';
import { parseRefreshEvent } from '../../functions/refresh/refresh-event.js';
import { inProcessFetch } from '../../test/sandbox/in-process-fetch.js';
import {
  type SandboxFault,
  type SandboxHttpRequest,
  type SandboxReply,
  ZohoSandbox,
} from '../../test/sandbox/zoho-sandbox.js';
import { InMemoryScheduler, InMemorySecretsManager } from '../../test/support/in-memory-aws.js';
import { MemoryStateStore } from '../../test/support/memory-state-store.js';
import { SeededRandom } from './random.js';
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

/** Zoho hands out one of its data centres' API domains; the sandbox answers there too. */
export const SIMULATED_API_DOMAIN = 'https://www.zohoapis.eu';

const REGION = 'eu-west-1';
const FOLLOW_UP_NAME = followUpScheduleName(NAMES.schedule);
const TOKEN_PATH = '/oauth/v2/token';

/** What started a run of the refresh function, or which operator event the exchange function ran. */
export type RunSource =
  | 'exchange'
  | 'disconnect'
  | 'status'
  | 'schedule'
  | 'duplicate'
  | 'follow-up'
  | 'consumer'
  | 'direct';

export interface RunRecord {
  readonly at: number;
  readonly source: RunSource;
  readonly force: boolean;
  /**
   * 'refreshed', 'skipped' (token too young), another reason the run made no refresh ('in-progress',
   * 'superseded', 'not-connected', 'needs-reconnect'), 'connected', 'disconnected', 'status', or the
   * name of the error the run failed with.
   */
  readonly outcome: string;
  /** The refresh function's reason for what it did ('due', 'forced', 'secret-replaced', ...), when it answered. */
  readonly reason?: string;
  /** Requests this run sent to Zoho's token endpoint, retries included. */
  readonly zohoRequests: number;
  readonly accessTokensMinted: number;
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
   * How long a refresh-function container may sit idle before Lambda reclaims it, drawn anew for each
   * container.
   * @default never reclaimed
   */
  readonly reclaimAfterIdleMs?: () => number;
  /**
   * The refresh function's reserved concurrency: 1 runs one invocation at a time (a synchronous Invoke
   * meanwhile is refused with TooManyRequestsException); 0 means unreserved, each concurrent
   * invocation in its own container up to `accountConcurrency`.
   * @default 1
   */
  readonly reservedConcurrency?: number;
  /** Concurrent executions the account allows an unreserved function. @default 10 */
  readonly accountConcurrency?: number;
}

export type ReaderKind = 'fleet' | 'burst' | 'rejected';

/** Most microtask turns a request or answer waits in the transport: enough to reorder concurrent calls. */
const MAX_TRANSPORT_TURNS = 8;
/** Microtask turns a consumer's busy wait lasts when no run is in progress: many round trips' worth. */
const IDLE_WAIT_TURNS = 1000;

/** A Lambda container of the refresh or exchange function: its own clients, one invocation at a time. */
interface FunctionContainer {
  readonly store: TokenStore;
  readonly schedule: RefreshSchedule;
  readonly zoho: ZohoAccountsClient;
  readonly state: ContainerState;
  lastRunAt: number;
  readonly reclaimAfterIdleMs: number;
}

interface ContainerState {
  /** Requests to Zoho's token endpoint, and the access tokens they minted. */
  zohoRequests: number;
  mints: number;
  /** An action to run while this container's current Zoho answer is held back. */
  heldAnswer: (() => Promise<void>) | undefined;
}

/**
 * One connection as deployed, driven by the real code: the exchange (connect, disconnect, status) and
 * refresh use cases, the consumer library, the Zoho sandbox in-process and Secrets Manager, Scheduler
 * and Lambda in memory, all on one simulated clock. Nothing waits on a socket or a real timer, so a
 * seed decides the whole run, whatever the machine's speed.
 *
 * The refresh function runs in as many containers at once as its concurrency allows, each with its
 * own clients; what one run learns reaches the others only through what it stores. The exchange
 * function is another function, with its own container, so an operator's reconnect or disconnect
 * can overlap a refresh.
 */
export class KeeperWorld {
  /** Secrets Manager on the simulated clock, which its 24-hour version quota counts by. */
  readonly secrets: InMemorySecretsManager;
  readonly scheduler = new InMemoryScheduler();
  /** The connection's state table: in memory, so that no real I/O orders the simulated events. */
  readonly state = new MemoryStateStore();
  readonly lambda = mockClient(LambdaClient);
  readonly runs: RunRecord[] = [];
  readonly secretWriteTimes: number[] = [];
  /** Per refresh token, when each access token was minted from it (the exchange included). */
  readonly mintTimes = new Map<string, number[]>();
  /** Per refresh token, when a refresh with it reached Zoho (answered or not). */
  readonly refreshGrantTimes = new Map<string, number[]>();
  /** Refresh tokens an exchange or disconnect replaced, and when. */
  readonly replacedRefreshTokens = new Map<string, number>();
  /** The refresh token of Zoho's latest answer to an exchange. */
  lastIssuedRefreshToken: string | undefined;
  readonly invokes = { total: 0, busy: 0 };
  readonly injectedFaults = new Map<SandboxFault, number>();
  /** The largest count the sandbox reported of access tokens minted from one refresh token in 10 minutes. */
  maxMintsInTenMinutes = 0;
  /** Containers the refresh function started (cold starts). */
  refreshContainers = 0;
  /** The most refresh runs in progress at once. */
  maxConcurrentRuns = 0;

  readonly #clock: SimulatedClock;
  readonly #claimIds: SeededRandom;
  readonly #order: SeededRandom;
  readonly #backoff: SeededRandom;
  readonly #timeouts = new SimulatedTimeouts();
  readonly #slots: number;
  readonly #idle: FunctionContainer[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #operator: FunctionContainer;
  readonly #platformScheduler = new SchedulerClient({ region: REGION });
  readonly #readerClients = new Map<SecretsManagerClient, ReaderKind>();
  readonly #runListeners: ((record: RunRecord) => void)[] = [];
  readonly #tokenOrigin = new Map<string, string>();
  readonly #heldAnswers: (() => Promise<void>)[] = [];
  /** Operator actions started while a refresh waited on Zoho: they finish after it (they wait for its lease). */
  readonly #overlapping: Promise<void>[] = [];
  readonly #apiTransport: typeof fetch;
  #operatorRuns = 0;

  private constructor(
    readonly sandbox: ZohoSandbox,
    private readonly options: KeeperWorldOptions,
  ) {
    this.#clock = options.clock;
    this.secrets = new InMemorySecretsManager(options.clock.nowMs);
    const random = options.random ?? new SeededRandom(1);
    this.#order = random.fork('answer order');
    this.#backoff = random.fork('zoho backoff');
    this.#claimIds = random.fork('claim ids');
    const reserved = options.reservedConcurrency ?? 1;
    this.#slots = reserved > 0 ? reserved : (options.accountConcurrency ?? 10);
    // Consumers reach Zoho's APIs through a transport of their own: those calls are not the keeper's.
    this.#apiTransport = inProcessFetch(sandbox, { turns: this.#turns });
    this.sandbox.registerClient(SIMULATED_CLIENT);
    this.secrets.create(NAMES.credentialsSecret, {});
    this.secrets.create(NAMES.accessTokenSecret, {});
    this.secrets.beforePut(() => this.secretWriteTimes.push(this.#clock.nowMs()));
    this.scheduler.seedRefreshSchedule(NAMES.schedule, NAMES.scheduleGroup);
    this.#operator = this.#newContainer(Number.POSITIVE_INFINITY);
    this.lambda.on(InvokeCommand).callsFake((input: InvokeCommandInput) => this.#invoke(input));
  }

  static async start(options: KeeperWorldOptions): Promise<KeeperWorld> {
    // The consumer library loads the Lambda client's module on its first forced refresh; loaded here,
    // that first load's real I/O cannot decide the order of simulated events.
    await loadLambdaModule();
    const tokens = (options.random ?? new SeededRandom(1)).fork('zoho tokens');
    return new KeeperWorld(
      ZohoSandbox.inProcess({
        now: options.clock.nowMs,
        apiDomain: SIMULATED_API_DOMAIN,
        newToken: () => `1000.${tokens.hex(32)}.${tokens.hex(32)}`,
      }),
      options,
    );
  }

  /** Called after every run of either function, failed ones included. */
  onRun(listener: (record: RunRecord) => void): void {
    this.#runListeners.push(listener);
  }

  /**
   * The next answer Zoho gives to a refresh that mints a token is held on its way back until `action`
   * has finished: what an operator does then overlaps a run waiting on Zoho.
   */
  duringNextRefreshAnswer(action: () => Promise<void>): void {
    this.#heldAnswers.push(action);
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
    const event = parseExchangeEvent(
      options.withClient
        ? { code, client_id: SIMULATED_CLIENT.clientId, client_secret: SIMULATED_CLIENT.clientSecret }
        : { code },
    );
    if (event.kind !== 'connect') throw new Error('A grant code event was expected.');
    const replaced = this.storedRefreshToken();
    return this.#operate('exchange', async (container) => {
      const result = await exchangeGrantCode(
        {
          ...this.#operatorDependencies(container),
          credentialsSecretId: NAMES.credentialsSecret,
        },
        event,
      );
      if (replaced && replaced !== this.storedRefreshToken()) this.#replaced(replaced);
      return { result, outcome: result.status };
    });
  }

  /** The operator disconnects through the exchange function: revoked at Zoho, cleared in AWS. */
  disconnect(): Promise<DisconnectResult> {
    const replaced = this.storedRefreshToken();
    return this.#operate('disconnect', async (container) => {
      const result = await disconnect({
        ...this.#operatorDependencies(container),
        schedule: container.schedule,
      });
      if (replaced) this.#replaced(replaced);
      return { result, outcome: result.status };
    });
  }

  /** The operator asks for the connection's status through the exchange function. */
  status(): Promise<ConnectionStatus> {
    return this.#operate('status', async (container) => ({
      result: await describeConnection({
        state: this.state,
        now: this.#clock.now,
        store: container.store,
        schedule: container.schedule,
        scheduleName: NAMES.schedule,
        accountsUrl: this.sandbox.url,
      }),
      outcome: 'status',
    }));
  }

  /**
   * An asynchronous invocation of the refresh function (the schedule's, or a direct one): Lambda holds
   * it until a container is free. Consumers' synchronous invocations come through the mocked Invoke,
   * which is refused when none is. Runs are instantaneous in simulated time.
   */
  async refresh(source: RunSource, force: boolean): Promise<RefreshOutcome> {
    while (this.#running.size >= this.#slots) await Promise.race(this.#running);
    const outcome = await this.#runRefresh(source, force);
    await Promise.all(this.#overlapping.splice(0));
    return outcome;
  }

  /** Lambda recycled the refresh function's idle containers: the next run starts cold. */
  recycleRefreshContainer(): void {
    this.#idle.length = 0;
  }

  /**
   * The stack is deployed again: CloudFormation puts the refresh schedule back to the template's
   * definition (enabled, every 50 minutes, the same target).
   */
  async redeploySchedule(): Promise<void> {
    const current = this.scheduler.get(NAMES.schedule, NAMES.scheduleGroup);
    if (!current?.Target) throw new Error('The refresh schedule is missing.');
    await this.#platformScheduler.send(
      new UpdateScheduleCommand({
        Name: NAMES.schedule,
        GroupName: NAMES.scheduleGroup,
        State: 'ENABLED',
        ScheduleExpression: 'rate(50 minutes)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Description: current.Description,
        Target: current.Target,
      }),
    );
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
      // A busy refresh function is waited for, not timed: the runs in progress finish first.
      sleep: () => this.#waitForRuns(),
      // Simulated calls take no time, so no wait can outlast a deadline: no real timer is started.
      timer: () => () => {},
      fetch: this.#apiTransport,
    });
  }

  /** The refresh token an access token was minted from, when the simulation saw it minted. */
  originOf(accessToken: string): string | undefined {
    return this.#tokenOrigin.get(accessToken);
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

  storedRecord(): TokenRecord {
    return parseTokenRecord(this.secrets.valueOf(NAMES.accessTokenSecret), NAMES.accessTokenSecret);
  }

  storedAccessToken(): AccessTokenDocument | undefined {
    return this.storedRecord().token;
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

  /** True when no run of either function is in progress. */
  get idle(): boolean {
    return this.#running.size === 0 && this.#operatorRuns === 0;
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
    while (this.#running.size > 0) await Promise.all(this.#running);
    this.lambda.restore();
    this.secrets.restore();
    this.scheduler.restore();
    await this.sandbox.close();
  }

  async #invoke(input: InvokeCommandInput): Promise<Partial<InvokeCommandOutput>> {
    this.invokes.total += 1;
    if (input.FunctionName !== NAMES.refreshFunction) {
      throw Object.assign(new Error(`Function not found: ${input.FunctionName}`), {
        name: 'ResourceNotFoundException',
      });
    }
    if (this.#running.size >= this.#slots) {
      this.invokes.busy += 1;
      throw new TooManyRequestsException({
        message: 'Rate Exceeded.',
        Reason:
          (this.options.reservedConcurrency ?? 1) > 0
            ? 'ReservedFunctionConcurrentInvocationLimitExceeded'
            : 'ConcurrentInvocationLimitExceeded',
        $metadata: {},
      });
    }
    try {
      const event: unknown = JSON.parse(payloadText(input.Payload));
      const outcome = await this.#runRefresh('consumer', parseRefreshEvent(event).force);
      return lambdaAnswer({
        refreshed: outcome.refreshed,
        ...(outcome.expiresAt ? { expires_at: outcome.expiresAt } : {}),
        connection_state: outcome.connectionState,
        reason: outcome.reason,
      });
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      return {
        ...lambdaAnswer({ errorType: name, errorMessage: message, trace: [] }),
        FunctionError: 'Unhandled',
      };
    }
  }

  /** One run in a warm container if one is idle (the most recently used), else in a new one. */
  #runRefresh(source: RunSource, force: boolean): Promise<RefreshOutcome> {
    const container = this.#takeContainer();
    return this.#track(source, force, container, describeRefresh, async () => {
      try {
        return await refreshAccessToken(
          {
            state: this.state,
            store: container.store,
            zoho: container.zoho,
            schedule: container.schedule,
            accountsUrl: this.sandbox.url,
            now: this.#clock.now,
            newLeaseHolder: () => this.#newLeaseHolder(),
          },
          force,
        );
      } finally {
        container.lastRunAt = this.#clock.nowMs();
        this.#idle.push(container);
      }
    });
  }

  #takeContainer(): FunctionContainer {
    const now = this.#clock.nowMs();
    for (let container = this.#idle.pop(); container; container = this.#idle.pop()) {
      if (now - container.lastRunAt <= container.reclaimAfterIdleMs) return container;
    }
    // Every idle container left was reclaimed: a new one starts.
    this.#idle.length = 0;
    this.refreshContainers += 1;
    return this.#newContainer(this.options.reclaimAfterIdleMs?.() ?? Number.POSITIVE_INFINITY);
  }

  /** The exchange function's container: operator events run there, beside any refresh. */
  async #operate<T>(
    source: RunSource,
    work: (container: FunctionContainer) => Promise<{ result: T; outcome: string }>,
  ): Promise<T> {
    return (
      await this.#track(
        source,
        false,
        this.#operator,
        (done) => done.outcome,
        () => work(this.#operator),
      )
    ).result;
  }

  async #track<T>(
    source: RunSource,
    force: boolean,
    container: FunctionContainer,
    describe: (result: T) => string,
    work: () => Promise<T>,
  ): Promise<T> {
    const before = { zohoRequests: container.state.zohoRequests, mints: container.state.mints };
    let outcome = 'unknown';
    let reason: string | undefined;
    const run = (async () => {
      try {
        const result = await work();
        outcome = describe(result);
        reason = reasonOf(result);
        return result;
      } catch (error) {
        outcome = error instanceof Error ? error.name : 'Error';
        throw error;
      }
    })();
    const isRefresh = container !== this.#operator;
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    if (isRefresh) {
      this.#running.add(settled);
      this.maxConcurrentRuns = Math.max(this.maxConcurrentRuns, this.#running.size);
    } else this.#operatorRuns += 1;
    try {
      return await run;
    } finally {
      if (isRefresh) this.#running.delete(settled);
      else this.#operatorRuns -= 1;
      this.#record({
        at: this.#clock.nowMs(),
        source,
        force,
        outcome,
        ...(reason === undefined ? {} : { reason }),
        zohoRequests: container.state.zohoRequests - before.zohoRequests,
        accessTokensMinted: container.state.mints - before.mints,
      });
    }
  }

  #record(record: RunRecord): void {
    for (const token of this.mintTimes.keys()) {
      this.maxMintsInTenMinutes = Math.max(
        this.maxMintsInTenMinutes,
        this.sandbox.mintsInLastTenMinutes(token),
      );
    }
    this.runs.push(record);
    for (const listener of this.#runListeners) listener(record);
  }

  #replaced(refreshToken: string): void {
    if (!this.replacedRefreshTokens.has(refreshToken))
      this.replacedRefreshTokens.set(refreshToken, this.#clock.nowMs());
  }

  #newContainer(reclaimAfterIdleMs: number): FunctionContainer {
    const state: ContainerState = { zohoRequests: 0, mints: 0, heldAnswer: undefined };
    const transport = inProcessFetch(
      { reply: (request) => this.#reply(state, request) },
      { turns: this.#turns, onHeld: this.#timeouts.expire },
    );
    return {
      store: new TokenStore({
        client: new SecretsManagerClient({ region: REGION }),
        credentialsSecretId: NAMES.credentialsSecret,
        accessTokenSecretId: NAMES.accessTokenSecret,
      }),
      schedule: new RefreshSchedule({
        client: new SchedulerClient({ region: REGION }),
        name: NAMES.schedule,
        group: NAMES.scheduleGroup,
        now: this.#clock.now,
      }),
      zoho: new ZohoAccountsClient({
        accountsUrl: this.sandbox.url,
        now: this.#clock.now,
        timeoutSignal: this.#timeouts.signal,
        random: () => this.#backoff.next(),
        // Retries happen at once: the backoff is seconds of simulated time, too short to matter.
        sleep: async () => {},
        fetch: async (input, init) => {
          this.#injectFault();
          const response = await transport(input, init);
          const held = state.heldAnswer;
          state.heldAnswer = undefined;
          // The operator acts while this answer is on its way back; its change waits for this run's lease.
          if (held) this.#overlapping.push(held());
          return response;
        },
      }),
      state,
      lastRunAt: this.#clock.nowMs(),
      reclaimAfterIdleMs,
    };
  }

  /** The sandbox's answer to one request of a container, with what the simulation learns from it. */
  #reply(state: ContainerState, request: SandboxHttpRequest): SandboxReply {
    const mintsBefore = this.sandbox.stats.mints;
    const reply = this.sandbox.reply(request);
    if (!request.path.startsWith(TOKEN_PATH)) return reply;
    state.zohoRequests += 1;
    const params = new URLSearchParams(`${request.query}&${request.body}`);
    const now = this.#clock.nowMs();
    const refreshToken = params.get('refresh_token') ?? undefined;
    if (request.path === TOKEN_PATH && params.get('grant_type') === 'refresh_token' && refreshToken) {
      pushTo(this.refreshGrantTimes, refreshToken, now);
    }
    if (this.sandbox.stats.mints === mintsBefore) return reply;
    state.mints += 1;
    const answer = reply.kind === 'answer' ? (JSON.parse(reply.body) as Record<string, unknown>) : {};
    const origin = typeof answer.refresh_token === 'string' ? answer.refresh_token : refreshToken;
    if (typeof answer.refresh_token === 'string') this.lastIssuedRefreshToken = answer.refresh_token;
    if (origin) pushTo(this.mintTimes, origin, now);
    if (origin && typeof answer.access_token === 'string') this.#tokenOrigin.set(answer.access_token, origin);
    if (refreshToken && reply.kind === 'answer') state.heldAnswer = this.#heldAnswers.shift();
    return reply;
  }

  readonly #turns = (): number => Math.floor(this.#order.between(0, MAX_TRANSPORT_TURNS + 1));

  #injectFault(): void {
    const fault = this.options.faultFor?.();
    if (!fault) return;
    this.injectedFaults.set(fault, (this.injectedFaults.get(fault) ?? 0) + 1);
    this.sandbox.injectFaults(fault);
  }

  /** What a connect or disconnect works with; it waits for a lease by letting the runs under way finish. */
  #operatorDependencies(container: FunctionContainer) {
    return {
      state: this.state,
      store: container.store,
      zoho: container.zoho,
      accountsUrl: this.sandbox.url,
      now: this.#clock.now,
      sleep: () => this.#waitForRuns(),
      newLeaseHolder: () => this.#newLeaseHolder(),
    };
  }

  #newLeaseHolder(): string {
    return `lease-${Math.floor(this.#claimIds.next() * 2 ** 32).toString(16)}`;
  }

  /**
   * A second of a consumer's wait is longer than a run: every run in progress finishes first. With none
   * in progress (another container's claim answered 'in-progress'), the others in flight move on for a
   * while. Only microtasks, never a real timer: a timer's turn would depend on when pending real I/O
   * completes, so the machine's load would order simulated events.
   */
  async #waitForRuns(): Promise<void> {
    if (this.#running.size > 0) await Promise.all(this.#running);
    else for (let turn = 0; turn < IDLE_WAIT_TURNS; turn += 1) await Promise.resolve();
  }
}

function pushTo(map: Map<string, number[]>, key: string, value: number): void {
  const values = map.get(key) ?? [];
  values.push(value);
  map.set(key, values);
}

function describeRefresh(outcome: RefreshOutcome): string {
  if (outcome.refreshed) return 'refreshed';
  return outcome.reason === 'recently-refreshed' ? 'skipped' : outcome.reason;
}

function reasonOf(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null || !('reason' in result)) return undefined;
  return typeof result.reason === 'string' ? result.reason : undefined;
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
