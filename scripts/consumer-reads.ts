/**
 * How often a consumer container reads the access-token secret, and how often it uses an expired
 * token, with three caching strategies on the same simulated traffic:
 *   - ZohoTokenReader (the real class, with an injected clock and fake AWS clients);
 *   - a fixed-TTL cache of 5 s (the default maxAge of Powertools' getSecret);
 *   - a fixed-TTL cache of 300 s (the maximum of the AWS Parameters and Secrets Lambda extension).
 *
 * Run: npx tsx scripts/consumer-reads.ts
 */
import { pathToFileURL } from 'node:url';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ZohoTokenReader } from '../functions/consumer/zoho-token-reader.js';
import type { AccessTokenDocument } from '../functions/lib/documents.js';
import { decideRefresh } from '../functions/refresh/refresh-policy.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TOKEN_LIFETIME_MS = HOUR;

/** Arrival times (ms from the start) of the invocations one container receives. */
export interface TrafficPattern {
  readonly name: string;
  arrivals(random: () => number, durationMs: number): number[];
}

/**
 * When the stored token is replaced. The schedule replaces each token `replaceAfterMs` after it was
 * minted (50 minutes when on time). A forced refresh asked for before then succeeds only when the
 * lateness is the scheduler's; when it is Zoho's, the refresh function fails until then.
 */
export interface RefreshScenario {
  readonly name: string;
  readonly replaceAfterMs: number;
  readonly forcedRefreshWorks: boolean;
}

export interface StrategyOutcome {
  readonly strategy: string;
  readonly invocations: number;
  readonly reads: number;
  readonly readsPerContainerHour: number;
  readonly readsPerThousandInvocations: number;
  /** Invocations handed a token that had already expired: their Zoho call fails. */
  readonly servedExpired: number;
  /** Invocations that got an error instead of a token (ZohoTokenReader only). */
  readonly refused: number;
  /** Expired or refused while the secret already held a valid token: failures the cache caused. */
  readonly avoidable: number;
  /** Synchronous invokes of the refresh function. */
  readonly forcedRefreshes: number;
}

export interface SimulationOptions {
  readonly traffic: TrafficPattern;
  readonly refresh: RefreshScenario;
  /** @default 24 hours */
  readonly durationMs?: number;
  /** @default 1 */
  readonly seed?: number;
}

export const TRAFFIC_PATTERNS: readonly TrafficPattern[] = [
  poisson('Poisson 1/s', 1000),
  poisson('Poisson 1/min', MINUTE),
  poisson('Poisson 1/15 min', 15 * MINUTE),
  {
    name: 'bursts: 200 every 10 min',
    arrivals: (random, durationMs) => {
      const times: number[] = [];
      for (let start = 0; start < durationMs; start += 10 * MINUTE) {
        let time = start;
        for (let i = 0; i < 200; i += 1) {
          time += exponential(random, 100);
          times.push(time);
        }
      }
      return times.filter((time) => time < durationMs);
    },
  },
];

export const REFRESH_SCENARIOS: readonly RefreshScenario[] = [
  { name: 'on time (50 min)', replaceAfterMs: 50 * MINUTE, forcedRefreshWorks: false },
  { name: '4 min late', replaceAfterMs: 54 * MINUTE, forcedRefreshWorks: false },
  { name: '9 min late, Zoho down', replaceAfterMs: 59 * MINUTE, forcedRefreshWorks: false },
  { name: '14 min late, Zoho down', replaceAfterMs: 64 * MINUTE, forcedRefreshWorks: false },
  { name: '14 min late, schedule', replaceAfterMs: 64 * MINUTE, forcedRefreshWorks: true },
];

/** Runs the three strategies on the same arrivals; each strategy gets its own secret and refresh function. */
export async function simulateConsumerReads(options: SimulationOptions): Promise<StrategyOutcome[]> {
  const durationMs = options.durationMs ?? 24 * HOUR;
  const arrivals = options.traffic.arrivals(mulberry32(options.seed ?? 1), durationMs);
  const strategies: Array<[string, (world: SimulatedConnection) => Strategy]> = [
    ['ZohoTokenReader', readerStrategy],
    ['fixed TTL 5 s', (world) => fixedTtlStrategy(world, 5000)],
    ['fixed TTL 300 s', (world) => fixedTtlStrategy(world, 300_000)],
  ];
  const outcomes: StrategyOutcome[] = [];
  for (const [name, build] of strategies) {
    const world = new SimulatedConnection(options.refresh);
    outcomes.push(summarise(name, await run(world, build(world), arrivals), world, durationMs));
  }
  return outcomes;
}

interface Strategy {
  /** The token an invocation would use, or undefined when it got an error instead. */
  tokenFor(): Promise<AccessTokenDocument | undefined>;
}

interface Tally {
  invocations: number;
  servedExpired: number;
  refused: number;
  avoidable: number;
}

async function run(world: SimulatedConnection, strategy: Strategy, arrivals: number[]): Promise<Tally> {
  const tally: Tally = { invocations: 0, servedExpired: 0, refused: 0, avoidable: 0 };
  for (const time of arrivals) {
    world.advanceTo(time);
    const token = await strategy.tokenFor();
    tally.invocations += 1;
    const failed = token === undefined || Date.parse(token.expires_at) <= time;
    if (token === undefined) tally.refused += 1;
    else if (failed) tally.servedExpired += 1;
    if (failed && Date.parse(world.current().expires_at) > time) tally.avoidable += 1;
  }
  return tally;
}

function summarise(
  strategy: string,
  tally: Tally,
  world: SimulatedConnection,
  durationMs: number,
): StrategyOutcome {
  return {
    strategy,
    ...tally,
    reads: world.reads,
    readsPerContainerHour: world.reads / (durationMs / HOUR),
    readsPerThousandInvocations: tally.invocations === 0 ? 0 : (world.reads / tally.invocations) * 1000,
    forcedRefreshes: world.forcedRefreshes,
  };
}

/** The real reader, talking to the simulated secret and refresh function through fake clients. */
function readerStrategy(world: SimulatedConnection): Strategy {
  const reader = new ZohoTokenReader({
    secretId: 'zoho/access-token',
    refreshFunctionName: 'zoho-token-keeper-refresh',
    secretsManager: world.secretsManagerClient(),
    lambda: world.lambdaClient(),
    now: () => new Date(world.now),
    sleep: async () => {},
  });
  return {
    tokenFor: async () => {
      try {
        const token = await reader.getToken();
        return toDocument(token.accessToken, token.expiresAt, token.refreshedAt);
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * A fixed-TTL cache as Powertools' getSecret and the Parameters and Secrets extension keep one: a
 * value is reused until it is `ttlMs` old, then the next call reads again, whatever the token's expiry.
 */
function fixedTtlStrategy(world: SimulatedConnection, ttlMs: number): Strategy {
  let cached: { document: AccessTokenDocument; readAt: number } | undefined;
  return {
    tokenFor: async () => {
      if (!cached || world.now - cached.readAt >= ttlMs) {
        world.reads += 1;
        cached = { document: world.current(), readAt: world.now };
      }
      return cached.document;
    },
  };
}

/**
 * One connection's access-token secret and refresh function, in simulated time. The refresh
 * function decides with the real refresh policy.
 */
class SimulatedConnection {
  now = 0;
  reads = 0;
  forcedRefreshes = 0;
  readonly #versions: AccessTokenDocument[] = [];
  #nextScheduledMint: number;

  constructor(private readonly scenario: RefreshScenario) {
    this.#mint(0);
    this.#nextScheduledMint = scenario.replaceAfterMs;
  }

  advanceTo(time: number): void {
    while (this.#nextScheduledMint <= time) this.#mint(this.#nextScheduledMint);
    this.now = time;
  }

  current(): AccessTokenDocument {
    const latest = this.#versions.at(-1);
    if (!latest) throw new Error('No token was minted');
    return latest;
  }

  /** Counts GetSecretValue and answers it with the current document; no network. */
  secretsManagerClient(): SecretsManagerClient {
    const fake = {
      send: async () => {
        this.reads += 1;
        return { SecretString: JSON.stringify(this.current()) };
      },
    };
    return fake as unknown as SecretsManagerClient;
  }

  /** Answers Invoke of the refresh function with `{"force": true}` as the function would. */
  lambdaClient(): LambdaClient {
    const fake = {
      send: async () => {
        this.forcedRefreshes += 1;
        const stored = this.current();
        const decision = decideRefresh(
          { refreshedAt: stored.refreshed_at, expiresAt: stored.expires_at },
          true,
          new Date(this.now),
        );
        if (decision.refresh && !this.scenario.forcedRefreshWorks) {
          return failedRun('ZohoUnavailableError', 'Zoho did not answer (simulated).');
        }
        if (decision.refresh) this.#mint(this.now);
        return answer({ refreshed: decision.refresh, expires_at: this.current().expires_at });
      },
    };
    return fake as unknown as LambdaClient;
  }

  #mint(time: number): void {
    this.#versions.push(
      toDocument(`token-${this.#versions.length + 1}`, new Date(time + TOKEN_LIFETIME_MS), new Date(time)),
    );
    this.#nextScheduledMint = time + this.scenario.replaceAfterMs;
  }
}

function toDocument(accessToken: string, expiresAt: Date, refreshedAt: Date): AccessTokenDocument {
  return {
    access_token: accessToken,
    api_domain: 'https://www.zohoapis.eu',
    token_type: 'Bearer',
    expires_at: expiresAt.toISOString(),
    refreshed_at: refreshedAt.toISOString(),
  };
}

function answer(body: unknown): { StatusCode: number; Payload: Uint8Array } {
  return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(body)) };
}

function failedRun(errorType: string, errorMessage: string) {
  return { ...answer({ errorType, errorMessage }), FunctionError: 'Unhandled' };
}

function poisson(name: string, meanGapMs: number): TrafficPattern {
  return {
    name,
    arrivals: (random, durationMs) => {
      const times: number[] = [];
      for (
        let time = exponential(random, meanGapMs);
        time < durationMs;
        time += exponential(random, meanGapMs)
      ) {
        times.push(time);
      }
      return times;
    },
  };
}

function exponential(random: () => number, meanMs: number): number {
  return -Math.log(1 - random()) * meanMs;
}

/** A small seeded generator, so that every strategy and every run sees the same arrivals. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const STRATEGY_COLUMNS = ['reads/h', 'reads/1k', 'expired', 'avoidable'];
const CELL = 10;

function strategyCells(outcome: StrategyOutcome | undefined): string {
  const values = outcome
    ? [
        outcome.readsPerContainerHour.toFixed(1),
        outcome.readsPerThousandInvocations.toFixed(1),
        String(outcome.servedExpired),
        String(outcome.avoidable),
      ]
    : STRATEGY_COLUMNS;
  return `|${values.map((value) => value.padStart(CELL)).join('')} `;
}

async function main(): Promise<void> {
  const labels = (traffic: string, refresh: string, invocations: string) =>
    `${traffic.padEnd(25)}${refresh.padEnd(24)}${invocations.padStart(7)} `;
  const strategyWidth = STRATEGY_COLUMNS.length * CELL + 2;
  console.log('One container, 24 simulated hours; token lifetime 60 min; reader margin 5 min, floor 30 s.');
  console.log('reads/h: GetSecretValue calls per container-hour. reads/1k: per 1,000 invocations.');
  console.log('expired: invocations handed an expired token. avoidable: expired or refused while the');
  console.log(
    'secret already held a valid token. refused/forced: reader errors / refresh-function invokes.\n',
  );
  console.log(
    labels('', '', '') +
      ['ZohoTokenReader', 'fixed TTL 5 s', 'fixed TTL 300 s']
        .map((name) => `| ${name}`.padEnd(strategyWidth))
        .join('') +
      '| reader',
  );
  console.log(
    labels('traffic', 'refresh', 'invoc.') +
      [0, 1, 2].map(() => strategyCells(undefined)).join('') +
      '| refused forced',
  );
  for (const traffic of TRAFFIC_PATTERNS) {
    for (const refresh of REFRESH_SCENARIOS) {
      const outcomes = await simulateConsumerReads({ traffic, refresh });
      const [reader] = outcomes;
      console.log(
        labels(traffic.name, refresh.name, String(reader?.invocations ?? 0)) +
          outcomes.map(strategyCells).join('') +
          `|${String(reader?.refused ?? 0).padStart(8)}${String(reader?.forcedRefreshes ?? 0).padStart(7)}`,
      );
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
