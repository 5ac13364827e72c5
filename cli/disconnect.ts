import type { StoredCredentials } from '../functions/lib/documents.js';
import { DEFAULT_SCHEDULE_GROUP } from '../functions/lib/environment.js';
import { RefreshSchedule } from '../functions/lib/schedule/refresh-schedule.js';
import { TokenStore } from '../functions/lib/store/token-store.js';
import { commandLine, resolveTarget, TARGET_OPTIONS, TARGET_USAGE, type Target } from './lib/args.js';
import { awsFailure } from './lib/aws-errors.js';
import { CliError } from './lib/cli-error.js';
import { type CliClients, createClients, resolvedRegion } from './lib/clients.js';
import { runCommand } from './lib/command.js';
import { EXIT_CODES, type ExitCode } from './lib/exit-codes.js';
import { type CliIo, isMainModule, terminalIo } from './lib/io.js';
import { apiConsole, describeTarget } from './lib/output.js';
import { revokeStoredRefreshToken } from './lib/revocation.js';
import { type ConnectionStack, findConnectionStack } from './lib/stack.js';

const OPTIONS = { ...TARGET_OPTIONS, yes: { type: 'boolean', short: 'y' } } as const;

const USAGE = [
  'Usage: npm run disconnect [-- --connection NAME | --stack NAME] [--region R] [--profile P] [--yes]',
  '',
  'Revokes the refresh token at Zoho, clears the stored tokens (the client id and secret are kept, so',
  'a later connect needs only a grant code), disables the refresh schedule and cancels any follow-up.',
  '',
  '  -y, --yes           do not ask for confirmation (needed when not run in a terminal)',
  ...TARGET_USAGE,
  '',
  'Exit codes: 0 disconnected, 1 something to fix first (or not confirmed), 2 Zoho or AWS unavailable: retry later.',
];

const STEP_COUNT = 4;

/** `npm run disconnect`: returns the exit code (see lib/exit-codes.ts). */
export async function run(
  argv: readonly string[],
  io: CliIo,
  deps: Partial<CliClients> = {},
): Promise<ExitCode> {
  return runCommand(argv, io, { usage: USAGE, options: OPTIONS }, async (values) => {
    const target = resolveTarget(values);
    if (!values.yes && !io.isTTY) {
      throw new CliError('Refusing to disconnect without confirmation: there is no terminal to ask.', {
        exitCode: EXIT_CODES.userError,
        nextSteps: [
          `Run it in a terminal, or confirm with --yes: ${commandLine('disconnect', target, ['--yes'])}`,
        ],
      });
    }
    const clients = createClients(target, deps);
    const stack = await findConnectionStack(clients, target, await resolvedRegion(clients));
    const store = new TokenStore({
      client: clients.secretsManager,
      credentialsSecretId: stack.outputs.credentialsSecretArn,
      accessTokenSecretId: stack.outputs.accessTokenSecretArn,
    });
    const credentials = await step(
      stack,
      [],
      `read the credentials secret ${stack.outputs.credentialsSecretName}`,
      () => store.readCredentials(),
    );

    describePlan(io, stack, credentials);
    if (!values.yes) await confirm(io, target);

    await disconnectInOrder(io, clients, stack, store, credentials);
    io.stdout('Disconnected. Readers of the access token now get NotConnectedError until you connect again.');
    const kept = credentials.client_id ? ' (the client id and secret were kept: only a code is needed)' : '';
    io.stdout(
      `To reconnect, generate a grant code in ${apiConsole(credentials.accounts_url)} ` +
        `(Self Client > Generate Code) and run ${commandLine('connect', target, ['--code', '<grant code>'])}${kept}.`,
    );
    return EXIT_CODES.ok;
  });
}

/** Revoke first: if Zoho cannot be reached, nothing has been cleared yet and the connection still works. */
async function disconnectInOrder(
  io: CliIo,
  clients: CliClients,
  stack: ConnectionStack,
  store: TokenStore,
  credentials: StoredCredentials,
): Promise<void> {
  const done: string[] = [];
  const report = (line: string) => {
    done.push(line);
    io.stdout(`  ${done.length}/${STEP_COUNT} ${line}`);
  };
  report(await revokeStoredRefreshToken(clients, stack, credentials));
  await step(stack, done, 'clear the stored tokens', () => store.clearTokens());
  report('Cleared the stored tokens (the client id and secret are kept).');
  const schedule = new RefreshSchedule({
    client: clients.scheduler,
    name: stack.outputs.refreshScheduleName,
    group: DEFAULT_SCHEDULE_GROUP,
  });
  const { changed } = await step(stack, done, 'disable the refresh schedule', () => schedule.disable());
  const scheduleName = stack.outputs.refreshScheduleName;
  report(
    changed
      ? `Disabled the refresh schedule ${scheduleName}.`
      : `The refresh schedule ${scheduleName} was already disabled.`,
  );
  await step(stack, done, 'cancel the follow-up refresh', () => schedule.cancelFollowUp());
  report('Cancelled any pending follow-up refresh.');
}

function describePlan(io: CliIo, stack: ConnectionStack, credentials: StoredCredentials): void {
  io.stdout(`This disconnects ${describeTarget(stack.target, stack.region)}:`);
  io.stdout(
    credentials.refresh_token
      ? `  - revoke its refresh token at ${credentials.accounts_url ?? 'Zoho'}, and every access token made from it;`
      : '  - no refresh token is stored, so there is nothing to revoke at Zoho;',
  );
  io.stdout('  - clear the stored tokens (the client id and secret are kept);');
  io.stdout('  - disable the refresh schedule and cancel any pending follow-up.');
}

async function confirm(io: CliIo, target: Target): Promise<void> {
  const expected = target.connectionName ?? target.stackName;
  const answer = await io.prompt(`Type the connection name (${expected}) to confirm: `);
  if (answer.trim() !== expected) {
    throw new CliError('Not confirmed: nothing was changed.', { exitCode: EXIT_CODES.userError });
  }
}

/** Steps 2 to 4: a failure says what was already done, and that running again finishes the job. */
async function step<T>(
  stack: ConnectionStack,
  done: readonly string[],
  action: string,
  act: () => Promise<T>,
): Promise<T> {
  try {
    return await act();
  } catch (error) {
    const failure = awsFailure(error, { action, region: stack.region, profile: stack.target.profile });
    if (done.length === 0) throw failure;
    throw new CliError(`${failure.message} The disconnect stopped part-way.`, {
      exitCode: failure.exitCode,
      details: [failure.details, 'Already done:', ...done.map((line) => `  - ${line}`)]
        .filter(Boolean)
        .join('\n'),
      cause: error,
      nextSteps: [
        ...failure.nextSteps,
        `Then run ${commandLine('disconnect', stack.target)} again to finish (the steps already done are harmless to repeat).`,
      ],
    });
  }
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await run(process.argv.slice(2), terminalIo());
}
