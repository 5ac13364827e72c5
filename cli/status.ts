import { resolveTarget, TARGET_OPTIONS, TARGET_USAGE } from './lib/args.js';
import { type CliClients, createClients, resolvedRegion } from './lib/clients.js';
import { runCommand } from './lib/command.js';
import { EXIT_CODES, type ExitCode } from './lib/exit-codes.js';
import type { Health } from './lib/health.js';
import { type CliIo, isMainModule, terminalIo } from './lib/io.js';
import { describeAge, describeExpiry, fieldLines } from './lib/output.js';
import { findConnectionStack } from './lib/stack.js';
import { gatherStatus, type StatusReport } from './lib/status-report.js';

const OPTIONS = { ...TARGET_OPTIONS, json: { type: 'boolean' } } as const;

const USAGE = [
  'Usage: npm run status [-- --connection NAME | --stack NAME] [--region R] [--profile P] [--json]',
  '',
  'Shows whether the connection is connected and healthy, and what to do when it is not.',
  'It never shows a token or a secret.',
  '',
  '  --json              print one JSON object instead of text (failures stay text, on standard error)',
  ...TARGET_USAGE,
  '',
  'Exit codes: 0 healthy, 1 not connected (or something to fix first), 2 AWS unavailable: retry later,',
  '3 connected but needs attention (expired token, an alarm in ALARM, schedule disabled).',
];

const EXIT_OF_HEALTH: Readonly<Record<Health, ExitCode>> = {
  healthy: EXIT_CODES.ok,
  'not-connected': EXIT_CODES.userError,
  'needs-attention': EXIT_CODES.needsAttention,
};

/** `npm run status`: returns the exit code (see lib/exit-codes.ts). */
export async function run(
  argv: readonly string[],
  io: CliIo,
  deps: Partial<CliClients> = {},
): Promise<ExitCode> {
  return runCommand(argv, io, { usage: USAGE, options: OPTIONS }, async (values) => {
    const target = resolveTarget(values);
    const clients = createClients(target, deps);
    const stack = await findConnectionStack(clients, target, await resolvedRegion(clients));
    const report = await gatherStatus(clients, stack);
    if (values.json) io.stdout(JSON.stringify(report, null, 2));
    else for (const line of renderReport(report, clients.now())) io.stdout(line);
    return EXIT_OF_HEALTH[report.health];
  });
}

const HEALTH_LABEL: Readonly<Record<Health, string>> = {
  healthy: 'connected, healthy',
  'not-connected': 'NOT CONNECTED',
  'needs-attention': 'connected, NEEDS ATTENTION',
};

export function renderReport(report: StatusReport, now: Date): string[] {
  const connection = report.connection === null ? '' : `Connection "${report.connection}" `;
  const followUp = report.schedule.follow_up;
  const lines = [
    `${connection}(stack ${report.stack}, region ${report.region ?? 'not set'}): ${HEALTH_LABEL[report.health]}`,
    ...fieldLines([
      ['Data centre', report.data_centre ?? undefined],
      ['API domain', report.api_domain ?? undefined],
      ['Scope', report.scope ?? undefined],
      [
        'Connected at',
        report.connected_at ? `${report.connected_at} (${describeAge(report.connected_at, now)})` : undefined,
      ],
      [
        'Token expires',
        report.token
          ? `${report.token.expires_at} (${describeExpiry(report.token.expires_at, now)})`
          : undefined,
      ],
      [
        'Last refresh',
        report.token
          ? `${report.token.refreshed_at} (${describeAge(report.token.refreshed_at, now)})`
          : undefined,
      ],
      ['Client id/secret', report.connected ? undefined : report.client_stored ? 'stored' : 'not stored'],
      [
        'Refresh schedule',
        `${report.schedule.state}, ${report.schedule.expression} (${report.schedule.name})`,
      ],
      ['Follow-up run', followUp ? `pending, ${followUp.expression} (${followUp.name})` : undefined],
    ]),
  ];
  if (report.alarms.length > 0) {
    const width = Math.max(...report.alarms.map((alarm) => alarm.state.length));
    lines.push('Alarms:', ...report.alarms.map((alarm) => `  ${alarm.state.padEnd(width)}  ${alarm.name}`));
  }
  if (report.actions.length > 0) {
    lines.push('What to do:', ...report.actions.map((action, index) => `  ${index + 1}. ${action}`));
  }
  return lines;
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await run(process.argv.slice(2), terminalIo());
}
