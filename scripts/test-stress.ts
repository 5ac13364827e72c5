/**
 * `npm run test:stress [-- --runs N] [--load]`: runs `npm test` N times in a row and reports how many
 * passed and how long each took, to show that the suite passes every time, not just once. With
 * `--load`, two busy-loop processes keep both cores of a 2-core machine busy throughout, as a CI
 * runner shared with other jobs would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { median } from './bench/cold-start.js';
import { describeFailure } from './describe-failure.js';

const USAGE = `Usage: npm run test:stress [-- --runs N] [--load]

Runs npm test N times in a row, prints each run's wall time, the median and the pass count, and exits
non-zero when any run failed. A failed run's output is printed in full.
  --runs N  how many times to run npm test (default 10)
  --load    keep two busy-loop processes running meanwhile, so that both cores of a 2-core machine are busy
  --help    show this text`;

/** Two, to take both cores of the 2-core machines the suite must pass on. */
const LOAD_PROCESSES = 2;

interface RunResult {
  readonly passed: boolean;
  readonly seconds: number;
  readonly output: string;
}

/**
 * Every process this script started and has not seen exit, so that none outlives it. Each is
 * started detached, as the leader of a process group: killing the group also ends what it started
 * (npm test's tsc and vitest workers).
 */
const children = new Set<ChildProcess>();

function startChild(command: string, args: readonly string[], stdio: 'ignore' | 'pipe'): ChildProcess {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', stdio, stdio] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function stopChildren(): void {
  for (const child of children) {
    if (child.pid === undefined) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  }
  children.clear();
}

function startLoad(): void {
  for (let index = 0; index < LOAD_PROCESSES; index += 1) {
    startChild(process.execPath, ['-e', 'for (;;) {}'], 'ignore');
  }
}

function runNpmTest(): Promise<RunResult> {
  const startedAt = performance.now();
  const child = startChild('npm', ['test'], 'pipe');
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({
        passed: code === 0,
        seconds: (performance.now() - startedAt) / 1000,
        output: Buffer.concat(chunks).toString('utf8'),
      });
    });
  });
}

function parseRuns(value: string): number {
  const runs = Number(value);
  if (!Number.isInteger(runs) || runs < 1) {
    // Node's own code for a bad option value, so that it is reported with the usage, like a typo.
    throw Object.assign(new TypeError(`--runs takes a positive integer, e.g. --runs 10; got "${value}"`), {
      code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
    });
  }
  return runs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10' },
      load: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const runs = parseRuns(values.runs);

  if (values.load) startLoad();
  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const result = await runNpmTest();
    results.push(result);
    console.log(
      `run ${run}/${runs}: ${result.passed ? 'passed' : 'FAILED'} in ${result.seconds.toFixed(1)} s`,
    );
    if (!result.passed)
      console.log(`--- output of run ${run} ---\n${result.output}--- end of run ${run} ---`);
  }
  stopChildren();

  const passed = results.filter((result) => result.passed).length;
  const seconds = results.map((result) => result.seconds);
  console.log(
    `\nwall times (s): ${seconds.map((value) => value.toFixed(1)).join(', ')}; median ${median(seconds).toFixed(1)} s` +
      (values.load ? `, with ${LOAD_PROCESSES} busy-loop processes running` : ''),
  );
  console.log(`${passed} passed, ${runs - passed} failed`);
  if (passed < runs) process.exitCode = 1;
}

// Whatever ends this script, the busy loops and a run under way end with it.
process.once('exit', stopChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    stopChildren();
    console.error(`\nstopped by ${signal}`);
    process.exit(128 + constants.signals[signal]);
  });
}

main().catch((error: unknown) => {
  stopChildren();
  console.error(describeFailure(error, USAGE));
  process.exitCode = 1;
});
