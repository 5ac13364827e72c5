import { access } from 'node:fs/promises';
import { markdownTable } from '../simulation/report.js';

/** What the bench uses of scripts/consumer-reads.ts, written by the consumer library's engineer. */
interface ConsumerReadsModule {
  readonly TRAFFIC_PATTERNS: readonly { readonly name: string }[];
  readonly REFRESH_SCENARIOS: readonly { readonly name: string }[];
  simulateConsumerReads(options: { traffic: unknown; refresh: unknown }): Promise<readonly StrategyOutcome[]>;
}

interface StrategyOutcome {
  readonly strategy: string;
  readonly invocations: number;
  readonly readsPerContainerHour: number;
  readonly servedExpired: number;
  readonly refused: number;
  readonly avoidable: number;
  readonly forcedRefreshes: number;
}

const MODULE_URL = new URL('../consumer-reads.ts', import.meta.url);

/**
 * The consumer library's Secrets Manager reads per container-hour, from scripts/consumer-reads.ts
 * when it is there (it is optional: the bench says so instead of failing).
 */
export async function consumerReadsTable(): Promise<string> {
  try {
    await access(MODULE_URL);
  } catch {
    return '_scripts/consumer-reads.ts is not present: no consumer read figures._';
  }
  const module = (await import(MODULE_URL.href)) as Partial<ConsumerReadsModule>;
  const { TRAFFIC_PATTERNS, REFRESH_SCENARIOS, simulateConsumerReads } = module;
  if (!TRAFFIC_PATTERNS || !REFRESH_SCENARIOS || typeof simulateConsumerReads !== 'function') {
    return '_scripts/consumer-reads.ts does not export TRAFFIC_PATTERNS, REFRESH_SCENARIOS and simulateConsumerReads._';
  }

  const rows: string[][] = [];
  let strategies: string[] = [];
  for (const traffic of TRAFFIC_PATTERNS) {
    for (const refresh of REFRESH_SCENARIOS) {
      const outcomes = await simulateConsumerReads({ traffic, refresh });
      strategies = outcomes.map((outcome) => outcome.strategy);
      const reader = outcomes[0];
      rows.push([
        traffic.name,
        refresh.name,
        String(reader?.invocations ?? 0),
        ...outcomes.map(
          (outcome) =>
            `${outcome.readsPerContainerHour.toFixed(1)} / ${outcome.servedExpired} / ${outcome.avoidable}`,
        ),
        `${reader?.refused ?? 0} / ${reader?.forcedRefreshes ?? 0}`,
      ]);
    }
  }
  return markdownTable(
    [
      'traffic (one container, 24 h)',
      'refresh',
      'invocations',
      ...strategies.map((strategy) => `${strategy}: reads/h / expired / avoidable`),
      `${strategies[0] ?? 'reader'}: refused / forced refreshes`,
    ],
    rows,
  );
}
