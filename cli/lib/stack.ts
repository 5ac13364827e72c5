import { DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DATA_CENTRE_IDS } from '../../functions/lib/data-centres.js';
import { hasErrorName } from '../../functions/lib/errors.js';
import { STACK_OUTPUT_KEYS } from '../../infra/connection-names.js';
import type { Target } from './args.js';
import { awsFailure } from './aws-errors.js';
import { CliError } from './cli-error.js';
import type { CliClients } from './clients.js';
import { EXIT_CODES } from './exit-codes.js';

export type StackOutputs = Readonly<Record<keyof typeof STACK_OUTPUT_KEYS, string>>;

/** A deployed connection: where it lives and the names of its resources. */
export interface ConnectionStack {
  readonly target: Target;
  readonly region: string | undefined;
  readonly outputs: StackOutputs;
}

/** Statuses in which the stack's outputs describe resources that exist. */
const USABLE_STATUS =
  /^(CREATE_COMPLETE|UPDATE_COMPLETE|UPDATE_ROLLBACK_COMPLETE|IMPORT_COMPLETE|UPDATE_IN_PROGRESS|UPDATE_COMPLETE_CLEANUP_IN_PROGRESS)$/;

export async function findConnectionStack(
  clients: CliClients,
  target: Target,
  region: string | undefined,
): Promise<ConnectionStack> {
  let stack: Stack | undefined;
  try {
    const answer = await clients.cloudFormation.send(
      new DescribeStacksCommand({ StackName: target.stackName }),
    );
    stack = answer.Stacks?.[0];
  } catch (error) {
    if (!isStackMissing(error)) {
      throw awsFailure(error, {
        action: `describe the stack ${target.stackName}`,
        region,
        profile: target.profile,
      });
    }
  }
  if (stack === undefined) throw notDeployed(target, region);
  if (!USABLE_STATUS.test(stack.StackStatus ?? '')) {
    throw new CliError(`The stack ${target.stackName} is in status ${stack.StackStatus ?? 'unknown'}.`, {
      exitCode: EXIT_CODES.userError,
      nextSteps: [
        'Wait for a running deployment to finish, or fix a failed one (see the stack events in the CloudFormation ' +
          'console) and deploy again with npx cdk deploy.',
      ],
    });
  }
  return { target, region, outputs: readOutputs(stack, target.stackName) };
}

function readOutputs(stack: Stack, stackName: string): StackOutputs {
  const byKey = new Map((stack.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]));
  const outputs: Partial<Record<keyof typeof STACK_OUTPUT_KEYS, string>> = {};
  const missing: string[] = [];
  for (const [field, key] of Object.entries(STACK_OUTPUT_KEYS) as [
    keyof typeof STACK_OUTPUT_KEYS,
    string,
  ][]) {
    const value = byKey.get(key);
    if (value) outputs[field] = value;
    else missing.push(key);
  }
  if (missing.length > 0) {
    throw new CliError(`The stack ${stackName} lacks the output(s) ${missing.join(', ')}.`, {
      exitCode: EXIT_CODES.userError,
      nextSteps: [
        'It was deployed by an older or different version: deploy this version with npx cdk deploy.',
      ],
    });
  }
  return outputs as StackOutputs;
}

function isStackMissing(error: unknown): boolean {
  return hasErrorName(error, 'ValidationException') && /does not exist/i.test(error.message);
}

function notDeployed(target: Target, region: string | undefined): CliError {
  const connection = target.connectionName ?? 'NAME';
  return new CliError(
    `No stack named ${target.stackName} in region ${region ?? '(not set)'}` +
      `${target.profile === undefined ? '' : ` with profile ${target.profile}`}.`,
    {
      exitCode: EXIT_CODES.userError,
      nextSteps: [
        'If it is deployed elsewhere, pass --region REGION and --profile PROFILE (or set AWS_REGION, AWS_PROFILE).',
        'If the connection has another name, pass --connection NAME (or --stack NAME).',
        `If it is not deployed yet, deploy it: npx cdk deploy -c dataCenter=<${DATA_CENTRE_IDS.join('|')}> ` +
          `-c connectionName=${connection}`,
      ],
    },
  );
}
