import { resolveTarget, TARGET_OPTIONS, TARGET_USAGE } from './lib/args.js';
import { type CliClients, createClients } from './lib/clients.js';
import { runCommand } from './lib/command.js';
import { connectionOf } from './lib/connection.js';
import { EXIT_CODES, type ExitCode } from './lib/exit-codes.js';
import type { Health } from './lib/health.js';
import { type CliIo, runIfMain } from './lib/io.js';
import { describeAge, describeExpiry, fieldLines } from './lib/output.js';
import { gatherStatus, type StatusReport } from './lib/status-report.js';

const OPTIONS = { ...TARGET_OPTIONS, json: { type: 'boolean' } } as const;

const USAGE = [
  'Usage: npx zoho-token-keeper status [--connection NAME] [--region R] [--profile P] [--json]',
  '',
  'Shows whether the connection is connected and healthy, and what to do when it is not. It asks the',
  "connection's exchange function, and never shows a token or a secret.",
  '',
  '  --json              print one JSON object instead of text (failures stay text, on standard error)',
  ...TARGET_USAGE,
  '',
  'Exit codes: 0 healthy, 1 not connected (or something to fix first), 2 AWS unavailable: retry later,',
  '3 needs attention (reconnect needed, expired token, failing refreshes, an alarm in ALARM, schedule disabled).',
];

const EXIT_OF_HEALTH: Readonly<Record<Health, ExitCode>> = {
  healthy: EXIT_CODES.ok,
  'not-connected': EXIT_CODES.userError,
  'needs-attention': EXIT_CODES.needsAttention,
};

/** `npx zoho-token-keeper status`: returns the exit code (see lib/exit-codes.ts). */
export async function run(
  argv: readonly string[],
  io: CliIo,
  deps: Partial<CliClients> = {},
): Promise<ExitCode> {
  return runCommand(argv, io, { usage: USAGE, options: OPTIONS }, async (values) => {
    const target = resolveTarget(values);
    const clients = createClients(target, deps);
    const connection = await connectionOf(clients, target);
    const report = await gatherStatus(clients, connection);
    if (values.json) io.stdout(JSON.stringify(report, null, 2));
    else for (const line of renderReport(report, clients.now())) io.stdout(line);
    return EXIT_OF_HEALTH[report.health];
  });
}

function headline(report: StatusReport): string {
  if (report.health === 'healthy') return 'connected, healthy';
  if (report.health === 'not-connected') return 'NOT CONNECTED';
  return report.connection_state === 'needs-reconnect' ? 'NEEDS RECONNECT' : 'connected, NEEDS ATTENTION';
}

export function renderReport(report: StatusReport, now: Date): string[] {
  const at = (time: string | null) => (time === null ? undefined : `${time} (${describeAge(time, now)})`);
  const { token, last_failure: failure, schedule } = report;
  const lines = [
    `Connection "${report.connection}" (region ${report.region ?? 'not set'}): ${headline(report)}`,
    ...fieldLines([
      ['State', describeState(report, now)],
      ['Client', report.client_stored ? `${report.client_id ?? 'id'} (id and secret stored)` : 'not stored'],
      ['Data centre', report.data_centre ?? undefined],
      ['API domain', report.api_domain ?? undefined],
      ['Scope', report.scope ?? undefined],
      ['Connected at', at(report.connected_at)],
      ['Token expires', token ? `${token.expires_at} (${describeExpiry(token.expires_at, now)})` : undefined],
      ['Last refresh', at(token?.refreshed_at ?? null)],
      ['Last failure', failure ? `${failure.error ?? 'unnamed error'} at ${at(failure.at)}` : undefined],
      ['Retry after', at(report.retry_after)],
      [
        'Refresh schedule',
        `${schedule.state ?? 'UNKNOWN'}${schedule.expression ? `, ${schedule.expression}` : ''} (${schedule.name})`,
      ],
      ['Follow-up run', schedule.follow_up_at ? `pending, ${at(schedule.follow_up_at)}` : undefined],
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

function describeState(report: StatusReport, now: Date): string {
  const since =
    report.state_since === null
      ? ''
      : ` since ${report.state_since} (${describeAge(report.state_since, now)})`;
  switch (report.connection_state) {
    case 'connected':
      return 'connected';
    case 'failing':
      return `connected, but the last refresh failed (${report.state_reason ?? 'unknown error'})${since}`;
    case 'not-connected':
      return `not connected${since}`;
    case 'needs-reconnect':
      return `needs reconnect (${report.state_reason ?? 'refresh token refused'})${since}`;
  }
}

runIfMain(import.meta.url, run);
