import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FUNCTION_BUNDLE, functionAssetDirectory, type KeeperFunctionName } from './function-bundle.js';

export interface KeeperFunctionProps {
  /** Which pre-built bundle (`assets/<asset>/`) the function runs. */
  readonly asset: KeeperFunctionName;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly logGroupName: string;
  readonly logRetention: logs.RetentionDays;
  readonly environment: Readonly<Record<string, string>>;
  /** @default - no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How long Lambda keeps retrying an asynchronous event it could not run (throttled).
   * @default - Lambda's default, 6 hours
   */
  readonly maxEventAge?: Duration;
}

/**
 * One of the keeper's Lambda functions with everything they share: an ESM bundle with the AWS SDK
 * inside (so the versions the tests ran are the versions deployed), its own log group and a role
 * that may write only there (instead of AWSLambdaBasicExecutionRole, which may write anywhere).
 *
 * The bundle is built with the package (scripts/build-assets.ts), not at synth time: an app that
 * installs this package synthesises without esbuild, Docker or this package's lock file.
 */
export class KeeperFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: KeeperFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: props.logGroupName,
      retention: props.logRetention,
      // Logs never hold a token or a secret, and a retained group would block the next deploy's name.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(assetDirectory(props.asset)),
      handler: FUNCTION_BUNDLE.handler,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.DISABLED,
      // No function is retried by Lambda: a grant code is single-use, the refresh function schedules
      // its own follow-up attempt, and the example consumer is invoked synchronously.
      retryAttempts: 0,
      maxEventAge: props.maxEventAge,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: { ...props.environment, NODE_OPTIONS: FUNCTION_BUNDLE.nodeOptions },
    });
  }
}

function assetDirectory(name: KeeperFunctionName): string {
  const directory = functionAssetDirectory(name);
  if (!existsSync(join(directory, FUNCTION_BUNDLE.file))) {
    throw new Error(
      `The ${name} function's bundle is missing from ${directory}. In a checkout of zoho-token-keeper, run ` +
        '`npm run build:assets` (`npx cdk synth` and the tests do this themselves); an installed package ships it.',
    );
  }
  return directory;
}
