/**
 * `npm run simulate [-- --days N --seed S --scenario NAME]`: a month (by default) of simulated
 * operation under faults, driving the real exchange, refresh and consumer code against the Zoho
 * sandbox. Prints markdown tables and exits 1 when a target fails. The same seed prints the same
 * tables on any machine; wall time goes to stderr, apart from them.
 */
import { parseArgs } from 'node:util';
import { describeFailure } from './describe-failure.js';
import {
  activityTable,
  burstTable,
  deployTable,
  disruptionTable,
  overlapTable,
  revocationTable,
  summaryTable,
  targetTable,
} from './simulation/report.js';
import { runScenario } from './simulation/run-scenario.js';
import type { ScenarioFigures } from './simulation/scenario-figures.js';
import { SCENARIO_NAMES, SCENARIOS, type ScenarioName } from './simulation/scenarios.js';
import { connectPairTable, rejectedConsumerTable, secretEditTable } from './simulation/write-report.js';

const USAGE = `Usage: npm run simulate [-- --days N] [--seed S] [--scenario NAME ...]

Drives the real exchange, refresh and consumer code against the local Zoho sandbox on a simulated
clock, prints a table per scenario and exits 1 when a target is missed.
  --days N         simulated days per scenario (default 30)
  --seed S         seed of the random faults and timings (default: random, printed)
  --scenario NAME  run only this scenario (repeatable): ${SCENARIO_NAMES.join(', ')}`;

function readOptions(): { days: number; seed: number; scenarios: ScenarioName[] } | undefined {
  const { values } = parseArgs({
    options: {
      days: { type: 'string', default: '30' },
      seed: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const days = Number(values.days);
  if (!Number.isFinite(days) || days <= 0) throw new Error('--days takes a positive number, e.g. --days 30');
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error('--seed takes an integer, e.g. --seed 42');
  const scenarios = (values.scenario ?? [...SCENARIO_NAMES]).map((name) => {
    if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
      throw new Error(`Unknown scenario "${name}"; choose from ${SCENARIO_NAMES.join(', ')}.`);
    }
    return name as ScenarioName;
  });
  return { days, seed, scenarios };
}

async function main(): Promise<number> {
  const options = readOptions();
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const { days, seed, scenarios } = options;
  console.log(`# Simulation: ${days} day(s) per scenario, seed ${seed}\n`);
  console.log(`Re-run exactly with: npm run simulate -- --days ${days} --seed ${seed}\n`);
  console.log(markdownList(scenarios.map((name) => `**${name}**: ${SCENARIOS[name].summary}`)), '\n');

  const all: ScenarioFigures[] = [];
  for (const name of scenarios) {
    process.stderr.write(`running ${name}...`);
    const figures = await runScenario(name, { days, seed });
    process.stderr.write(` ${(figures.elapsedMs / 1000).toFixed(1)} s\n`);
    all.push(figures);
  }

  const sections: [string, string | undefined][] = [
    ['Summary', summaryTable(all)],
    ['Activity', activityTable(all)],
    ['Outages and Access Denied', disruptionTable(all)],
    ['Revoked refresh token', revocationTable(all)],
    ['Reconnect or disconnect during a refresh', overlapTable(all)],
    ['Deploys', deployTable(all)],
    ['Bursts of forced refreshes', burstTable(all)],
    ['A consumer rejected all day', rejectedConsumerTable(all)],
    ['The access-token secret edited by an administrator', secretEditTable(all)],
    ['Two connects at once', connectPairTable(all)],
    ['Targets', targetTable(all)],
  ];
  for (const [title, table] of sections) if (table) console.log(`## ${title}\n\n${table}\n`);

  const failed = all.flatMap((figures) => figures.targets.filter((target) => !target.pass));
  const totalSeconds = all.reduce((sum, figures) => sum + figures.elapsedMs, 0) / 1000;
  console.log(
    `${failed.length === 0 ? 'All targets met' : `${failed.length} target(s) FAILED`} (seed ${seed}).`,
  );
  process.stderr.write(`wall time ${totalSeconds.toFixed(1)} s\n`);
  return failed.length === 0 ? 0 : 1;
}

function markdownList(items: readonly string[]): string {
  return items.map((item) => `- ${item}`).join('\n');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(describeFailure(error, USAGE));
    process.exitCode = 2;
  },
);
