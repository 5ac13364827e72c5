/**
 * `npm run bench [-- --rounds N]`: bundle size and cold-start import time of each function against
 * a baseline of just its AWS SDK clients, calls to Zoho and AWS per refresh, and the consumer
 * library's Secrets Manager reads. Prints markdown tables. Timings are noisy: not part of `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KEEPER_FUNCTIONS } from '../infra/function-bundle.js';
import { type Bundle, bundleEntry, PROJECT_ROOT } from './bench/bundle.js';
import { AWS_CALL_TARGETS, countCallsPerRefresh } from './bench/calls-per-refresh.js';
import { coldStartEnvironment, measureColdStarts, median } from './bench/cold-start.js';
import { consumerReadsTable } from './bench/consumer-reads-table.js';
import { describeFailure } from './describe-failure.js';
import { markdownTable } from './simulation/report.js';

/** A function's cold start may cost at most this much more than creating its SDK clients alone. */
const KEEPER_RATIO_TARGET = 1.1;
/** A consumer pays for the library on every cold start of the user's own function: it must be near free. */
const CONSUMER_RATIO_TARGET = 1.05;

interface Subject {
  readonly name: string;
  readonly entry: string;
  readonly baseline: string;
  readonly target: number;
}

const BASELINES = {
  keeper: {
    name: 'baseline: SecretsManager, Scheduler, DynamoDB and EventBridge clients and commands',
    entry: 'scripts/bench/baseline-keeper-clients.ts',
  },
  consumer: {
    name: 'baseline: SecretsManager client and GetSecretValue',
    entry: 'scripts/bench/baseline-consumer-clients.ts',
  },
} as const;

const SUBJECTS: readonly Subject[] = [
  {
    name: 'exchange',
    entry: KEEPER_FUNCTIONS.exchange,
    baseline: BASELINES.keeper.name,
    target: KEEPER_RATIO_TARGET,
  },
  {
    name: 'refresh',
    entry: KEEPER_FUNCTIONS.refresh,
    baseline: BASELINES.keeper.name,
    target: KEEPER_RATIO_TARGET,
  },
  {
    name: 'example-consumer',
    entry: KEEPER_FUNCTIONS['example-consumer'],
    baseline: BASELINES.consumer.name,
    target: CONSUMER_RATIO_TARGET,
  },
].filter((subject) => existsSync(join(PROJECT_ROOT, subject.entry)));

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function bundleAll(outdir: string): Promise<Map<string, Bundle>> {
  const bundles = new Map<string, Bundle>();
  const entries = [...SUBJECTS, ...Object.values(BASELINES)];
  for (const { name, entry } of entries) {
    bundles.set(name, await bundleEntry(name.replace(/[^a-z0-9]+/gi, '-'), entry, outdir));
  }
  return bundles;
}

function sizeTable(bundles: Map<string, Bundle>): string {
  return markdownTable(
    ['bundle', 'entry', 'bytes (minified, no map)', 'KiB', 'source map'],
    [...SUBJECTS, ...Object.values(BASELINES)].map(({ name, entry }) => {
      const bundle = bundles.get(name);
      return [
        name,
        entry,
        String(bundle?.bytes ?? 0),
        kib(bundle?.bytes ?? 0),
        kib(bundle?.sourceMapBytes ?? 0),
      ];
    }),
  );
}

function coldStartTables(
  bundles: Map<string, Bundle>,
  rounds: number,
  node: string,
): { table: string; ratios: string } {
  const names = [...SUBJECTS.map((subject) => subject.name), ...Object.values(BASELINES).map((b) => b.name)];
  const files = names.map((name) => bundles.get(name)?.file ?? '');
  const samples = measureColdStarts(files, rounds, coldStartEnvironment(), node);
  const importMedian = (name: string) =>
    median((samples.get(bundles.get(name)?.file ?? '') ?? []).map((sample) => sample.importMs));
  const processMedian = (name: string) =>
    median((samples.get(bundles.get(name)?.file ?? '') ?? []).map((sample) => sample.processMs));
  const spread = (name: string) => {
    const values = (samples.get(bundles.get(name)?.file ?? '') ?? []).map((sample) => sample.importMs);
    return `${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}`;
  };

  const table = markdownTable(
    ['bundle', 'import, median (ms)', 'import, min-max (ms)', 'process spawn to exit, median (ms)'],
    names.map((name) => [name, importMedian(name).toFixed(1), spread(name), processMedian(name).toFixed(1)]),
  );
  const ratios = markdownTable(
    ['function', 'baseline', 'import ratio function / baseline', 'target', 'verdict'],
    SUBJECTS.map((subject) => {
      const ratio = importMedian(subject.name) / importMedian(subject.baseline);
      return [
        subject.name,
        subject.baseline,
        ratio.toFixed(3),
        `<= ${subject.target}`,
        ratio <= subject.target ? 'PASS' : 'FAIL',
      ];
    }),
  );
  return { table, ratios };
}

async function callsTable(): Promise<string> {
  const counts = await countCallsPerRefresh();
  return markdownTable(
    [
      'situation',
      'outcome',
      'Zoho token calls',
      'AWS calls by operation',
      "the keeper's AWS calls",
      'target',
    ],
    counts.map((count) => {
      const target = AWS_CALL_TARGETS[count.kind];
      // A refresh or an exchange that succeeded made its one call to Zoho; the others need none.
      const calledZoho = count.outcome.startsWith('refreshed') || count.kind === 'exchange';
      const pass =
        (!calledZoho || count.zohoRequests >= 1) && (target === undefined || count.keeperAwsCalls <= target);
      return [
        count.step,
        count.outcome,
        String(count.zohoRequests),
        Object.entries(count.awsCalls)
          .map(([operation, calls]) => `${operation} ${calls}`)
          .join(', ') || '-',
        String(count.keeperAwsCalls),
        target === undefined ? '-' : `≤ ${target} per ${count.kind}: ${pass ? 'PASS' : 'FAIL'}`,
      ];
    }),
  );
}

const USAGE = `Usage: npm run bench [-- --rounds N] [--node PATH]

Prints bundle sizes, cold-start import times against an SDK-only baseline, calls to Zoho and AWS
per refresh, and the consumer library's Secrets Manager reads.
  --rounds N  fresh node processes per bundle for the cold-start medians (default 25)
  --node PATH the node binary of the cold starts (default: this one), e.g. the Lambda runtime's major`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '25' },
      node: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error('--rounds takes a positive integer, e.g. --rounds 25');

  const outdir = await mkdtemp(join(tmpdir(), 'zoho-token-keeper-bench-'));
  try {
    console.log('# Benchmark\n');
    console.log(
      'Bundled as the package build bundles the functions (infra/function-bundle.ts: ESM, target node24, minify, ' +
        'source map without sources content, mainFields module/main, createRequire banner, platform node, ' +
        `nothing external). Node ${process.version} on this machine.\n`,
    );
    const bundles = await bundleAll(outdir);
    console.log(`## Bundle size\n\n${sizeTable(bundles)}\n`);

    process.stderr.write(`cold starts: ${rounds} rounds of ${bundles.size} fresh processes...\n`);
    const node = values.node ?? process.execPath;
    const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    const { table, ratios } = coldStartTables(bundles, rounds, node);
    console.log(
      `## Cold-start import time\n\n${rounds} fresh \`node\` ${nodeVersion} processes per bundle, interleaved, with ` +
        'NODE_OPTIONS=--enable-source-maps as the construct sets it and no NODE_EXTRA_CA_CERTS; ' +
        'importing a handler runs its cold start (configuration, clients, Powertools).\n',
    );
    console.log(`${table}\n\n${ratios}\n`);

    console.log(
      `## Calls per run\n\nThe real use cases in-process against the Zoho sandbox and in-memory AWS; ` +
        "consumer calls are marked (consumer) and left out of the keeper's count.\n",
    );
    console.log(`${await callsTable()}\n`);

    console.log(`## Consumer library: Secrets Manager reads per container-hour\n`);
    console.log(
      'From scripts/consumer-reads.ts: each cell is reads per container-hour / invocations handed an ',
    );
    console.log('expired token / of those, avoidable (the secret already held a valid token).\n');
    console.log(`${await consumerReadsTable()}\n`);
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(describeFailure(error, USAGE));
  process.exitCode = 1;
});
