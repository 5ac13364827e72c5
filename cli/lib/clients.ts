import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';

/** How long a command waits for AWS before it gives up with a message (see aws-errors.ts). */
export interface ClientTimeouts {
  /** To open a connection to an AWS endpoint. */
  readonly connectionMs: number;
  /** For a whole request and its answer, Lambda Invoke excepted. */
  readonly requestMs: number;
  /** For a synchronous Invoke of the exchange function, which answers only once it has finished. */
  readonly invokeMs: number;
}

export const DEFAULT_TIMEOUTS: ClientTimeouts = {
  connectionMs: 5_000,
  requestMs: 15_000,
  // The exchange function may run for 60 s (its timeout in infra/zoho-connection.ts) plus a cold
  // start; giving up sooner would report a failure for an exchange that then goes through.
  invokeMs: 90_000,
};

/**
 * What the commands talk to. There is deliberately no Secrets Manager, Scheduler or Zoho client:
 * the operator learns and changes everything through the exchange function, so the laptop never
 * holds a refresh token or client secret. Nor a CloudFormation client: a connection is found by the
 * fixed name of its exchange function, whatever stack holds it. Tests replace any of them.
 */
export interface CliClients {
  readonly lambda: LambdaClient;
  readonly cloudWatch: CloudWatchClient;
  readonly timeouts: ClientTimeouts;
  readonly now: () => Date;
}

export interface AwsOptions {
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
}

/** Where and how to reach AWS: tests point the real clients at a local endpoint. */
export interface ClientOptions extends AwsOptions {
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly timeouts?: ClientTimeouts;
}

/**
 * Builds the clients with --region and --profile; the SDK falls back to AWS_REGION, AWS_PROFILE,
 * AWS_ENDPOINT_URL etc. Every client has a connection and a request timeout, so that no command
 * hangs on a network that swallows requests.
 */
export function createClients(options: ClientOptions, overrides: Partial<CliClients> = {}): CliClients {
  const timeouts = overrides.timeouts ?? options.timeouts ?? DEFAULT_TIMEOUTS;
  const config = {
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  };
  // The SDK builds its NodeHttpHandler from these options. Without throwOnRequestTimeout, an
  // exceeded requestTimeout only logs a warning and the request goes on waiting.
  const handler = (requestTimeout: number) => ({
    connectionTimeout: timeouts.connectionMs,
    requestTimeout,
    throwOnRequestTimeout: true,
  });
  return {
    // One attempt only: a retried Invoke would exchange the same single-use grant code twice and turn
    // a passing glitch into InvalidGrantCodeError.
    lambda:
      overrides.lambda ??
      new LambdaClient({ ...config, maxAttempts: 1, requestHandler: handler(timeouts.invokeMs) }),
    cloudWatch:
      overrides.cloudWatch ??
      new CloudWatchClient({ ...config, requestHandler: handler(timeouts.requestMs) }),
    timeouts,
    now: overrides.now ?? (() => new Date()),
  };
}

/** The region the clients resolved (from --region, the environment or the profile), for messages. */
export async function resolvedRegion(clients: CliClients): Promise<string | undefined> {
  try {
    return await clients.lambda.config.region();
  } catch {
    return undefined;
  }
}
