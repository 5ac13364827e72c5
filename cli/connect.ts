import { parseExchangeEvent } from '../functions/exchange/exchange-event.js';
import type { ConnectionStatus, ReplacedRefreshToken } from '../functions/lib/connection-status.js';
import { InvalidEventError } from '../functions/lib/errors.js';
import { commandLine, resolveTarget, TARGET_OPTIONS, TARGET_USAGE } from './lib/args.js';
import { CliError, UsageError } from './lib/cli-error.js';
import { type ClientChoice, chooseClient, nonEmpty } from './lib/client-credentials.js';
import { type CliClients, createClients } from './lib/clients.js';
import { runCommand } from './lib/command.js';
import { type Connection, connectionOf } from './lib/connection.js';
import { type AdviceContext, adviceFor } from './lib/contract-advice.js';
import { type ExchangeRequest, requestExchange, requestStatus } from './lib/exchange-function.js';
import { EXIT_CODES, type ExitCode } from './lib/exit-codes.js';
import type { ExchangeAnswer } from './lib/function-answers.js';
import { type CliIo, runIfMain } from './lib/io.js';
import { apiConsole, describeDataCentre, describeExpiry, describeTarget, fieldLines } from './lib/output.js';

export const GRANT_CODE_ENV = 'ZOHO_GRANT_CODE';

const OPTIONS = { ...TARGET_OPTIONS, code: { type: 'string' } } as const;

const USAGE = [
  'Usage: npx zoho-token-keeper connect --code <grant code> [--connection NAME] [--region R] [--profile P]',
  '',
  'Exchanges a Zoho Self Client grant code (API Console > Self Client > Generate Code) for tokens, through',
  "the connection's exchange function. On a reconnect the function revokes the replaced refresh token.",
  '',
  '  --code CODE         the grant code (or set ZOHO_GRANT_CODE; asked for, hidden, when neither is given)',
  ...TARGET_USAGE,
  '',
  'The exchange function uses the client id and secret it has stored; ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET',
  'replace them, and in a terminal you are asked for them when none are stored.',
  'Exit codes: 0 connected, 1 something to fix first, 2 Zoho or AWS unavailable: retry later.',
];

const CLIENT_SOURCE: Readonly<Record<ClientChoice['source'], string>> = {
  stored: 'the stored client id and secret',
  environment: 'saved from ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET',
  prompt: 'saved from your answers',
};

const REPLACED: Readonly<Record<ReplacedRefreshToken, string>> = {
  revoked: 'revoked at Zoho',
  'already-invalid': 'already invalid at Zoho (revoked or deleted before)',
  'revoke-failed': 'NOT revoked: Zoho could not be reached',
};

/** `npx zoho-token-keeper connect`: returns the exit code (see lib/exit-codes.ts). */
export async function run(
  argv: readonly string[],
  io: CliIo,
  deps: Partial<CliClients> = {},
): Promise<ExitCode> {
  return runCommand(argv, io, { usage: USAGE, options: OPTIONS }, async (values) => {
    const target = resolveTarget(values);
    const givenCode = nonEmpty(values.code) ?? nonEmpty(io.env[GRANT_CODE_ENV]);
    if (givenCode === undefined && !io.isTTY) {
      throw new UsageError(`No grant code: pass --code CODE or set ${GRANT_CODE_ENV}.`);
    }
    // A mistyped code is refused before any AWS call, and before Zoho could count it as an attempt.
    if (givenCode !== undefined) validate({ code: givenCode });

    const clients = createClients(target, deps);
    const connection = await connectionOf(clients, target);
    const status = await requestStatus(clients, connection, adviceFor(connection, undefined));
    const advice = adviceFor(connection, status.accounts_url);
    const { request, choice } = await prepareRequest(io, status, advice, givenCode);

    io.stdout(`Exchanging the grant code through ${connection.target.names.exchangeFunction} ...`);
    const answer = await requestExchange(clients, connection, request, advice);
    for (const line of summarise(connection, status, answer, choice, clients.now())) io.stdout(line);
    return EXIT_CODES.ok;
  });
}

/** Asks for what is missing: the code last, as it expires within minutes. */
async function prepareRequest(
  io: CliIo,
  status: ConnectionStatus,
  advice: AdviceContext,
  givenCode: string | undefined,
): Promise<{ request: ExchangeRequest; choice: ClientChoice }> {
  const choice = await chooseClient(io, status.client_stored, advice);
  const since = (time: string | undefined) => (time ? ` since ${time}` : '');
  if (status.connection_state === 'connected') {
    io.stdout(
      `Already connected${since(status.connected_at)}: the new grant code replaces the stored refresh token, ` +
        'which the exchange function then revokes.',
    );
  } else if (status.connection_state === 'needs-reconnect') {
    io.stdout(
      `Zoho no longer accepts the stored refresh token (${status.state_reason ?? 'revoked or deleted'})` +
        `${since(status.state_since)}: the new grant code replaces it.`,
    );
  }
  const code = givenCode ?? (await askForCode(io, advice.accountsUrl));
  const request: ExchangeRequest = {
    code,
    ...(choice.client
      ? { client_id: choice.client.clientId, client_secret: choice.client.clientSecret }
      : {}),
  };
  validate(request);
  return { request, choice };
}

/** The schedule is as the status answer found it: nothing switches it at runtime, the exchange neither. */
function summarise(
  connection: Connection,
  status: ConnectionStatus,
  answer: ExchangeAnswer,
  choice: ClientChoice,
  now: Date,
): string[] {
  const client =
    choice.source === 'stored' && status.client_id
      ? `${CLIENT_SOURCE.stored} (${status.client_id})`
      : CLIENT_SOURCE[choice.source];
  const replaced = answer.previous_refresh_token;
  const schedule = status.schedule_state ?? 'UNKNOWN';
  const lines = [
    `Connected ${describeTarget(connection.target, connection.region)}.`,
    ...fieldLines([
      ['Data centre', describeDataCentre(status.accounts_url)],
      ['API domain', answer.api_domain],
      ['Scope', answer.scope],
      ['Token expires', `${answer.expires_at} (${describeExpiry(answer.expires_at, now)})`],
      ['Client', client],
      ['Old refresh token', replaced === undefined ? undefined : REPLACED[replaced]],
      [
        'Refresh schedule',
        `${schedule}${status.schedule_expression ? `, ${status.schedule_expression}` : ''}`,
      ],
    ]),
  ];
  if (replaced === 'revoke-failed') {
    lines.push(
      'The replaced refresh token is stored nowhere any more, but Zoho still counts it among the 20 a client may ' +
        'hold (the 21st deletes the oldest). Nothing else needs doing.',
    );
  }
  if (schedule !== 'ENABLED') {
    lines.push(
      `The refresh schedule ${status.schedule_name} is ${schedule}, so no scheduled refresh runs: enable it in the ` +
        `EventBridge Scheduler console, then check with ${commandLine('status', connection.target)}.`,
    );
  }
  lines.push(
    `Consumers granted read on ${connection.target.names.accessTokenSecret} can now use the access token.`,
    `Check on it at any time: ${commandLine('status', connection.target)}`,
  );
  return lines;
}

function validate(request: ExchangeRequest): void {
  try {
    parseExchangeEvent(request);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    throw new CliError(error.message, { exitCode: EXIT_CODES.userError });
  }
}

async function askForCode(io: CliIo, accountsUrl: string | undefined): Promise<string> {
  io.stderr(
    `Generate a grant code in ${apiConsole(accountsUrl)} (Self Client > Generate Code) and paste it here.`,
  );
  const code = nonEmpty(await io.prompt('Grant code (input hidden): ', { secret: true }));
  if (code === undefined) throw new UsageError('A grant code is needed.');
  validate({ code });
  return code;
}

runIfMain(import.meta.url, run);
