import { DATA_CENTRE_IDS, dataCentreOfAccountsUrl } from '../../functions/lib/data-centres.js';
import { CONTRACT_ERROR_NAMES, type ContractErrorName } from '../../functions/lib/errors.js';
import { commandLine, type Target } from './args.js';
import { CliError } from './cli-error.js';
import type { Connection } from './connection.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { apiConsole, describeDataCentre } from './output.js';

/** What a failed exchange means for the operator, per contract error. */
export interface AdviceContext {
  readonly target: Target;
  /** The accounts server the connection was deployed with, when it could be read. */
  readonly accountsUrl: string | undefined;
  readonly credentialsSecretName: string;
}

/** The context of a connection; the accounts server once a status answer has named it. */
export function adviceFor(connection: Connection, accountsUrl: string | undefined): AdviceContext {
  return {
    target: connection.target,
    accountsUrl,
    credentialsSecretName: connection.target.names.credentialsSecret,
  };
}

interface Advice {
  readonly exitCode: ExitCode;
  readonly headline: string;
  readonly nextSteps: (context: AdviceContext) => string[];
}

const newCode = (context: AdviceContext) =>
  `Generate a new grant code in ${apiConsole(context.accountsUrl)} (Self Client > Generate Code).`;
const connectAgain = (context: AdviceContext) =>
  `Run ${commandLine('connect', context.target, ['--code', '<new code>'])} straight away: codes expire within minutes.`;
const withClient = (context: AdviceContext) =>
  `ZOHO_CLIENT_ID=<client id> ZOHO_CLIENT_SECRET=<client secret> ${commandLine('connect', context.target, ['--code', '<code>'])}`;

/** A Record over every name, so a new contract error cannot be left without advice. */
const ADVICE: Readonly<Record<ContractErrorName, Advice>> = {
  InvalidGrantCodeError: {
    exitCode: EXIT_CODES.userError,
    headline:
      'Zoho rejected the grant code (InvalidGrantCodeError): codes are single-use, expire minutes after they are ' +
      'generated, and work only in the data centre they were generated in.',
    nextSteps: (context) => [newCode(context), connectAgain(context)],
  },
  InvalidClientError: {
    exitCode: EXIT_CODES.userError,
    headline:
      'Zoho rejected the client id or client secret (InvalidClientError): they are wrong, or the Self Client ' +
      "belongs to another data centre than this connection's.",
    nextSteps: (context) => [
      `Copy the client id and secret from Self Client > Client Secret in ${apiConsole(context.accountsUrl)} ` +
        `and run again with them (they replace the stored ones): ${withClient(context)}`,
      `This connection was deployed for ${describeDataCentre(context.accountsUrl) ?? 'an unknown data centre'}. If the Self ` +
        `Client lives in another one, redeploy for it: ${redeploy(context, `<${DATA_CENTRE_IDS.join('|')}>`)}, ` +
        'then connect with a code from that data centre.',
    ],
  },
  ZohoRateLimitedError: {
    exitCode: EXIT_CODES.serviceError,
    headline:
      'Zoho refused with "Access Denied" (ZohoRateLimitedError): too many token requests for this Self Client; ' +
      'Zoho blocks it for the rest of a 10-minute window.',
    nextSteps: (context) => [
      'Wait 10 minutes, and check that nothing else (another deployment, a script) uses the same Self Client.',
      newCode(context),
      connectAgain(context),
    ],
  },
  RefreshBudgetExhaustedError: {
    exitCode: EXIT_CODES.serviceError,
    headline:
      'The refresh function refused a forced refresh (RefreshBudgetExhaustedError): forced refreshes have used ' +
      "their share of the access-token secret's daily write budget.",
    nextSteps: () => [
      'Find the consumer that forces refreshes: Zoho rejects its calls for a reason a new token cannot fix ' +
        '(another data centre, a missing scope, another organisation). Scheduled refreshes go on meanwhile.',
    ],
  },
  ConnectionBusyError: {
    exitCode: EXIT_CODES.serviceError,
    headline:
      'Another change of this connection was under way (ConnectionBusyError): a refresh storing a token, or ' +
      'another connect or disconnect. Nothing was changed and the grant code was not used.',
    nextSteps: () => [
      'Run the same command again in a minute; the same grant code still works while it has not expired.',
    ],
  },
  ZohoUnavailableError: {
    exitCode: EXIT_CODES.serviceError,
    headline: "Zoho's accounts server could not be reached or gave no usable answer (ZohoUnavailableError).",
    nextSteps: (context) => [
      'Check https://status.zoho.com and try again in a few minutes.',
      `Your grant code has probably expired by then (and Zoho may have used it): ${newCode(context)}`,
      connectAgain(context),
    ],
  },
  NotConnectedError: {
    exitCode: EXIT_CODES.userError,
    headline: 'The exchange function found no client id and secret (NotConnectedError).',
    nextSteps: (context) => [
      `Run again with the client id and secret from Self Client > Client Secret in ${apiConsole(context.accountsUrl)}: ` +
        `${withClient(context)} (or run it in a terminal to be asked for them).`,
    ],
  },
  ConfigError: {
    exitCode: EXIT_CODES.userError,
    headline: 'The exchange function is misconfigured (ConfigError); the details below name what is wrong.',
    nextSteps: (context) => [
      `Fix what the details name; if it is a setting of the function or a missing resource, redeploy: ${redeploy(context)}.`,
      `If the credentials secret ${context.credentialsSecretName} is malformed, set it to {} or {"client_id": "...", "client_secret": "..."} in the Secrets Manager console.`,
      `${newCode(context)} Then run connect again.`,
    ],
  },
  InvalidEventError: {
    exitCode: EXIT_CODES.userError,
    headline:
      'The exchange function refused the request (InvalidEventError); the details below say which value.',
    nextSteps: (context) => [
      `Copy the whole grant code (three dot-separated parts) from Self Client > Generate Code in ${apiConsole(context.accountsUrl)}, ` +
        'and the client id and secret from Self Client > Client Secret, without quotes or spaces.',
      connectAgain(context),
    ],
  },
  RefreshTokenRevokedError: {
    exitCode: EXIT_CODES.userError,
    headline: 'Zoho rejected the stored refresh token (RefreshTokenRevokedError).',
    nextSteps: (context) => [newCode(context), connectAgain(context)],
  },
};

export function isContractErrorName(name: string): name is ContractErrorName {
  return (CONTRACT_ERROR_NAMES as readonly string[]).includes(name);
}

export function contractExitCode(name: ContractErrorName): ExitCode {
  return ADVICE[name].exitCode;
}

/** The report of a failed exchange. `message` is the function's, which never holds a secret. */
export function exchangeFailure(errorType: string, message: string, context: AdviceContext): CliError {
  if (isContractErrorName(errorType)) {
    const advice = ADVICE[errorType];
    return new CliError(advice.headline, {
      exitCode: advice.exitCode,
      nextSteps: advice.nextSteps(context),
      details: `Details from the exchange function: ${message}`,
    });
  }
  return new CliError(`The exchange function failed unexpectedly (${errorType}).`, {
    exitCode: EXIT_CODES.serviceError,
    details: `Details from the exchange function: ${message}`,
    nextSteps: [
      readLog(context),
      `Run ${commandLine('status', context.target)}: if it did not connect, the code may be used up. ${newCode(context)}`,
      connectAgain(context),
    ],
  });
}

/** The operator requests the exchange function answers besides a grant code. */
export type OperatorRequest = 'status' | 'disconnect';

const REQUEST_EVENT: Readonly<Record<OperatorRequest, string>> = {
  status: '{"status": true}',
  disconnect: '{"disconnect": true}',
};

/** The report of a failed status or disconnect request. `message` is the function's own. */
export function operatorFailure(
  request: OperatorRequest,
  errorType: string,
  message: string,
  context: AdviceContext,
): CliError {
  const details = `Details from the exchange function: ${message}`;
  const fail = (headline: string, exitCode: ExitCode, nextSteps: string[]) =>
    new CliError(headline, { exitCode, details, nextSteps });
  const again = `Then run ${commandLine(request, context.target)} again.`;
  if (errorType === 'InvalidEventError') {
    // The deployed function predates the operator events and refuses them as unknown fields.
    return fail(
      `The exchange function does not understand ${REQUEST_EVENT[request]}: it was deployed from an older version than these commands.`,
      EXIT_CODES.userError,
      [`Deploy this version: ${redeploy(context)}`, again],
    );
  }
  if (errorType === 'ConfigError') {
    return fail(ADVICE.ConfigError.headline, EXIT_CODES.userError, [
      `Fix what the details name; if it is a setting of the function or a missing resource, redeploy: ${redeploy(context)}.`,
      again,
    ]);
  }
  const unchanged = 'so the disconnect stopped: nothing was changed and the connection still works.';
  if (request === 'disconnect' && errorType === 'ZohoUnavailableError') {
    return fail(
      `The exchange function could not reach Zoho to revoke the refresh token (ZohoUnavailableError), ${unchanged}`,
      EXIT_CODES.serviceError,
      ['Check https://status.zoho.com and wait a few minutes.', again],
    );
  }
  if (request === 'disconnect' && errorType === 'ZohoRateLimitedError') {
    return fail(
      `Zoho refused the revocation with "Access Denied" (ZohoRateLimitedError), ${unchanged}`,
      EXIT_CODES.serviceError,
      ['Wait 10 minutes (Zoho blocks the client for the rest of a 10-minute window).', again],
    );
  }
  const action = request === 'status' ? 'report the status' : 'disconnect';
  const done =
    request === 'disconnect'
      ? [
          `Run ${commandLine('status', context.target)} to see whether it disconnected; disconnecting again is harmless.`,
        ]
      : [];
  return fail(
    `The exchange function could not ${action} (${errorType}).`,
    isContractErrorName(errorType) ? contractExitCode(errorType) : EXIT_CODES.serviceError,
    [readLog(context), ...done, again],
  );
}

function readLog(context: AdviceContext): string {
  const logGroup = context.target.names ? `${context.target.names.logGroupPrefix}/exchange` : undefined;
  return logGroup
    ? `Read its log: aws logs tail ${logGroup} --since 15m`
    : 'Read its log in CloudWatch Logs.';
}

/**
 * The deploy command for this connection. The data centre is always spelled out: context values are
 * not remembered between deployments, and the app's default (us) would silently move the connection.
 */
export function redeploy(context: AdviceContext, dataCenter?: string): string {
  const deployed = context.accountsUrl ? dataCentreOfAccountsUrl(context.accountsUrl)?.id : undefined;
  const connection = context.target.connectionName ?? '<name>';
  return `npx cdk deploy -c dataCenter=${dataCenter ?? deployed ?? '<data centre>'} -c connectionName=${connection}`;
}
