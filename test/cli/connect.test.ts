import { InvokeCommand } from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/connect.js';
import { createClients } from '../../cli/lib/clients.js';
import { EXIT_CODES } from '../../cli/lib/exit-codes.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  EXCHANGE_FUNCTION,
  FakeDeployment,
  GRANT_CODE,
  NEW_REFRESH_TOKEN,
  SECRET_VALUES,
} from './fake-deployment.js';
import { type FakeIo, fakeIo } from './fake-io.js';

const NOW = new Date('2026-11-30T08:00:00.000Z');

let deployment: FakeDeployment;

beforeEach(() => {
  deployment = new FakeDeployment(() => NOW);
});

afterEach(() => {
  deployment.restore();
});

function connect(argv: string[], io: FakeIo) {
  return run(argv, io, { now: () => NOW });
}

/** Every connect run: no secret shown and no secret read (the commands have no Secrets Manager). */
function expectNoSecret(io: FakeIo): void {
  const text = io.text();
  for (const value of SECRET_VALUES) expect(text).not.toContain(value);
  expect(deployment.forbiddenCalls()).toBe(0);
}

describe('connect: arguments', () => {
  it('GIVEN no code and no terminal WHEN run THEN it prints the usage, exits 1 and calls nothing', async () => {
    const io = fakeIo();

    const exitCode = await connect([], io);

    expect(exitCode).toBe(EXIT_CODES.userError);
    expect(io.err.join('\n')).toContain('No grant code: pass --code CODE or set ZOHO_GRANT_CODE.');
    expect(io.err.join('\n')).toContain('Usage: npx zoho-token-keeper connect --code <grant code>');
    expect(deployment.lambda.calls()).toHaveLength(0);
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

    expect(await connect([GRANT_CODE], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('Unexpected argument');
    expectNoSecret(io);
  });

  it('GIVEN the retired --stack option WHEN run THEN it says to pass --connection and exits 1 with the usage', async () => {
    const io = fakeIo();

    const exitCode = await connect(['--code', GRANT_CODE, '--stack', 'MyAppStack'], io);

    expect(exitCode).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe(
      'Error: The --stack option is gone: the commands find a connection by its name, in whatever stack it is ' +
        'deployed. Pass --connection NAME (the connectionName it was deployed with).',
    );
    expect(io.err.join('\n')).toContain('Usage: npx zoho-token-keeper connect');
    expect(deployment.lambda.calls()).toHaveLength(0);
  });

  it('GIVEN something that is not a grant code WHEN run THEN it is refused before any AWS call', async () => {
    const io = fakeIo();

    expect(await connect(['--code', CLIENT_SECRET], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('does not look like a Zoho grant code');
    expect(deployment.lambda.calls()).toHaveLength(0);
    expectNoSecret(io);
  });

  it('GIVEN --help WHEN run THEN it prints the usage on stdout and exits 0', async () => {
    const io = fakeIo();

    expect(await connect(['--help'], io)).toBe(EXIT_CODES.ok);
    expect(io.out[0]).toContain('Usage: npx zoho-token-keeper connect');
  });
});

describe('connect: client and code', () => {
  it('GIVEN a stored client WHEN connecting THEN it asks for the status, sends only the code and shows the connection', async () => {
    deployment.storeClient();
    const io = fakeIo();

    const exitCode = await connect(['--code', GRANT_CODE], io);

    expect(exitCode).toBe(EXIT_CODES.ok);
    expect(deployment.events).toEqual([{ status: true }, { code: GRANT_CODE }]);
    for (const call of deployment.lambda.commandCalls(InvokeCommand)) {
      expect(call.args[0].input).toMatchObject({
        FunctionName: EXCHANGE_FUNCTION,
        InvocationType: 'RequestResponse',
      });
    }
    expect(io.out).toEqual([
      `Exchanging the grant code through ${EXCHANGE_FUNCTION} ...`,
      'Connected connection "default" (region eu-west-1).',
      '  Data centre:      Europe (https://accounts.zoho.eu)',
      '  API domain:       https://www.zohoapis.eu',
      '  Scope:            ZohoCRM.modules.ALL',
      '  Token expires:    2026-11-30T09:00:00.000Z (in 60 minutes)',
      `  Client:           the stored client id and secret (${CLIENT_ID})`,
      '  Refresh schedule: ENABLED, rate(50 minutes)',
      'Consumers granted read on zoho-token-keeper/default/access-token can now use the access token.',
      'Check on it at any time: npx zoho-token-keeper status',
    ]);
    expect(io.prompts).toEqual([]);
    expectNoSecret(io);
  });

  it('GIVEN the code in ZOHO_GRANT_CODE WHEN connecting in a terminal THEN nothing is asked', async () => {
    deployment.storeClient();
    const io = fakeIo({ isTTY: true, env: { ZOHO_GRANT_CODE: GRANT_CODE } });

    expect(await connect([], io)).toBe(EXIT_CODES.ok);
    expect(io.prompts).toEqual([]);
    expect(deployment.eventsOf('exchange')).toEqual([{ code: GRANT_CODE }]);
  });

  it('GIVEN no stored client and the client in the environment WHEN connecting THEN it is sent with the code', async () => {
    const io = fakeIo({ env: { ZOHO_CLIENT_ID: CLIENT_ID, ZOHO_CLIENT_SECRET: CLIENT_SECRET } });

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.ok);
    expect(deployment.eventsOf('exchange')).toEqual([
      { code: GRANT_CODE, client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
    ]);
    expect(io.out.join('\n')).toMatch(/Client: +saved from ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET/);
    expectNoSecret(io);
  });

  it('GIVEN a stored client and one in the environment WHEN connecting THEN the environment replaces it', async () => {
    deployment.storeClient();
    const io = fakeIo({ env: { ZOHO_CLIENT_ID: CLIENT_ID, ZOHO_CLIENT_SECRET: CLIENT_SECRET } });

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.ok);
    expect(deployment.eventsOf('exchange')[0]).toHaveProperty('client_secret', CLIENT_SECRET);
  });

  it('GIVEN no client anywhere and a terminal WHEN connecting THEN it asks for the client, the secret and the code hidden', async () => {
    const io = fakeIo({ isTTY: true, answers: [CLIENT_ID, CLIENT_SECRET, GRANT_CODE] });

    expect(await connect([], io)).toBe(EXIT_CODES.ok);
    expect(io.prompts).toEqual([
      { question: 'Client ID: ', secret: false },
      { question: 'Client secret (input hidden): ', secret: true },
      { question: 'Grant code (input hidden): ', secret: true },
    ]);
    expect(io.err.join('\n')).toContain('https://api-console.zoho.eu');
    expect(deployment.eventsOf('exchange')).toEqual([
      { code: GRANT_CODE, client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
    ]);
    expect(io.out.join('\n')).toMatch(/Client: +saved from your answers/);
    expectNoSecret(io);
  });

  it('GIVEN no client anywhere and no terminal WHEN connecting THEN it explains the environment variables and exits 1', async () => {
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.userError);
    const err = io.err.join('\n');
    expect(err).toContain('No Zoho client id and secret are stored in zoho-token-keeper/default/credentials');
    expect(err).toContain('Set ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET');
    expect(deployment.eventsOf('exchange')).toEqual([]);
  });

  it('GIVEN only ZOHO_CLIENT_ID WHEN connecting THEN it asks for both and exits 1', async () => {
    const io = fakeIo({ env: { ZOHO_CLIENT_ID: CLIENT_ID } });

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe('Error: Set both ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET, or neither.');
  });

  it('GIVEN Ctrl-C at the code prompt WHEN connecting THEN no code is sent and it exits 1', async () => {
    deployment.storeClient();
    const io = fakeIo({ isTTY: true, answers: [] });

    expect(await connect([], io)).toBe(EXIT_CODES.userError);
    expect(io.err.at(-1)).toBe('Cancelled: nothing was changed.');
    expect(deployment.eventsOf('exchange')).toEqual([]);
  });
});

describe('connect: reconnecting', () => {
  const at = new Date('2026-11-29T08:00:00.000Z');

  it('GIVEN a working connection WHEN connecting again THEN it says the old refresh token is replaced and was revoked', async () => {
    deployment.storeConnection(at);
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.ok);
    expect(io.out[0]).toBe(
      'Already connected since 2026-11-29T08:00:00.000Z: the new grant code replaces the stored refresh token, ' +
        'which the exchange function then revokes.',
    );
    expect(io.out.join('\n')).toMatch(/Old refresh token: +revoked at Zoho/);
    expect(deployment.exchangeFunction.connection.refreshToken).toBe(NEW_REFRESH_TOKEN);
    expectNoSecret(io);
  });

  it('GIVEN Zoho revoked the refresh token WHEN reconnecting THEN it says so and that it was already invalid', async () => {
    deployment.storeConnection(at);
    deployment.markNeedsReconnect(new Date('2026-11-30T07:00:00.000Z'));
    deployment.exchangeFunction.zoho = 'forgot-refresh-token';
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.ok);
    expect(io.out[0]).toBe(
      'Zoho no longer accepts the stored refresh token (refresh-token-revoked) since 2026-11-30T07:00:00.000Z: ' +
        'the new grant code replaces it.',
    );
    expect(io.out.join('\n')).toMatch(
      /Old refresh token: +already invalid at Zoho \(revoked or deleted before\)/,
    );
  });

  it('GIVEN Zoho cannot be reached for the revocation WHEN reconnecting THEN it is connected and says the old token lives on', async () => {
    deployment.storeConnection(at);
    deployment.exchangeFunction.zoho = 'revoke-unreachable';
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.ok);
    const out = io.out.join('\n');
    expect(out).toMatch(/Old refresh token: +NOT revoked: Zoho could not be reached/);
    expect(out).toContain('Zoho still counts it among the 20 a client may hold');
    expectNoSecret(io);
  });

  it('GIVEN a schedule switched off by hand WHEN connecting THEN it connects and says to enable the schedule', async () => {
    deployment.storeClient();
    deployment.exchangeFunction.connection.scheduleState = 'DISABLED';
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.ok);
    const out = io.out.join('\n');
    expect(out).toMatch(/Refresh schedule: +DISABLED, rate\(50 minutes\)/);
    expect(out).toContain(
      'is DISABLED, so no scheduled refresh runs: enable it in the EventBridge Scheduler console',
    );
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
        'npx zoho-token-keeper connect --code <new code>',
      ],
    },
    {
      errorType: 'InvalidClientError',
      exitCode: EXIT_CODES.userError,
      expected: [
        'Self Client > Client Secret',
        'ZOHO_CLIENT_ID=<client id> ZOHO_CLIENT_SECRET=<client secret> npx zoho-token-keeper connect',
        'This connection was deployed for Europe (https://accounts.zoho.eu)',
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
        'npx zoho-token-keeper status',
      ],
    },
  ] as const;

  for (const { errorType, exitCode, expected } of cases) {
    it(`GIVEN the function fails with ${errorType} WHEN connecting THEN it says what to do and exits ${exitCode}`, async () => {
      deployment.storeClient();
      deployment.failWith('exchange', errorType);
      const io = fakeIo();

      expect(await connect(['--code', GRANT_CODE], io)).toBe(exitCode);
      const err = io.err.join('\n');
      for (const text of expected) expect(err).toContain(text);
      expect(err).toContain(
        `Details from the exchange function: The function's own words about ${errorType}.`,
      );
      expect(io.out.join('\n')).not.toContain('Connected');
      expectNoSecret(io);
    });
  }

  it('GIVEN Zoho rejects the code for real WHEN connecting THEN the stored connection is left as it was', async () => {
    deployment.storeConnection(new Date('2026-11-29T08:00:00.000Z'));
    deployment.exchangeFunction.zoho = 'InvalidGrantCodeError';
    const before = { ...deployment.exchangeFunction.connection };
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('Zoho rejected the grant code (InvalidGrantCodeError)');
    expect(deployment.exchangeFunction.connection).toEqual(before);
  });

  it('GIVEN a function deployed before the status event WHEN connecting THEN it says to deploy and sends no code', async () => {
    deployment.failWith('status', 'InvalidEventError', 'The exchange event has unknown field(s) status.');
    const io = fakeIo({ isTTY: true });

    expect(await connect([], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('does not understand {"status": true}');
    expect(io.err.join('\n')).toContain('Deploy this version: npx cdk deploy');
    expect(io.prompts).toEqual([]);
    expect(deployment.eventsOf('exchange')).toEqual([]);
  });
});

describe('connect: AWS side', () => {
  it('GIVEN no such connection in the region WHEN connecting with --region and --profile THEN it names them and exits 1', async () => {
    const io = fakeIo();

    const exitCode = await connect(
      ['--code', GRANT_CODE, '--connection', 'crm', '--region', 'us-east-2', '--profile', 'ops'],
      io,
    );

    expect(exitCode).toBe(EXIT_CODES.userError);
    const err = io.err.join('\n');
    expect(io.err[0]).toBe(
      'Error: No connection "crm" in region us-east-2 with profile ops: its exchange function ' +
        'zoho-token-keeper-crm-exchange does not exist.',
    );
    expect(err).toContain('pass --region REGION and --profile PROFILE');
    expect(err).toContain('pass --connection NAME');
    expect(err).toContain('-c connectionName=crm');
  });

  it('GIVEN no AWS credentials WHEN connecting THEN it says how to provide them and exits 1', async () => {
    deployment.lambda.on(InvokeCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.userError);
    expect(io.err.join('\n')).toContain('No AWS credentials were found');
    expect(io.err.join('\n')).toContain('--profile NAME');
  });

  it('GIVEN the exchange Invoke fails on the network WHEN connecting THEN it exits 2 and suggests status before retrying', async () => {
    deployment.storeClient();
    let calls = 0;
    deployment.lambda.on(InvokeCommand).callsFake(() => {
      calls += 1;
      if (calls === 1) {
        const payload = { connection_state: 'not-connected', client_stored: true, schedule_name: 's' };
        return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(payload)) };
      }
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    });
    const io = fakeIo();

    expect(await connect(['--code', GRANT_CODE], io)).toBe(EXIT_CODES.serviceError);
    const err = io.err.join('\n');
    expect(err).toContain('invoke the exchange function');
    expect(err).toContain('npx zoho-token-keeper status to see whether the exchange went through');
  });

  it('GIVEN --region and --profile WHEN the clients are built THEN every client gets them, Lambda makes one attempt, and there is no secret or schedule client', async () => {
    const clients = createClients({ region: 'ap-south-1', profile: 'ops' });

    for (const client of [clients.lambda, clients.cloudWatch]) {
      expect(await client.config.region()).toBe('ap-south-1');
      expect((client.config as { profile?: string }).profile).toBe('ops');
    }
    expect(await clients.lambda.config.maxAttempts()).toBe(1);
    expect(Object.keys(clients).sort()).toEqual(['cloudWatch', 'lambda', 'now', 'timeouts']);
  });
});
