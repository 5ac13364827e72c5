import { type ParseArgsConfig, parseArgs } from 'node:util';
import {
  assertValidConnectionName,
  type ConnectionNames,
  connectionNames,
} from '../../infra/connection-names.js';
import { UsageError } from './cli-error.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type StrictConfig<T extends OptionsConfig> = {
  args: string[];
  options: T;
  strict: true;
  allowPositionals: false;
};
export type ParsedOptions<T extends OptionsConfig> = ReturnType<typeof parseArgs<StrictConfig<T>>>['values'];

/** Options every command takes to find the connection and talk to its AWS account. */
export const TARGET_OPTIONS = {
  connection: { type: 'string' },
  // No longer used; kept only to say so rather than "Unknown option".
  stack: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsConfig;

export const TARGET_USAGE = [
  '  --connection NAME   the connection to act on, in whatever stack it is deployed (default: "default")',
  '  --region REGION     AWS region of the connection (default: AWS_REGION or your profile)',
  '  --profile PROFILE   AWS profile to use (default: AWS_PROFILE or the default profile)',
  '  -h, --help          show this help',
];

export const DEFAULT_CONNECTION = 'default';

/** Which connection to act on, and the flags to repeat in a suggested command line. */
export interface Target {
  readonly connectionName: string;
  /** Physical names of the connection's resources, the exchange function's among them. */
  readonly names: ConnectionNames;
  readonly region: string | undefined;
  readonly profile: string | undefined;
  readonly flags: readonly string[];
}

/**
 * Strict parsing whose messages never repeat a value: a mistyped flag or a stray argument may
 * well be a grant code. node:util's own messages quote stray arguments, so they are rewritten.
 */
export function parseCommandArgs<T extends OptionsConfig>(
  argv: readonly string[],
  options: T,
): ParsedOptions<T> {
  try {
    const config: StrictConfig<T> = { args: [...argv], options, strict: true, allowPositionals: false };
    return parseArgs(config).values;
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
}

function describeParseError(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  const message = error instanceof Error ? error.message : '';
  const option = /'(--?[a-z][a-z-]*)/i.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return option ? `Unknown option ${option}.` : 'Unknown option.';
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return 'Unexpected argument: every value needs its option name in front (e.g. --code VALUE).';
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option
        ? `Option ${option} is missing its value, or takes none.`
        : 'An option is missing its value, or takes none.';
    default:
      return 'Could not read the arguments.';
  }
}

export interface TargetValues {
  readonly connection?: string | undefined;
  readonly stack?: string | undefined;
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
}

export function resolveTarget(values: TargetValues): Target {
  if (values.stack !== undefined) {
    throw new UsageError(
      'The --stack option is gone: the commands find a connection by its name, in whatever stack it is ' +
        'deployed. Pass --connection NAME (the connectionName it was deployed with).',
    );
  }
  const connectionName = checkedConnectionName(values.connection ?? DEFAULT_CONNECTION);
  const flags = [
    ...(values.connection !== undefined ? ['--connection', values.connection] : []),
    ...(values.region !== undefined ? ['--region', values.region] : []),
    ...(values.profile !== undefined ? ['--profile', values.profile] : []),
  ];
  return {
    connectionName,
    names: connectionNames(connectionName),
    region: values.region,
    profile: values.profile,
    flags,
  };
}

function checkedConnectionName(name: string): string {
  try {
    assertValidConnectionName(name);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : 'Invalid connection name.');
  }
  return name;
}

/** The installed command, as a user types it in their own app. */
export const COMMAND_NAME = 'npx zoho-token-keeper';

/** A command line to copy, e.g. `npx zoho-token-keeper connect --code <new code> --connection crm-eu`. */
export function commandLine(command: string, target: Target, extra: readonly string[] = []): string {
  return [COMMAND_NAME, command, ...extra, ...target.flags].join(' ');
}
