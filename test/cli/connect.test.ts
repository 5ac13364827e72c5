import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/connect.js';
import { createClients } from '../../cli/lib/clients.js';
import { EXIT_CODES } from '../../cli/lib/exit-codes.js';
import { ZohoSandbox } from '../sandbox/zoho-sandbox.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  EXCHANGE_FUNCTION,
  FakeDeployment,
  GRANT_CODE,
  SECRET_VALUES,
} from './fake-deployment.js';
import { type FakeIo, fakeIo } from './fake-io.js';

const NOW = new Date('2026-11-30T08:00:00.000Z');
const CONNECTED = {
  status: 'connected',
  api_domain: 'https://www.zohoapis.eu',
  scope: 'ZohoCRM.modules.ALL',
  expires_at: '2026-11-30T09:00:00.000Z',
};

let deployment: FakeDeployment;

beforeEach(() => {
  deployment = new FakeDeployment();
});

afterEach(() => {
  deployment.restore();
});

function connect(argv: string[], io: FakeIo) {
  return run(argv, io, { now: () => NOW });
}

function expectNoSecret(io: FakeIo, extra: readonly string[] = []): void {
  const text = io.text();
  for (const value of [...SECRET_VALUES, ...extra]) expect(text).not.toContain(value);
}

describe('connect: arguments', () => {
  it('GIVEN no code and no terminal WHEN run THEN it prints the usage, exits 1 and calls nothing', async () => {
    const io = fakeIo();

    const exitCode = await connect([], io);

    expect(exitCode).toBe(EXIT_CODES.userError);
    expect(io.err.join('\n')).toContain('No grant code: pass --code CODE or set ZOHO_GRANT_CODE.');
    expect(io.err.join('\n')).toContain('Usage: npm run connect -- --code <grant code>');
    expect(deployment.cloudFormation.calls()).toHaveLength(0);
  });

  it('GIVEN a mistyped flag carrying the code WHEN run THEN it names the flag, never the code, and exits 1', async () => {
    const io = fakeIo();

    const exitCode = await connect([`--cod=${GRANT_CODE}`], io);

    expect(exitCode).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe('Error: Unknown option --cod.');
    expect(io.err.join('\n')).toContain('Usage:');
    expectNoSecret(io);
  });

  it('GIVEN the code without --code in front WHEN run THEN it refuses without repeating it', async () => {
    const io = fakeIo();

    const exitCode = await connect([GRANT_CODE], io);

    expect(exitCode).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('Unexpected argument');
    expectNoSecret(io);
  });

  it('GIVEN both --connection and --stack WHEN run THEN it exits 1 with the usage', async () => {
    const io = fakeIo();

    const exitCode = await connect(['--code', GRANT_CODE, '--connection', 'a', '--stack', 'b'], io);

    expect(exitCode).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe('Error: Give --connection or --stack, not both.');
  });

  it('GIVEN something that is not a grant code WHEN run THEN it is refused before any AWS call', async () => {
    const io = fakeIo();

    const exitCode = await connect(['--code', CLIENT_SECRET], io);

    expect(exitCode).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('does not look like a Zoho grant code');
    expect(deployment.cloudFormation.calls()).toHaveLength(0);
    expectNoSecret(io);
  });

  it('GIVEN --help WHEN run THEN it prints the usage on stdout and exits 0', async () => {
    const io = fakeIo();

    expect(await connect(['--help'], io)).toBe(EXIT_CODES.ok);
    expect(io.out[0]).toContain('Usage: npm run connect');
  });
});

describe('connect: client and code', () => {
  it('GIVEN a stored client WHEN connecting THEN only the code is sent and the summary shows the connection', async () => {
    deployment.storeClient();
    deployment.exchangeAnswers({ result: CONNECTED });
    const io = fakeIo();

    const exitCode = await connect(['--code', GRANT_CODE], io);

    expect(exitCode).toBe(EXIT_CODES.ok);
    expect(deployment.exchangeEvents).toEqual([{ code: GRANT_CODE }]);
    const invoke = deployment.lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(invoke?.FunctionName).toBe(EXCHANGE_FUNCTION);
    expect(invoke?.InvocationType).toBe('RequestResponse');
    const out = io.out.join('\n');
    expect(out).toContain(
      'Connected connection "default" (stack ZohoTokenKeeper-default, region eu-west-1).',
    );
    expect(out).toMatch(/Data centre: +Europe \(https:\/\/accounts\.zoho\.eu\)/);
    expect(out).toMatch(/API domain: +https:\/\/www\.zohoapis\.eu/);
    expect(out).toMatch(/Scope: +ZohoCRM\.modules\.ALL/);
    expect(out).toMatch(/Token expires: +2026-11-30T09:00:00\.000Z \(in 60 minutes\)/);
    expect(out).toMatch(/Client: +the stored client id and secret/);
    expect(io.prompts).toEqual([]);
    expectNoSecret(io);
  });

  it('GIVEN the code in ZOHO_GRANT_CODE WHEN connecting in a terminal THEN nothing is asked', async () => {
    deployment.storeClient();
    deployment.exchangeAnswers({ result: CONNECTED });
    const io = fakeIo({ isTTY: true, env: { ZOHO_GRANT_CODE: GRANT_CODE } });

    expect(await connect([], io)).toBe(EXIT_CODES.ok);
    expect(io.prompts).toEqual([]);
    expect(deployment.exchangeEvents).toEqual([{ code: GRANT_CODE }]);
  });

  it('GIVEN no stored client and the client in the environment WHEN connecting THEN it is sent with the code', async () => {
    deployment.exchangeAnswers({ result: CONNECTED });
    const io = fakeIo({ env: { ZOHO_CLIENT_ID: CLIENT_ID, ZOHO_CLIENT_SECRET: CLIENT_SECRET } });

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.ok);
    expect(deployment.exchangeEvents).toEqual([
      { code: GRANT_CODE, client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
    ]);
    expect(io.out.join('\n')).toMatch(/Client: +saved from ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET/);
    expectNoSecret(io);
  });

  it('GIVEN a stored client and one in the environment WHEN connecting THEN the environment replaces it', async () => {
    deployment.storeClient();
    deployment.exchangeAnswers({ result: CONNECTED });
    const io = fakeIo({ env: { ZOHO_CLIENT_ID: CLIENT_ID, ZOHO_CLIENT_SECRET: CLIENT_SECRET } });

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.ok);
    expect(deployment.exchangeEvents[0]).toHaveProperty('client_secret', CLIENT_SECRET);
  });

  it('GIVEN no client anywhere and a terminal WHEN connecting THEN it asks for the client, the secret and the code hidden', async () => {
    deployment.exchangeAnswers({ result: CONNECTED });
    const io = fakeIo({ isTTY: true, answers: [CLIENT_ID, CLIENT_SECRET, GRANT_CODE] });

    const exitCode = await connect([], io);

    expect(exitCode).toBe(EXIT_CODES.ok);
    expect(io.prompts).toEqual([
      { question: 'Client ID: ', secret: false },
      { question: 'Client secret (input hidden): ', secret: true },
      { question: 'Grant code (input hidden): ', secret: true },
    ]);
    expect(io.err.join('\n')).toContain('https://api-console.zoho.eu');
    expect(deployment.exchangeEvents).toEqual([
      { code: GRANT_CODE, client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
    ]);
    expectNoSecret(io);
  });

  it('GIVEN no client anywhere and no terminal WHEN connecting THEN it explains the environment variables and exits 1', async () => {
    const io = fakeIo();

    const exitCode = await connect(['--code', GRANT_CODE], io);

    expect(exitCode).toBe(EXIT_CODES.userError);
    const err = io.err.join('\n');
    expect(err).toContain('No Zoho client id and secret are stored in zoho-token-keeper/default/credentials');
    expect(err).toContain('Set ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET');
    expect(deployment.lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('GIVEN only ZOHO_CLIENT_ID WHEN connecting THEN it asks for both and exits 1', async () => {
    const io = fakeIo({ env: { ZOHO_CLIENT_ID: CLIENT_ID } });

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe('Error: Set both ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET, or neither.');
  });

  it('GIVEN Ctrl-C at the code prompt WHEN connecting THEN nothing is invoked and it exits 1', async () => {
    deployment.storeClient();
    const io = fakeIo({ isTTY: true, answers: [] });

    expect(await connect([], io)).toBe(EXIT_CODES.userError);
    expect(io.err.at(-1)).toBe('Cancelled: nothing was changed.');
    expect(deployment.lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });
});

describe('connect: failures of the exchange function', () => {
  const cases = [
    {
      errorType: 'InvalidGrantCodeError',
      exitCode: EXIT_CODES.userError,
      expected: [
        'codes are single-use',
        'https://api-console.zoho.eu',
        'Self Client > Generate Code',
        'npm run connect -- --code <new code>',
      ],
    },
    {
      errorType: 'InvalidClientError',
      exitCode: EXIT_CODES.userError,
      expected: [
        'Self Client > Client Secret',
        'ZOHO_CLIENT_ID=<client id> ZOHO_CLIENT_SECRET=<client secret> npm run connect',
        'This stack was deployed for Europe (https://accounts.zoho.eu)',
        'npx cdk deploy -c dataCenter=<us|eu|in|au|jp|ca|sa|uk|cn|ae> -c connectionName=default',
      ],
    },
    {
      errorType: 'ZohoRateLimitedError',
      exitCode: EXIT_CODES.serviceError,
      expected: ['Access Denied', 'Wait 10 minutes', 'Generate a new grant code'],
    },
    {
      errorType: 'ZohoUnavailableError',
      exitCode: EXIT_CODES.serviceError,
      expected: ['https://status.zoho.com', 'probably expired', 'Generate a new grant code'],
    },
    {
      errorType: 'NotConnectedError',
      exitCode: EXIT_CODES.userError,
      expected: ['no client id and secret', 'ZOHO_CLIENT_ID=<client id>'],
    },
    {
      errorType: 'ConfigError',
      exitCode: EXIT_CODES.userError,
      expected: ['misconfigured', 'npx cdk deploy -c dataCenter=eu -c connectionName=default'],
    },
    {
      errorType: 'InvalidEventError',
      exitCode: EXIT_CODES.userError,
      expected: ['refused the request', 'three dot-separated parts'],
    },
    {
      errorType: 'Sandbox.Timedout',
      exitCode: EXIT_CODES.serviceError,
      expected: [
        'failed unexpectedly (Sandbox.Timedout)',
        'aws logs tail /zoho-token-keeper/default/exchange',
        'npm run status',
      ],
    },
  ] as const;

  for (const { errorType, exitCode, expected } of cases) {
    it(`GIVEN the function fails with ${errorType} WHEN connecting THEN it says what to do and exits ${exitCode}`, async () => {
      deployment.storeClient();
      deployment.exchangeAnswers({ errorType, errorMessage: `The function's own words about ${errorType}.` });
      const io = fakeIo();

      const result = await connect(['--code', GRANT_CODE], io);

      expect(result).toBe(exitCode);
      const err = io.err.join('\n');
      for (const text of expected) expect(err).toContain(text);
      expect(err).toContain(
        `Details from the exchange function: The function's own words about ${errorType}.`,
      );
      expect(io.out.join('\n')).not.toContain('Connected');
      expectNoSecret(io);
    });
  }
});

describe('connect: AWS side', () => {
  it('GIVEN no stack in the region WHEN connecting with --region and --profile THEN it names them and exits 1', async () => {
    deployment.cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id ZohoTokenKeeper-crm does not exist'), {
        name: 'ValidationException',
      }),
    );
    const io = fakeIo();

    const exitCode = await connect(
      ['--code', GRANT_CODE, '--connection', 'crm', '--region', 'us-east-2', '--profile', 'ops'],
      io,
    );

    expect(exitCode).toBe(EXIT_CODES.userError);
    const err = io.err.join('\n');
    expect(err).toContain('No stack named ZohoTokenKeeper-crm in region us-east-2 with profile ops.');
    expect(err).toContain('pass --region REGION and --profile PROFILE');
    expect(err).toContain('-c connectionName=crm');
  });

  it('GIVEN no AWS credentials WHEN connecting THEN it says how to provide them and exits 1', async () => {
    deployment.cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.userError);
    expect(io.err.join('\n')).toContain('No AWS credentials were found');
    expect(io.err.join('\n')).toContain('--profile NAME');
  });

  it('GIVEN the operator may not read the credentials secret WHEN connecting THEN it says which permission is missing', async () => {
    deployment.secrets.mock.on(GetSecretValueCommand).rejects(
      Object.assign(
        new Error(
          'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: secretsmanager:GetSecretValue',
        ),
        {
          name: 'AccessDeniedException',
        },
      ),
    );
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.userError);
    const err = io.err.join('\n');
    expect(err).toContain(
      'Your AWS identity may not read the credentials secret zoho-token-keeper/default/credentials',
    );
    expect(err).toContain('not authorized to perform: secretsmanager:GetSecretValue');
    expect(deployment.lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('GIVEN the Invoke call fails on the network WHEN connecting THEN it exits 2 and suggests status before retrying', async () => {
    deployment.storeClient();
    deployment.lambda
      .on(InvokeCommand)
      .rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.serviceError);
    const err = io.err.join('\n');
    expect(err).toContain('invoke the exchange function');
    expect(err).toContain('npm run status to see whether the exchange went through');
  });

  it('GIVEN --region and --profile WHEN the clients are built THEN every client gets them, and Lambda makes one attempt', async () => {
    const clients = createClients({ region: 'ap-south-1', profile: 'ops' });

    for (const client of [
      clients.cloudFormation,
      clients.lambda,
      clients.secretsManager,
      clients.scheduler,
      clients.cloudWatch,
    ]) {
      expect(await client.config.region()).toBe('ap-south-1');
      expect((client.config as { profile?: string }).profile).toBe('ops');
    }
    expect(await clients.lambda.config.maxAttempts()).toBe(1);
  });
});

describe('connect: against the Zoho sandbox', () => {
  let sandbox: ZohoSandbox;

  beforeEach(async () => {
    sandbox = await ZohoSandbox.start();
    sandbox.registerClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    deployment.restore();
    deployment = new FakeDeployment(sandbox.url);
    deployment.exchangeRunsAgainst(sandbox.url);
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it('GIVEN a fresh grant code WHEN connecting THEN tokens are stored, the schedule is on, and no token is shown', async () => {
    const code = sandbox.issueGrantCode({ clientId: CLIENT_ID, scope: 'ZohoCRM.modules.ALL' });
    const io = fakeIo({ env: { ZOHO_CLIENT_ID: CLIENT_ID, ZOHO_CLIENT_SECRET: CLIENT_SECRET } });

    const exitCode = await run(['--code', code], io);

    expect(exitCode).toBe(EXIT_CODES.ok);
    expect(deployment.scheduleState()).toBe('ENABLED');
    expect(io.out.join('\n')).toMatch(/Refresh schedule: +enabled, every 50 minutes/);
    expect(io.out.join('\n')).toContain(`custom accounts server ${sandbox.url}`);
    const stored = deployment.credentials();
    expectNoSecret(io, [code, String(stored.refresh_token), String(deployment.accessToken().access_token)]);
  });

  it('GIVEN a code used once already WHEN connecting again THEN Zoho rejects it and nothing stored changes', async () => {
    deployment.storeClient();
    const code = sandbox.issueGrantCode({ clientId: CLIENT_ID });
    expect(await run(['--code', code], fakeIo())).toBe(EXIT_CODES.ok);
    const before = deployment.credentials();
    const io = fakeIo();

    const exitCode = await run(['--code', code], io);

    expect(exitCode).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('Zoho rejected the grant code (InvalidGrantCodeError)');
    expect(deployment.credentials()).toEqual(before);
    expectNoSecret(io, [code, String(before.refresh_token)]);
  });
});
