import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';

/**
 * What the commands talk to. There is deliberately no Secrets Manager, Scheduler or Zoho client:
 * the operator learns and changes everything through the exchange function, so the laptop never
 * holds a refresh token or client secret. Tests replace any of them.
 */
export interface CliClients {
  readonly cloudFormation: CloudFormationClient;
  readonly lambda: LambdaClient;
  readonly cloudWatch: CloudWatchClient;
  readonly now: () => Date;
}

export interface AwsOptions {
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
}

/** Builds the clients with --region and --profile; the SDK falls back to AWS_REGION, AWS_PROFILE etc. */
export function createClients(options: AwsOptions, overrides: Partial<CliClients> = {}): CliClients {
  const config = {
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
  };
  return {
    cloudFormation: overrides.cloudFormation ?? new CloudFormationClient(config),
    // One attempt only: a retried Invoke would exchange the same single-use grant code twice and turn
    // a passing glitch into InvalidGrantCodeError.
    lambda: overrides.lambda ?? new LambdaClient({ ...config, maxAttempts: 1 }),
    cloudWatch: overrides.cloudWatch ?? new CloudWatchClient(config),
    now: overrides.now ?? (() => new Date()),
  };
}

/** The region the clients resolved (from --region, the environment or the profile), for messages. */
export async function resolvedRegion(clients: CliClients): Promise<string | undefined> {
  try {
    return await clients.cloudFormation.config.region();
  } catch {
    return undefined;
  }
}
