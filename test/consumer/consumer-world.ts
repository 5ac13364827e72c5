import {
  InvokeCommand,
  type InvokeCommandInput,
  type InvokeCommandOutput,
  LambdaClient,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ZohoTokenReader, type ZohoTokenReaderOptions } from '../../functions/consumer/index.js';
import { exchangeGrantCode } from '../../functions/exchange/exchange-grant-code.js';
import { RefreshSchedule } from '../../functions/lib/schedule/refresh-schedule.js';
import { TokenStore } from '../../functions/lib/store/token-store.js';
import { ZohoAccountsClient } from '../../functions/lib/zoho/accounts-client.js';
import {
  type RefreshDependencies,
  type RefreshOutcome,
  refreshAccessToken,
} from '../../functions/refresh/refresh-access-token.js';
import { parseRefreshEvent } from '../../functions/refresh/refresh-event.js';
import { ZohoSandbox } from '../sandbox/zoho-sandbox.js';
import { InMemoryScheduler, InMemorySecretsManager } from '../support/in-memory-aws.js';
import { MemoryStateStore } from '../support/memory-state-store.js';

export const SECRET_IDS = { credentials: 'zoho/credentials', accessToken: 'zoho/access-token' } as const;
export const REFRESH_FUNCTION_NAME = 'zoho-token-keeper-refresh';
export const USERS_PATH = '/crm/v8/users?type=CurrentUser';
const SCHEDULE_NAME = 'zoho-token-keeper-refresh';
const CLIENT = { clientId: '1000.CONSUMERTESTCLIENT', clientSecret: 'c0nsumertests3cretc0nsumertests3cret' };

/**
 * How the emulated refresh function meets a second invoke while one runs (reserved concurrency 1):
 * `queue` runs them one after the other, `reject` answers TooManyRequestsException as Lambda does.
 */
export type RefreshConcurrency = 'queue' | 'reject';

export interface ManualClock {
  nowMs(): number;
  now(): Date;
  /** Moves the clock on, running the timers that come due on the way, each at its own time. */
  advance(ms: number): void;
  /** A timer of this clock, the reader's `timer` option: it fires only when the clock is advanced. */
  startTimer(ms: number, callback: () => void): () => void;
  /** Timers started and neither fired nor cancelled. */
  pendingTimers(): number;
}

export function manualClock(start: number): ManualClock {
  let now = start;
  const timers = new Set<{ readonly at: number; readonly callback: () => void }>();
  return {
    nowMs: () => now,
    now: () => new Date(now),
    advance: (ms) => {
      const target = now + ms;
      for (;;) {
        const due = [...timers].filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers.delete(due);
        now = Math.max(now, due.at);
        due.callback();
      }
      now = target;
    },
    startTimer: (ms, callback) => {
      const timer = { at: now + ms, callback };
      timers.add(timer);
      return () => timers.delete(timer);
    },
    pendingTimers: () => timers.size,
  };
}

/**
 * One connection, wired as deployed: the Zoho sandbox over real HTTP on 127.0.0.1, Secrets Manager
 * and Scheduler in memory, and a mocked Lambda whose Invoke of the refresh function runs the real
 * refresh use case. Each reader made here is a separate container.
 */
export class ConsumerWorld {
  readonly secrets: InMemorySecretsManager;
  readonly scheduler = new InMemoryScheduler();
  readonly lambda = mockClient(LambdaClient);
  readonly invokes = { total: 0, busy: 0 };
  /** Invokes that ran the refresh function (not turned away busy), per container's Lambda client. */
  readonly #runsAskedBy = new Map<unknown, number>();
  #refresh: RefreshDependencies;
  readonly #exchangeStore: TokenStore;
  /** The connection's state table, shared by every run as the real one is. */
  readonly #state = new MemoryStateStore();
  /** Runs started and not yet finished: the function's one slot is taken while this is above 0. */
  #runs = 0;
  #queue: Promise<unknown> = Promise.resolve();
  /** While a test holds the slot: the runs queued before it, the only ones that can still finish. */
  #beforeHeld: Promise<unknown> | undefined;
  /** Releases the held slot once this many invokes in all were turned away busy. */
  #releaseAtBusy: { readonly busy: number; readonly release: () => void } | undefined;
  #invokeArrived: (() => void)[] = [];
  #refusesForcedRefreshes = false;

  private constructor(
    readonly sandbox: ZohoSandbox,
    readonly clock: ManualClock,
    private readonly concurrency: RefreshConcurrency,
  ) {
    this.secrets = new InMemorySecretsManager(clock.nowMs);
    this.secrets.create(SECRET_IDS.credentials, {});
    this.secrets.create(SECRET_IDS.accessToken, {});
    this.scheduler.seedRefreshSchedule(SCHEDULE_NAME);
    this.#exchangeStore = this.#store();
    this.#refresh = {
      state: this.#state,
      store: this.#store(),
      zoho: this.#zoho(),
      schedule: this.#schedule(),
      accountsUrl: sandbox.url,
      now: clock.now,
    };
    this.lambda
      .on(InvokeCommand)
      .callsFake((input: InvokeCommandInput, getClient: () => unknown) => this.#invoke(input, getClient()));
  }

  static async start(options: { concurrency?: RefreshConcurrency } = {}): Promise<ConsumerWorld> {
    // Starts at the real time, so a handler that reads the real clock agrees with the sandbox.
    const clock = manualClock(Date.now());
    const sandbox = await ZohoSandbox.start({ now: clock.nowMs });
    return new ConsumerWorld(sandbox, clock, options.concurrency ?? 'queue');
  }

  /** Registers the Self Client and exchanges a fresh grant code, as an operator would. */
  async connect(scope = 'ZohoCRM.users.READ'): Promise<void> {
    this.sandbox.registerClient(CLIENT);
    const code = this.sandbox.issueGrantCode({ clientId: CLIENT.clientId, scope });
    await exchangeGrantCode(
      {
        state: this.#state,
        store: this.#exchangeStore,
        zoho: this.#zoho(),
        accountsUrl: this.sandbox.url,
        credentialsSecretId: SECRET_IDS.credentials,
        now: this.clock.now,
      },
      { kind: 'connect', code, client: CLIENT },
    );
  }

  /** A run of the refresh schedule (`{}`), subject to the same one-at-a-time rule as invokes. */
  scheduledRun(): Promise<RefreshOutcome> {
    return this.#oneAtATime(() => refreshAccessToken(this.#refresh, false));
  }

  /**
   * The refresh function is deployed with another data centre's accounts server than the connection
   * was made with: every run that would call Zoho fails with its ConfigError.
   */
  breakRefreshFunctionConfiguration(): void {
    this.#refresh = { ...this.#refresh, accountsUrl: 'https://accounts.zoho.com' };
  }

  /**
   * Takes the function's one slot, as a long refresh run would, until the returned function is
   * called or, with `untilBusyAnswers`, until that many more invokes were turned away busy.
   */
  occupyRefreshFunction(options: { untilBusyAnswers?: number } = {}): () => void {
    if (this.#beforeHeld) throw new Error('The refresh function is already occupied');
    let resolveHeld = () => {};
    const held = new Promise<void>((resolve) => {
      resolveHeld = resolve;
    });
    this.#beforeHeld = this.#queue;
    void this.#oneAtATime(() => held);
    const release = () => {
      this.#beforeHeld = undefined;
      this.#releaseAtBusy = undefined;
      resolveHeld();
    };
    if (options.untilBusyAnswers !== undefined) {
      this.#releaseAtBusy = { busy: this.invokes.busy + options.untilBusyAnswers, release };
    }
    return release;
  }

  /** Settles when the refresh function is next invoked (before it answers). */
  nextInvoke(): Promise<void> {
    return new Promise((resolve) => {
      this.#invokeArrived.push(resolve);
    });
  }

  /**
   * Forced runs fail with RefreshBudgetExhaustedError, as the refresh function's do once forced
   * refreshes have used their share of the access-token secret's daily write budget.
   */
  refuseForcedRefreshes(): void {
    this.#refusesForcedRefreshes = true;
  }

  /** A reader in its own container: its own memory and its own Secrets Manager client. */
  reader(options: ZohoTokenReaderOptions = {}): CountedReader {
    const secretsManager = new SecretsManagerClient({});
    const lambda = new LambdaClient({});
    const reader = new ZohoTokenReader({
      secretId: SECRET_IDS.accessToken,
      refreshFunctionName: REFRESH_FUNCTION_NAME,
      secretsManager,
      lambda,
      now: this.clock.now,
      sleep: (ms) => this.sleep(ms),
      timer: this.clock.startTimer,
      ...options,
    });
    return {
      reader,
      reads: () => this.readsBy(secretsManager),
      refreshRunsAsked: () => this.#runsAskedBy.get(lambda) ?? 0,
    };
  }

  /**
   * Simulated waiting: moves the clock, and lets the refresh runs under way finish, as they would
   * within a second. A slot a test holds stays held: that run is the long one being simulated.
   */
  async sleep(ms: number): Promise<void> {
    this.clock.advance(ms);
    await (this.#beforeHeld ?? this.#queue);
  }

  readsBy(client: SecretsManagerClient): number {
    return this.secrets.mock.commandCalls(GetSecretValueCommand).filter((call) => call.thisValue === client)
      .length;
  }

  storedAccessToken(): string {
    return String(this.secrets.jsonOf(SECRET_IDS.accessToken).access_token);
  }

  /** Every token and secret the connection ever stored, to prove none leaks into a message. */
  secretValues(): string[] {
    const values = new Set<string>();
    for (const call of this.secrets.mock.commandCalls(PutSecretValueCommand)) {
      const document = JSON.parse(call.args[0].input.SecretString ?? '{}') as Record<string, unknown>;
      for (const key of ['access_token', 'refresh_token', 'client_secret']) {
        if (typeof document[key] === 'string') values.add(document[key]);
      }
    }
    return [...values];
  }

  async close(): Promise<void> {
    this.lambda.restore();
    this.secrets.restore();
    this.scheduler.restore();
    await this.sandbox.close();
  }

  async #invoke(input: InvokeCommandInput, client: unknown): Promise<Partial<InvokeCommandOutput>> {
    this.invokes.total += 1;
    for (const arrived of this.#invokeArrived.splice(0)) arrived();
    if (input.FunctionName !== REFRESH_FUNCTION_NAME) {
      throw Object.assign(new Error(`Function not found: ${input.FunctionName}`), {
        name: 'ResourceNotFoundException',
      });
    }
    if (this.concurrency === 'reject' && this.#runs > 0) {
      this.invokes.busy += 1;
      if (this.#releaseAtBusy && this.invokes.busy >= this.#releaseAtBusy.busy) this.#releaseAtBusy.release();
      throw new TooManyRequestsException({
        message: 'Rate Exceeded.',
        Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
        $metadata: {},
      });
    }
    this.#runsAskedBy.set(client, (this.#runsAskedBy.get(client) ?? 0) + 1);
    const event: unknown = JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array));
    if (this.#refusesForcedRefreshes && parseRefreshEvent(event).force) {
      return failedRun(
        'RefreshBudgetExhaustedError',
        "Forced refreshes have used their share of the access-token secret's daily write budget.",
      );
    }
    try {
      const outcome = await this.#oneAtATime(() =>
        refreshAccessToken(this.#refresh, parseRefreshEvent(event).force),
      );
      return lambdaAnswer({
        refreshed: outcome.refreshed,
        expires_at: outcome.expiresAt,
        connection_state: outcome.connectionState,
        reason: outcome.reason,
      });
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      return failedRun(name, message);
    }
  }

  #oneAtATime<T>(run: () => Promise<T>): Promise<T> {
    this.#runs += 1;
    const result = this.#queue.then(run).finally(() => {
      this.#runs -= 1;
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  #store(): TokenStore {
    return new TokenStore({
      client: new SecretsManagerClient({}),
      credentialsSecretId: SECRET_IDS.credentials,
      accessTokenSecretId: SECRET_IDS.accessToken,
    });
  }

  #zoho(): ZohoAccountsClient {
    return new ZohoAccountsClient({
      accountsUrl: this.sandbox.url,
      now: this.clock.now,
      sleep: async () => {},
    });
  }

  #schedule(): RefreshSchedule {
    return new RefreshSchedule({
      client: new SchedulerClient({}),
      name: SCHEDULE_NAME,
      group: 'default',
      now: this.clock.now,
    });
  }
}

export interface CountedReader {
  readonly reader: ZohoTokenReader;
  /** GetSecretValue calls this reader's container made. */
  reads(): number;
  /** Runs of the refresh function this container caused (invokes turned away busy excluded). */
  refreshRunsAsked(): number;
}

function lambdaAnswer(body: unknown): Partial<InvokeCommandOutput> {
  return {
    StatusCode: 200,
    Payload: new TextEncoder().encode(JSON.stringify(body)) as InvokeCommandOutput['Payload'],
  };
}

/** A run that failed, as Lambda answers a synchronous invoke of it. */
function failedRun(errorType: string, errorMessage: string): Partial<InvokeCommandOutput> {
  return { ...lambdaAnswer({ errorType, errorMessage, trace: [] }), FunctionError: 'Unhandled' };
}

/** Revokes an access token through the sandbox's revoke endpoint, as a person or tool might. */
export async function revokeAccessToken(world: ConsumerWorld, accessToken: string): Promise<void> {
  const response = await fetch(`${world.sandbox.url}/oauth/v2/token/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: accessToken }).toString(),
  });
  if (!response.ok) throw new Error(`The sandbox refused to revoke the token (HTTP ${response.status})`);
}
