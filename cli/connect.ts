import { parseExchangeEvent } from '../functions/exchange/exchange-event.js';
import type { ExchangeResult } from '../functions/exchange/exchange-grant-code.js';
import { isConnected, type StoredCredentials } from '../functions/lib/documents.js';
import { DEFAULT_SCHEDULE_GROUP } from '../functions/lib/environment.js';
import { InvalidEventError } from '../functions/lib/errors.js';
import { RefreshSchedule } from '../functions/lib/schedule/refresh-schedule.js';
import { TokenStore } from '../functions/lib/store/token-store.js';
import { commandLine, resolveTarget, TARGET_OPTIONS, TARGET_USAGE } from './lib/args.js';
import { awsFailure } from './lib/aws-errors.js';
import { CliError, UsageError } from './lib/cli-error.js';
import { type ClientChoice, chooseClient, nonEmpty } from './lib/client-credentials.js';
import { type CliClients, createClients, resolvedRegion } from './lib/clients.js';
import { runCommand } from './lib/command.js';
import { type AdviceContext, exchangeFailure } from './lib/contract-advice.js';
import { type ExchangeRequest, invokeExchange } from './lib/exchange.js';
import { EXIT_CODES, type ExitCode } from './lib/exit-codes.js';
import { type CliIo, isMainModule, terminalIo } from './lib/io.js';
import { apiConsole, describeDataCentre, describeExpiry, describeTarget, fieldLines } from './lib/output.js';
import { type ConnectionStack, deployedAccountsUrl, findConnectionStack } from './lib/stack.js';

export const GRANT_CODE_ENV = 'ZOHO_GRANT_CODE';

const OPTIONS = { ...TARGET_OPTIONS, code: { type: 'string' } } as const;

const USAGE = [
  'Usage: npm run connect -- --code <grant code> [--connection NAME | --stack NAME] [--region R] [--profile P]',
  '',
  'Exchanges a Zoho Self Client grant code (API Console > Self Client > Generate Code) for tokens,',
  'stored by the exchange function of the deployed stack, and switches the refresh schedule on.',
  '',
  '  --code CODE         the grant code (or set ZOHO_GRANT_CODE; asked for, hidden, when neither is given)',
  ...TARGET_USAGE,
  '',
  'The client id and secret are taken from the credentials secret; ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET',
  'replace them, and in a terminal you are asked for them when none are stored.',
  'Exit codes: 0 connected, 1 something to fix first, 2 Zoho or AWS unavailable: retry later.',
];

const CLIENT_SOURCE: Readonly<Record<ClientChoice['source'], string>> = {
  stored: 'the stored client id and secret',
  environment: 'saved from ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET',
  prompt: 'saved from your answers',
};

/** `npm run connect`: returns the exit code (see lib/exit-codes.ts). */
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
    const stack = await findConnectionStack(clients, target, await resolvedRegion(clients));
    const { request, choice, advice } = await prepareRequest(io, clients, stack, givenCode);

    io.stdout(`Exchanging the grant code through ${stack.outputs.exchangeFunctionName} ...`);
    const outcome = await invokeExchange(clients, stack, request);
    if (outcome.kind === 'failed') {
      throw exchangeFailure(outcome.errorType, outcome.errorMessage, advice);
    }
    const summary = await summarise(clients, stack, outcome.result, advice.accountsUrl, choice);
    for (const line of summary) io.stdout(line);
    return EXIT_CODES.ok;
  });
}

/** Reads what is stored, then asks for what is missing: the code last, as it expires within minutes. */
async function prepareRequest(
  io: CliIo,
  clients: CliClients,
  stack: ConnectionStack,
  givenCode: string | undefined,
): Promise<{ request: ExchangeRequest; choice: ClientChoice; advice: AdviceContext }> {
  const store = new TokenStore({
    client: clients.secretsManager,
    credentialsSecretId: stack.outputs.credentialsSecretArn,
    accessTokenSecretId: stack.outputs.accessTokenSecretArn,
  });
  const [stored, accountsUrl] = await Promise.all([
    readStoredCredentials(store, stack),
    deployedAccountsUrl(clients, stack),
  ]);
  const advice = {
    target: stack.target,
    accountsUrl,
    credentialsSecretName: stack.outputs.credentialsSecretName,
  };
  const choice = await chooseClient(io, stored, advice);
  if (isConnected(stored)) {
    io.stdout(
      `Already connected since ${stored.connected_at}: the new grant code replaces the stored refresh token.`,
    );
  }
  const code = givenCode ?? (await askForCode(io, accountsUrl));
  const request: ExchangeRequest = {
    code,
    ...(choice.client
      ? { client_id: choice.client.clientId, client_secret: choice.client.clientSecret }
      : {}),
  };
  validate(request);
  return { request, choice, advice };
}

async function summarise(
  clients: CliClients,
  stack: ConnectionStack,
  result: ExchangeResult,
  accountsUrl: string | undefined,
  choice: ClientChoice,
): Promise<string[]> {
  const now = clients.now();
  const schedule = await describeSchedule(clients, stack);
  return [
    `Connected ${describeTarget(stack.target, stack.region)}.`,
    ...fieldLines([
      ['Data centre', describeDataCentre(accountsUrl)],
      ['API domain', result.api_domain],
      ['Scope', result.scope],
      ['Token expires', `${result.expires_at} (${describeExpiry(result.expires_at, now)})`],
      ['Refresh schedule', schedule],
      ['Client', CLIENT_SOURCE[choice.source]],
    ]),
    `Consumers granted read on ${stack.outputs.accessTokenSecretName} can now use the access token.`,
    `Check on it at any time: ${commandLine('status', stack.target)}`,
  ];
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

async function readStoredCredentials(store: TokenStore, stack: ConnectionStack): Promise<StoredCredentials> {
  try {
    return await store.readCredentials();
  } catch (error) {
    throw awsFailure(error, {
      action: `read the credentials secret ${stack.outputs.credentialsSecretName}`,
      region: stack.region,
      profile: stack.target.profile,
    });
  }
}

/** Read after the exchange, which switches the schedule on: this shows that it did. */
async function describeSchedule(clients: CliClients, stack: ConnectionStack): Promise<string> {
  try {
    const schedule = new RefreshSchedule({
      client: clients.scheduler,
      name: stack.outputs.refreshScheduleName,
      group: DEFAULT_SCHEDULE_GROUP,
    });
    const state = await schedule.describe();
    const every = state.rateMinutes === undefined ? state.expression : `every ${state.rateMinutes} minutes`;
    return `${state.state === 'ENABLED' ? 'enabled' : 'DISABLED (unexpected: run status)'}, ${every}`;
  } catch {
    return 'could not be read (run status)';
  }
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await run(process.argv.slice(2), terminalIo());
}
