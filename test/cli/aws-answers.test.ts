import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as connect } from '../../cli/connect.js';
import { type ClientTimeouts, createClients } from '../../cli/lib/clients.js';
import { EXIT_CODES } from '../../cli/lib/exit-codes.js';
import { run as status } from '../../cli/status.js';
import { ZohoConnection } from '../../infra/zoho-connection.js';
import {
  type Answer,
  cloudWatchError,
  cloudWatchResult,
  LocalAws,
  lambdaError,
  lambdaResult,
} from './aws-endpoint.js';
import { CLIENT_ID, GRANT_CODE, SECRET_VALUES } from './fake-deployment.js';
import { FakeExchangeFunction } from './fake-exchange-function.js';
import { type FakeIo, fakeIo } from './fake-io.js';

/*
 * The commands with the real SDK clients against a local endpoint answering as AWS does: what an
 * operator sees for each way an AWS call can fail.
 */

const NOW = new Date('2026-11-30T08:30:00.000Z');
const CREDENTIALS = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' };
/** Short, as the tests are about a server that never answers. */
const SHORT: ClientTimeouts = { connectionMs: 1_000, requestMs: 300, invokeMs: 300 };
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

let aws: LocalAws;
let fn: FakeExchangeFunction;

beforeEach(async () => {
  fn = new FakeExchangeFunction('https://accounts.zoho.eu', 'zoho-token-keeper-default-refresh', () => NOW);
  fn.connection.client = { id: CLIENT_ID, secret: 'c1e2n3t4s5e6c7r8e9t0abcd' };
  aws = await LocalAws.start();
  answerAs('zoho-token-keeper-default-exchange');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await aws.close();
});

/** The function of that name answers from `fn`; alarms are all OK. */
function answerAs(functionName: string): void {
  aws.handlers = {
    lambdaInvoke: (invoke) =>
      invoke.functionName === functionName
        ? lambdaResult(fn.handle(invoke.event as Record<string, unknown>))
        : undefined,
    cloudWatch: (operation, input) =>
      operation === 'DescribeAlarms'
        ? cloudWatchResult({
            MetricAlarms: ((input.AlarmNames as string[] | undefined) ?? []).map((name) => ({
              AlarmName: name,
              StateValue: 'OK',
            })),
          })
        : undefined,
  } as typeof aws.handlers;
}

function clients(timeouts?: ClientTimeouts) {
  return {
    ...createClients({
      region: 'eu-west-1',
      endpoint: aws.url,
      credentials: CREDENTIALS,
      ...(timeouts ? { timeouts } : {}),
    }),
    now: () => NOW,
  };
}

function failInvoke(answer: Answer): void {
  aws.handlers = { ...aws.handlers, lambdaInvoke: () => answer };
}

function failCloudWatch(answer: Answer): void {
  aws.handlers = { ...aws.handlers, cloudWatch: () => answer };
}

function expectNoSecret(io: FakeIo): void {
  for (const value of SECRET_VALUES) expect(io.text()).not.toContain(value);
}

describe('a connection embedded in a stack of the user', () => {
  it('GIVEN a ZohoConnection in MyAppStack WHEN status is run with its connection name THEN it finds and reports it', async () => {
    vi.stubEnv('CDK_VALIDATION', 'false');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'MyAppStack');
    new ZohoConnection(stack, 'Zoho', { connectionName: 'crm-eu', dataCenter: 'eu' });
    const exchange = Object.values(
      Template.fromStack(stack).findResources('AWS::Lambda::Function', {
        Properties: { Description: 'Exchanges a Zoho grant code for tokens (connection crm-eu)' },
      }),
    )[0] as { Properties: { FunctionName: string } };
    answerAs(exchange.Properties.FunctionName);
    const io = fakeIo();

    const exitCode = await status(['--connection', 'crm-eu'], io, clients());

    expect(exitCode).toBe(EXIT_CODES.userError);
    expect(io.out[0]).toBe('Connection "crm-eu" (region eu-west-1): NOT CONNECTED');
    expect(aws.requests.map((request) => request.path)).toContain(
      '/2015-03-31/functions/zoho-token-keeper-crm-eu-exchange/invocations',
    );
  });
});

describe('Lambda Invoke errors', () => {
  it('GIVEN no function of that name (404 ResourceNotFoundException) WHEN status THEN it says to deploy or pass --region/--connection, exit 1', async () => {
    const io = fakeIo();

    expect(await status(['--connection', 'crm'], io, clients())).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe(
      'Error: No connection "crm" in region eu-west-1: its exchange function zoho-token-keeper-crm-exchange does not exist.',
    );
    const err = io.err.join('\n');
    expect(err).toContain('pass --region REGION and --profile PROFILE');
    expect(err).toContain('pass --connection NAME');
    expect(err).toContain('npx cdk deploy -c dataCenter=');
    expect(io.out).toEqual([]);
  });

  it('GIVEN the operator lacks lambda:InvokeFunction (403 AccessDeniedException) WHEN status THEN it names the permission, exit 1', async () => {
    failInvoke(
      lambdaError(
        403,
        'AccessDeniedException',
        'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: lambda:InvokeFunction on resource: ' +
          'arn:aws:lambda:eu-west-1:123456789012:function:zoho-token-keeper-default-exchange because no ' +
          'identity-based policy allows the lambda:InvokeFunction action',
      ),
    );
    const io = fakeIo();

    expect(await status([], io, clients())).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe(
      'Error: Your AWS identity may not invoke the exchange function zoho-token-keeper-default-exchange ' +
        '(region eu-west-1): it needs lambda:InvokeFunction on zoho-token-keeper-default-exchange.',
    );
    expect(io.err.join('\n')).toContain(
      'AWS said: User: arn:aws:iam::123456789012:user/ops is not authorized',
    );
  });

  it('GIVEN Lambda throttles (429 TooManyRequestsException) WHEN status THEN it says retry, exit 2', async () => {
    failInvoke(lambdaError(429, 'TooManyRequestsException', 'Rate Exceeded.', { 'Retry-After': '1' }));
    const io = fakeIo();

    expect(await status([], io, clients())).toBe(EXIT_CODES.serviceError);
    expect(io.err[0]).toBe(
      'Error: AWS Lambda did not answer when trying to invoke the exchange function zoho-token-keeper-default-exchange ' +
        '(region eu-west-1): TooManyRequestsException.',
    );
    expect(io.err.join('\n')).toContain('Run the command again.');
  });

  it('GIVEN a Lambda internal error (500 ServiceException) WHEN connecting THEN it exits 2 and points to status before a retry', async () => {
    failInvoke(lambdaError(500, 'ServiceException', 'An internal error occurred.'));
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io, clients())).toBe(EXIT_CODES.serviceError);
    expect(io.err[0]).toContain('AWS Lambda did not answer');
    expect(io.err[0]).toContain('ServiceException');
    expectNoSecret(io);
  });

  it('GIVEN expired temporary credentials (403 ExpiredTokenException) WHEN status THEN it says to log in again, exit 1', async () => {
    failInvoke(
      lambdaError(403, 'ExpiredTokenException', 'The security token included in the request is expired'),
    );
    const io = fakeIo();

    expect(await status([], io, clients())).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe('Error: Your AWS session has expired (ExpiredTokenException, region eu-west-1).');
    expect(io.err.join('\n')).toContain('Log in again (aws sso login');
  });

  it('GIVEN an unknown access key (403 UnrecognizedClientException) WHEN status THEN it says to check the key, exit 1', async () => {
    failInvoke(
      lambdaError(
        403,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      ),
    );
    const io = fakeIo();

    expect(await status([], io, clients())).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe(
      'Error: AWS rejected your credentials (UnrecognizedClientException, region eu-west-1).',
    );
  });

  it('GIVEN Lambda never answers WHEN status THEN it ends with the timeout message, exit 2', async () => {
    failInvoke('hang');
    const io = fakeIo();

    expect(await status([], io, clients(SHORT))).toBe(EXIT_CODES.serviceError);
    expect(io.err[0]).toBe(
      'Error: No answer from AWS Lambda in eu-west-1 within 0.3 s when trying to invoke the exchange function ' +
        'zoho-token-keeper-default-exchange.',
    );
    expect(io.err.join('\n')).toContain('Check your network connection or proxy (HTTPS_PROXY), or retry.');
  });

  it('GIVEN Lambda never answers an exchange WHEN connecting THEN it ends with the timeout and points to status', async () => {
    let invokes = 0;
    aws.handlers = {
      ...aws.handlers,
      lambdaInvoke: (invoke) => {
        invokes += 1;
        return invokes === 1 ? lambdaResult(fn.handle(invoke.event as Record<string, unknown>)) : 'hang';
      },
    };
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io, clients(SHORT))).toBe(EXIT_CODES.serviceError);
    const err = io.err.join('\n');
    expect(err).toContain('Error: No answer from AWS Lambda in eu-west-1 within 0.3 s');
    expect(err).toContain('Run npx zoho-token-keeper status to see whether the exchange went through.');
    expectNoSecret(io);
  });

  it('GIVEN nothing listens on the endpoint WHEN status THEN it names the network error, exit 2', async () => {
    const closed = await LocalAws.start();
    const url = closed.url;
    await closed.close();
    const io = fakeIo();

    const deps = createClients({ region: 'eu-west-1', endpoint: url, credentials: CREDENTIALS });
    expect(await status([], io, deps)).toBe(EXIT_CODES.serviceError);
    expect(io.err[0]).toContain('AWS Lambda did not answer');
    expect(io.err[0]).toContain('ECONNREFUSED');
  });
});

describe('CloudWatch DescribeAlarms errors', () => {
  it('GIVEN the operator lacks cloudwatch:DescribeAlarms (403 AccessDenied) WHEN status THEN it names the permission, exit 1', async () => {
    failCloudWatch(
      cloudWatchError(
        403,
        'AccessDenied',
        'Sender',
        'AccessDeniedException',
        'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: cloudwatch:DescribeAlarms',
      ),
    );
    const io = fakeIo();

    expect(await status([], io, clients())).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe(
      'Error: Your AWS identity may not read the alarms of connection "default" (DescribeAlarms) ' +
        '(region eu-west-1): it needs cloudwatch:DescribeAlarms.',
    );
  });

  it('GIVEN CloudWatch throttles (400 Throttling) WHEN status THEN it says retry, exit 2', async () => {
    failCloudWatch(cloudWatchError(400, 'Throttling', 'Sender', 'ThrottlingException', 'Rate exceeded'));
    const io = fakeIo();

    expect(await status([], io, clients())).toBe(EXIT_CODES.serviceError);
    expect(io.err[0]).toContain('Amazon CloudWatch did not answer');
    expect(io.err[0]).toContain('Throttling');
  });

  it('GIVEN a CloudWatch internal error (500 InternalServiceError) WHEN status THEN it says retry, exit 2', async () => {
    failCloudWatch(
      cloudWatchError(500, 'InternalServiceError', 'Receiver', 'InternalServiceFault', 'Internal error'),
    );
    const io = fakeIo();

    expect(await status([], io, clients())).toBe(EXIT_CODES.serviceError);
    expect(io.err[0]).toContain('Amazon CloudWatch did not answer');
  });

  it('GIVEN CloudWatch never answers WHEN status THEN it ends with the timeout message, exit 2', async () => {
    failCloudWatch('hang');
    const io = fakeIo();

    expect(await status([], io, clients(SHORT))).toBe(EXIT_CODES.serviceError);
    expect(io.err[0]).toBe(
      'Error: No answer from Amazon CloudWatch in eu-west-1 within 0.3 s when trying to read the alarms of ' +
        'connection "default" (DescribeAlarms).',
    );
  });
});

describe('credentials', () => {
  it('GIVEN no credentials anywhere (CredentialsProviderError) WHEN status THEN it says to configure them or pass --profile, exit 1', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-aws-config-'));
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    vi.stubEnv('AWS_CONFIG_FILE', join(empty, 'config'));
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(empty, 'credentials'));
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    const io = fakeIo();

    const deps = createClients({ region: 'eu-west-1', endpoint: aws.url });
    expect(await status([], io, deps)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe('Error: No AWS credentials were found (region eu-west-1).');
    expect(io.err.join('\n')).toContain('Configure credentials: pass --profile NAME or set AWS_PROFILE');
    expect(aws.requests).toEqual([]);
  });
});

describe('status --json as a process', () => {
  function runStatus(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--no-warnings', join(PROJECT_ROOT, 'cli/status.ts'), ...args],
        {
          cwd: PROJECT_ROOT,
          env: {
            ...process.env,
            AWS_ENDPOINT_URL: aws.url,
            AWS_REGION: 'eu-west-1',
            AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
          },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('GIVEN --json WHEN run as a process THEN stdout is exactly one JSON document and stderr is empty', async () => {
    const { code, stdout, stderr } = await runStatus(['--json']);

    expect(stderr).toBe('');
    expect(code).toBe(EXIT_CODES.userError);
    const report = JSON.parse(stdout) as { connection: string; connection_state: string };
    expect(report).toMatchObject({ connection: 'default', connection_state: 'not-connected' });
  });

  it('GIVEN --json and a failure WHEN run as a process THEN stdout is empty and the error is on stderr', async () => {
    const { code, stdout, stderr } = await runStatus(['--json', '--connection', 'crm']);

    expect(code).toBe(EXIT_CODES.userError);
    expect(stdout).toBe('');
    expect(stderr).toContain('Error: No connection "crm" in region eu-west-1');
  });
});
