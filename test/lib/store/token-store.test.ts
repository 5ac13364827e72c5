import {
  DecryptionFailure,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AccessTokenDocument, CredentialsDocument } from '../../../functions/lib/documents.js';
import { ConfigError } from '../../../functions/lib/errors.js';
import { TokenStore } from '../../../functions/lib/store/token-store.js';

const CREDENTIALS_ID = 'zoho/crm/credentials';
const ACCESS_TOKEN_ID = 'zoho/crm/access-token';

const CLIENT_ID = '1000.CLIENTIDVALUE';
const CLIENT_SECRET = 'client-secret-value-0123456789';
const REFRESH_TOKEN = '1000.refresh-token-value.abcdef';
const ACCESS_TOKEN = '1000.access-token-value.abcdef';
const SECRET_VALUES = [CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN];

const CONNECTED: CredentialsDocument = {
  client_id: CLIENT_ID,
  client_secret: CLIENT_SECRET,
  refresh_token: REFRESH_TOKEN,
  accounts_url: 'https://accounts.zoho.eu',
  api_domain: 'https://www.zohoapis.eu',
  scope: 'ZohoCRM.modules.ALL',
  connected_at: '2026-11-30T08:00:00.000Z',
};

const FRESH_TOKEN: AccessTokenDocument = {
  access_token: ACCESS_TOKEN,
  api_domain: 'https://www.zohoapis.eu',
  token_type: 'Bearer',
  expires_at: '2026-11-30T09:00:00.000Z',
  refreshed_at: '2026-11-30T08:00:00.000Z',
};

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const secretsManager = mockClient(SecretsManagerClient);

function newStore(): TokenStore {
  return new TokenStore({
    client: new SecretsManagerClient({}),
    credentialsSecretId: CREDENTIALS_ID,
    accessTokenSecretId: ACCESS_TOKEN_ID,
  });
}

function storedCredentials(secretString: string | undefined, versionId = 'version-1'): void {
  secretsManager
    .on(GetSecretValueCommand, { SecretId: CREDENTIALS_ID })
    .resolves({ SecretString: secretString, VersionId: versionId });
}

function storedAccessToken(secretString: string | undefined, versionId = 'version-1'): void {
  secretsManager
    .on(GetSecretValueCommand, { SecretId: ACCESS_TOKEN_ID })
    .resolves({ SecretString: secretString, VersionId: versionId });
}

function awsError(name: string): SecretsManagerServiceException {
  return new SecretsManagerServiceException({
    name,
    $fault: 'client',
    $metadata: {},
    message: `${name} from Secrets Manager`,
  });
}

function notFound(): ResourceNotFoundException {
  return new ResourceNotFoundException({
    $metadata: {},
    message: "Secrets Manager can't find the specified secret.",
  });
}

async function failureOf(action: Promise<unknown>): Promise<Error> {
  try {
    await action;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    expectNoSecretValueIn(error as Error);
    return error as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

function expectNoSecretValueIn(error: Error): void {
  for (const value of SECRET_VALUES) {
    expect(error.message).not.toContain(value);
    expect(String(error)).not.toContain(value);
  }
}

function writes(): {
  secretId: string | undefined;
  secretString: string | undefined;
  token: string | undefined;
}[] {
  return secretsManager.commandCalls(PutSecretValueCommand).map((call) => ({
    secretId: call.args[0].input.SecretId,
    secretString: call.args[0].input.SecretString,
    token: call.args[0].input.ClientRequestToken,
  }));
}

beforeEach(() => {
  secretsManager.reset();
});

describe('readCredentials', () => {
  it('reads the current version of the credentials secret', async () => {
    // Prepare
    storedCredentials(JSON.stringify(CONNECTED));

    // Act
    const credentials = await newStore().readCredentials();

    // Assess
    expect(credentials).toEqual(CONNECTED);
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: CREDENTIALS_ID,
      VersionStage: 'AWSCURRENT',
    });
  });

  it.each([
    ['an empty string', ''],
    ['an empty object', '{}'],
  ])('returns no credentials when the secret holds %s', async (_, secretString) => {
    storedCredentials(secretString);

    expect(await newStore().readCredentials()).toEqual({});
  });

  it('returns no credentials when the secret exists but has never had a value', async () => {
    // Prepare: a secret created without a value has no AWSCURRENT version
    secretsManager.on(GetSecretValueCommand).rejects(notFound());
    secretsManager
      .on(DescribeSecretCommand)
      .resolves({ ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:x', Name: CREDENTIALS_ID });

    // Act + Assess
    expect(await newStore().readCredentials()).toEqual({});
  });

  it('returns the client alone before the first exchange', async () => {
    storedCredentials(JSON.stringify({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET }));

    expect(await newStore().readCredentials()).toEqual({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
  });

  it('refuses a malformed secret without quoting it and writes nothing', async () => {
    // Prepare: truncated JSON that contains secret values
    storedCredentials(`{"client_secret": "${CLIENT_SECRET}", "refresh_token": "${REFRESH_TOKEN}"`);

    // Act
    const error = await failureOf(newStore().readCredentials());

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(CREDENTIALS_ID);
    expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('refuses a secret stored as binary', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretBinary: new TextEncoder().encode(CLIENT_SECRET), VersionId: 'v1' });

    const error = await failureOf(newStore().readCredentials());

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('binary');
  });
});

describe('readAccessToken', () => {
  it('returns the stored access token', async () => {
    storedAccessToken(JSON.stringify(FRESH_TOKEN));

    expect(await newStore().readAccessToken()).toEqual(FRESH_TOKEN);
  });

  it.each([
    ['is empty', ''],
    ['holds no access token', '{}'],
  ])('reports "not connected" (undefined) when the secret %s', async (_, secretString) => {
    storedAccessToken(secretString);

    expect(await newStore().readAccessToken()).toBeUndefined();
  });

  it('refuses a token without its expiry, without quoting the token', async () => {
    const { expires_at: _dropped, ...withoutExpiry } = FRESH_TOKEN;
    storedAccessToken(JSON.stringify(withoutExpiry));

    const error = await failureOf(newStore().readAccessToken());

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('expires_at');
    expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });
});

describe('read errors an operator can fix', () => {
  it.each([
    ['credentials', CREDENTIALS_ID, 'CREDENTIALS_SECRET_ID', (store: TokenStore) => store.readCredentials()],
    [
      'access-token',
      ACCESS_TOKEN_ID,
      'ACCESS_TOKEN_SECRET_ID',
      (store: TokenStore) => store.readAccessToken(),
    ],
  ])(
    'names the %s secret and its variable when the secret does not exist',
    async (_, secretId, envName, read) => {
      // Prepare
      secretsManager.on(GetSecretValueCommand).rejects(notFound());
      secretsManager.on(DescribeSecretCommand).rejects(notFound());

      // Act
      const error = await failureOf(read(newStore()));

      // Assess
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(secretId);
      expect(error.message).toContain(envName);
    },
  );

  it("says the function's role lacks access, and how to fix it, when access is denied", async () => {
    secretsManager.on(GetSecretValueCommand).rejects(awsError('AccessDeniedException'));

    const error = await failureOf(newStore().readCredentials());

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(CREDENTIALS_ID);
    expect(error.message).toMatch(/role/);
    expect(error.message).toMatch(/grant/i);
    expect(error.message).toMatch(/redeploy/);
  });

  it('points at the KMS key when Secrets Manager cannot decrypt the secret', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(new DecryptionFailure({ $metadata: {}, message: 'KMS access denied' }));

    const error = await failureOf(newStore().readAccessToken());

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('KMS key');
    expect(error.message).toContain(ACCESS_TOKEN_ID);
  });

  it('lets other AWS errors through unchanged', async () => {
    const throttled = awsError('ThrottlingException');
    secretsManager.on(GetSecretValueCommand).rejects(throttled);

    const error = await failureOf(newStore().readCredentials());

    expect(error).toBe(throttled);
  });
});

describe('saveCredentials', () => {
  it('writes the document as JSON with keys in a stable order', async () => {
    // Prepare: the same document with its keys in another order
    const shuffled: CredentialsDocument = {
      connected_at: CONNECTED.connected_at,
      scope: CONNECTED.scope,
      refresh_token: REFRESH_TOKEN,
      api_domain: CONNECTED.api_domain,
      client_secret: CLIENT_SECRET,
      accounts_url: CONNECTED.accounts_url,
      client_id: CLIENT_ID,
    };
    secretsManager.on(PutSecretValueCommand).resolves({});

    // Act
    await newStore().saveCredentials(shuffled);

    // Assess
    expect(writes()).toEqual([
      {
        secretId: CREDENTIALS_ID,
        secretString: JSON.stringify(CONNECTED),
        token: expect.stringMatching(UUID_SHAPE),
      },
    ]);
  });

  it('stores no scope when Zoho returned none', async () => {
    const { scope: _none, ...withoutScope } = CONNECTED;
    secretsManager.on(PutSecretValueCommand).resolves({});

    await newStore().saveCredentials(withoutScope);

    expect(JSON.parse(writes()[0]?.secretString ?? '')).toEqual(withoutScope);
  });

  it('refuses an incomplete document, naming the missing fields, and sends nothing', async () => {
    // Prepare
    const incomplete = {
      ...CONNECTED,
      refresh_token: '',
      connected_at: undefined,
    } as unknown as CredentialsDocument;

    // Act
    const error = await failureOf(newStore().saveCredentials(incomplete));

    // Assess
    expect(error).not.toBeInstanceOf(ConfigError);
    expect(error.message).toContain('refresh_token');
    expect(error.message).toContain('connected_at');
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it.each([
    'client_id',
    'client_secret',
    'refresh_token',
    'accounts_url',
    'api_domain',
    'connected_at',
  ] as const)('refuses a document without %s', async (field) => {
    const incomplete = { ...CONNECTED, [field]: undefined } as unknown as CredentialsDocument;

    const error = await failureOf(newStore().saveCredentials(incomplete));

    expect(error.message).toContain(field);
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it('says the role may not write when PutSecretValue is denied', async () => {
    secretsManager.on(PutSecretValueCommand).rejects(awsError('AccessDeniedException'));

    const error = await failureOf(newStore().saveCredentials(CONNECTED));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('secretsmanager:PutSecretValue');
  });
});

describe('idempotency token of a write', () => {
  it('is the same for a retried write of the same document, so no second version is created', async () => {
    secretsManager.on(PutSecretValueCommand).resolves({});

    await newStore().saveAccessToken(FRESH_TOKEN);
    await newStore().saveAccessToken({ ...FRESH_TOKEN });

    const [first, retry] = writes();
    expect(first?.token).toMatch(UUID_SHAPE);
    expect(retry?.token).toBe(first?.token);
  });

  it('differs for a different document', async () => {
    secretsManager.on(PutSecretValueCommand).resolves({});

    await newStore().saveAccessToken(FRESH_TOKEN);
    await newStore().saveAccessToken({ ...FRESH_TOKEN, refreshed_at: '2026-11-30T08:50:00.000Z' });

    const [first, second] = writes();
    expect(second?.token).toMatch(UUID_SHAPE);
    expect(second?.token).not.toBe(first?.token);
  });
});

describe('saveAccessToken', () => {
  it('writes the access-token document to the access-token secret only', async () => {
    secretsManager.on(PutSecretValueCommand).resolves({});

    await newStore().saveAccessToken(FRESH_TOKEN);

    expect(writes()).toEqual([
      { secretId: ACCESS_TOKEN_ID, secretString: JSON.stringify(FRESH_TOKEN), token: expect.any(String) },
    ]);
  });

  it('never writes a document without an access token', async () => {
    const withoutToken = { ...FRESH_TOKEN, access_token: '' };

    const error = await failureOf(newStore().saveAccessToken(withoutToken));

    expect(error.message).toContain('access_token');
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it('refuses an expiry that is not a time', async () => {
    const error = await failureOf(newStore().saveAccessToken({ ...FRESH_TOKEN, expires_at: 'soon' }));

    expect(error.message).toContain('expires_at');
    expect(error.message).not.toContain('soon');
    expect(secretsManager.calls()).toHaveLength(0);
  });
});

describe('clearTokens', () => {
  it('keeps the client id and secret, drops the refresh token and empties the access-token secret', async () => {
    // Prepare
    storedCredentials(JSON.stringify(CONNECTED));
    storedAccessToken(JSON.stringify(FRESH_TOKEN));
    secretsManager.on(PutSecretValueCommand).resolves({});

    // Act
    await newStore().clearTokens();

    // Assess
    const [credentials, accessToken] = writes();
    expect(credentials?.secretId).toBe(CREDENTIALS_ID);
    expect(JSON.parse(credentials?.secretString ?? '')).toEqual({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      accounts_url: CONNECTED.accounts_url,
    });
    expect(credentials?.secretString).not.toContain(REFRESH_TOKEN);
    expect(accessToken).toEqual({
      secretId: ACCESS_TOKEN_ID,
      secretString: '{}',
      token: expect.stringMatching(UUID_SHAPE),
    });
  });

  it('disconnects again after a reconnect, although the cleared documents are the same as last time', async () => {
    // Prepare: the same content replaces two different current versions
    secretsManager.on(PutSecretValueCommand).resolves({});
    storedCredentials(JSON.stringify(CONNECTED), 'connected-first');
    storedAccessToken(JSON.stringify(FRESH_TOKEN), 'token-first');
    await newStore().clearTokens();
    storedCredentials(
      JSON.stringify({ ...CONNECTED, connected_at: '2026-12-01T08:00:00.000Z' }),
      'connected-again',
    );
    storedAccessToken(JSON.stringify(FRESH_TOKEN), 'token-again');

    // Act
    await newStore().clearTokens();

    // Assess: a reused token would be ignored by Secrets Manager and leave the tokens current
    const [firstCredentials, firstAccess, secondCredentials, secondAccess] = writes();
    expect(secondCredentials?.secretString).toBe(firstCredentials?.secretString);
    expect(secondCredentials?.token).not.toBe(firstCredentials?.token);
    expect(secondAccess?.token).not.toBe(firstAccess?.token);
  });

  it('writes nothing when already disconnected', async () => {
    storedCredentials(
      JSON.stringify({
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        accounts_url: CONNECTED.accounts_url,
      }),
    );
    storedAccessToken('{}');

    await newStore().clearTokens();

    expect(writes()).toHaveLength(0);
  });

  it('changes nothing when the credentials secret is malformed', async () => {
    storedCredentials('not json');
    storedAccessToken(JSON.stringify(FRESH_TOKEN));

    const error = await failureOf(newStore().clearTokens());

    expect(error).toBeInstanceOf(ConfigError);
    expect(writes()).toHaveLength(0);
  });

  it('changes nothing when the access-token secret cannot be read', async () => {
    storedCredentials(JSON.stringify(CONNECTED));
    secretsManager
      .on(GetSecretValueCommand, { SecretId: ACCESS_TOKEN_ID })
      .rejects(awsError('AccessDeniedException'));

    const error = await failureOf(newStore().clearTokens());

    expect(error).toBeInstanceOf(ConfigError);
    expect(writes()).toHaveLength(0);
  });
});

describe('snapshot and restore', () => {
  it('puts back exactly what both secrets held, writing only the secret that changed', async () => {
    // Prepare: a snapshot of a connected store, then the credentials were replaced
    const before = JSON.stringify(CONNECTED);
    storedCredentials(before, 'version-1');
    storedAccessToken(JSON.stringify(FRESH_TOKEN));
    secretsManager.on(PutSecretValueCommand).resolves({});
    const store = newStore();
    const snapshot = await store.snapshot();
    storedCredentials(JSON.stringify({ ...CONNECTED, refresh_token: '1000.newer.token' }), 'version-2');

    // Act
    await store.restore(snapshot);

    // Assess
    expect(snapshot.credentials).toEqual(CONNECTED);
    expect(writes()).toEqual([
      { secretId: CREDENTIALS_ID, secretString: before, token: expect.stringMatching(UUID_SHAPE) },
    ]);
  });

  it('restores a secret that had no value as {}', async () => {
    storedCredentials(undefined);
    storedAccessToken(undefined);
    secretsManager.on(PutSecretValueCommand).resolves({});
    const store = newStore();
    const snapshot = await store.snapshot();
    storedCredentials(JSON.stringify(CONNECTED), 'version-2');

    await store.restore(snapshot);

    expect(writes().map((write) => [write.secretId, write.secretString])).toEqual([
      [CREDENTIALS_ID, '{}'],
      [ACCESS_TOKEN_ID, '{}'],
    ]);
  });

  it('refuses a malformed credentials secret when taking the snapshot', async () => {
    storedCredentials('not json');
    storedAccessToken('{}');

    const error = await failureOf(newStore().snapshot());

    expect(error).toBeInstanceOf(ConfigError);
  });
});
