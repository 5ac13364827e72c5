import {
  DecryptionFailure,
  DescribeSecretCommand,
  EncryptionFailure,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AccessTokenDocument,
  ConnectionFields,
  CredentialsDocument,
  StoredCredentials,
} from '../../../functions/lib/documents.js';
import { ConfigError } from '../../../functions/lib/errors.js';
import { TokenStore } from '../../../functions/lib/store/token-store.js';

const CREDENTIALS_ID = 'zoho/crm/credentials';
const ACCESS_TOKEN_ID = 'zoho/crm/access-token';

const CLIENT_ID = '1000.CLIENTIDVALUE';
const CLIENT_SECRET = 'client-secret-value-0123456789';
const ROTATED_CLIENT_SECRET = 'rotated-client-secret-value-9876543210';
const REFRESH_TOKEN = '1000.refresh-token-value.abcdef';
const NEW_REFRESH_TOKEN = '1000.new-refresh-token-value.fedcba';
const ACCESS_TOKEN = '1000.access-token-value.abcdef';
const NEW_ACCESS_TOKEN = '1000.new-access-token-value.fedcba';
const SECRET_VALUES = [
  CLIENT_ID,
  CLIENT_SECRET,
  ROTATED_CLIENT_SECRET,
  REFRESH_TOKEN,
  NEW_REFRESH_TOKEN,
  ACCESS_TOKEN,
  NEW_ACCESS_TOKEN,
];

const CLIENT_ONLY: StoredCredentials = { client_id: CLIENT_ID, client_secret: CLIENT_SECRET };

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

/** Every connection field, in the order the store writes them. */
const ALL_FIELDS: ConnectionFields = {
  connection_state: 'connected',
  state_reason: 'exchanged',
  state_since: '2026-11-30T08:00:00.000Z',
  connected_at: '2026-11-30T08:00:00.000Z',
  last_failure_at: '2026-11-30T08:30:00.000Z',
  last_failure_error: 'ZohoUnavailableError',
  retry_after: '2026-11-30T08:35:00.000Z',
};

const TIME_FIELDS = ['state_since', 'connected_at', 'last_failure_at', 'retry_after'] as const;

// Re-created before each test: the in-memory fake below replaces the stub while it is in use.
let secretsManager = mockClient(SecretsManagerClient);

function newStore(client = new SecretsManagerClient({})): TokenStore {
  return new TokenStore({
    client,
    credentialsSecretId: CREDENTIALS_ID,
    accessTokenSecretId: ACCESS_TOKEN_ID,
  });
}

function storedCredentials(secretString: string | undefined, versionId = 'version-1'): void {
  secretsManager
    .on(GetSecretValueCommand, { SecretId: CREDENTIALS_ID })
    .resolves({ SecretString: secretString, VersionId: versionId });
}

function storedTokenRecord(secretString: string | undefined, versionId = 'version-1'): void {
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

async function failureOf(action: Promise<unknown>, ...alsoSecret: string[]): Promise<Error> {
  try {
    await action;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    for (const value of [...SECRET_VALUES, ...alsoSecret]) {
      expect((error as Error).message).not.toContain(value);
      expect(String(error)).not.toContain(value);
    }
    return error as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
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
  secretsManager = mockClient(SecretsManagerClient);
});

afterEach(() => {
  secretsManager.restore();
});

describe('readCredentials', () => {
  it('returns the current version of the credentials secret', async () => {
    // Prepare
    storedCredentials(JSON.stringify(CONNECTED), 'version-7');

    // Act
    const read = await newStore().readCredentials();

    // Assess
    expect(read).toEqual(CONNECTED);
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: CREDENTIALS_ID,
      VersionStage: 'AWSCURRENT',
    });
  });

  it.each([
    ['an empty string', ''],
    ['an empty object', '{}'],
  ])('returns no credentials when the secret holds %s', async (_, secretString) => {
    storedCredentials(secretString, 'version-1');

    expect(await newStore().readCredentials()).toEqual({});
  });

  it('returns no credentials when the secret exists but has never had a value', async () => {
    // Prepare: a secret created without a value has no AWSCURRENT version
    secretsManager.on(GetSecretValueCommand).rejects(notFound());
    secretsManager
      .on(DescribeSecretCommand)
      .resolves({ ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:x', Name: CREDENTIALS_ID });

    // Act
    const read = await newStore().readCredentials();

    // Assess
    expect(read).toEqual({});
  });

  it('returns the client alone before the first exchange', async () => {
    storedCredentials(JSON.stringify(CLIENT_ONLY));

    expect(await newStore().readCredentials()).toEqual(CLIENT_ONLY);
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

  it('refuses a field that is not a string, naming the field without quoting it', async () => {
    storedCredentials(JSON.stringify({ client_id: CLIENT_ID, client_secret: { value: CLIENT_SECRET } }));

    const error = await failureOf(newStore().readCredentials());

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('client_secret');
  });

  it('refuses a secret stored as binary without quoting it', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretBinary: new TextEncoder().encode(CLIENT_SECRET), VersionId: 'v1' });

    const error = await failureOf(newStore().readCredentials());

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('binary');
    expect(error.message).toContain(CREDENTIALS_ID);
  });
});

describe('readTokenRecord', () => {
  it('returns the token, every connection field and the version id', async () => {
    // Prepare
    storedTokenRecord(JSON.stringify({ ...FRESH_TOKEN, ...ALL_FIELDS }), 'version-3');

    // Act
    const read = await newStore().readTokenRecord();

    // Assess
    expect(read).toEqual({
      value: { token: FRESH_TOKEN, state: 'connected', fields: ALL_FIELDS },
      versionId: 'version-3',
    });
    expect(secretsManager.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: ACCESS_TOKEN_ID,
      VersionStage: 'AWSCURRENT',
    });
  });

  it('takes the stored connection_state over the presence of a token', async () => {
    storedTokenRecord(
      JSON.stringify({
        ...FRESH_TOKEN,
        connection_state: 'needs-reconnect',
        state_reason: 'refresh-token-revoked',
      }),
    );

    const { value } = await newStore().readTokenRecord();

    expect(value.state).toBe('needs-reconnect');
    expect(value.token).toEqual(FRESH_TOKEN);
    expect(value.fields).toEqual({
      connection_state: 'needs-reconnect',
      state_reason: 'refresh-token-revoked',
    });
  });

  it('means connected when a token is stored without a state (written before states were recorded)', async () => {
    storedTokenRecord(JSON.stringify(FRESH_TOKEN));

    const { value } = await newStore().readTokenRecord();

    expect(value).toEqual({ token: FRESH_TOKEN, state: 'connected', fields: {} });
  });

  it.each([
    ['is empty', ''],
    ['holds an empty object', '{}'],
  ])('means not connected, with no token, when the secret %s', async (_, secretString) => {
    storedTokenRecord(secretString);

    const { value } = await newStore().readTokenRecord();

    expect(value).toEqual({ token: undefined, state: 'not-connected', fields: {} });
  });

  it('returns the connection fields when no token is stored', async () => {
    const fields: ConnectionFields = {
      connection_state: 'needs-reconnect',
      state_reason: 'refresh-token-revoked',
      state_since: '2026-11-30T08:40:00.000Z',
    };
    storedTokenRecord(JSON.stringify(fields));

    const { value } = await newStore().readTokenRecord();

    expect(value).toEqual({ token: undefined, state: 'needs-reconnect', fields });
  });

  it('refuses an unknown connection_state without quoting it, and writes nothing', async () => {
    const unknownState = 'half-connected-QX7';
    storedTokenRecord(JSON.stringify({ ...FRESH_TOKEN, connection_state: unknownState }));

    const error = await failureOf(newStore().readTokenRecord(), unknownState);

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('connection_state');
    expect(error.message).toContain(ACCESS_TOKEN_ID);
    expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it.each(TIME_FIELDS)('refuses a %s that is not an ISO-8601 time, without quoting it', async (field) => {
    const notATime = 'sometime-soon-ZK4';
    storedTokenRecord(JSON.stringify({ ...FRESH_TOKEN, [field]: notATime }));

    const error = await failureOf(newStore().readTokenRecord(), notATime);

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(field);
    expect(error.message).toContain('ISO-8601');
  });

  it('refuses a token without its expiry, without quoting the token', async () => {
    const { expires_at: _dropped, ...withoutExpiry } = FRESH_TOKEN;
    storedTokenRecord(JSON.stringify(withoutExpiry));

    const error = await failureOf(newStore().readTokenRecord());

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('expires_at');
    expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('refuses a secret stored as binary without quoting it', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretBinary: new TextEncoder().encode(ACCESS_TOKEN), VersionId: 'v1' });

    const error = await failureOf(newStore().readTokenRecord());

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('binary');
  });
});

describe('read errors an operator can fix', () => {
  const reads = [
    ['credentials', CREDENTIALS_ID, 'CREDENTIALS_SECRET_ID', (store: TokenStore) => store.readCredentials()],
    [
      'access-token',
      ACCESS_TOKEN_ID,
      'ACCESS_TOKEN_SECRET_ID',
      (store: TokenStore) => store.readTokenRecord(),
    ],
  ] as const;

  it.each(reads)(
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

  it.each(reads)(
    'says the role may not read the %s secret, and how to fix it, when access is denied',
    async (_, secretId, _envName, read) => {
      secretsManager.on(GetSecretValueCommand).rejects(awsError('AccessDeniedException'));

      const error = await failureOf(read(newStore()));

      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(secretId);
      expect(error.message).toContain('secretsmanager:GetSecretValue');
      expect(error.message).toContain('grantRead');
      expect(error.message).toMatch(/redeploy/);
    },
  );

  it.each(reads)(
    'points at the KMS key when Secrets Manager cannot decrypt the %s secret',
    async (_, secretId, _envName, read) => {
      secretsManager
        .on(GetSecretValueCommand)
        .rejects(new DecryptionFailure({ $metadata: {}, message: 'KMS access denied' }));

      const error = await failureOf(read(newStore()));

      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain('KMS key');
      expect(error.message).toContain('kms:Decrypt');
      expect(error.message).toContain(secretId);
    },
  );

  it('lets other AWS errors through unchanged', async () => {
    const throttled = awsError('ThrottlingException');
    secretsManager.on(GetSecretValueCommand).rejects(throttled);

    const error = await failureOf(newStore().readTokenRecord());

    expect(error).toBe(throttled);
  });
});

describe('putCredentials', () => {
  it('writes the document as JSON with keys in a stable order, leaving the new version id to the SDK', async () => {
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
    secretsManager.on(PutSecretValueCommand).resolves({ VersionId: 'version-2' });

    // Act
    await newStore().putCredentials(shuffled);

    // Assess: no token of its own, so a version restored by hand can never collide with the next write
    expect(writes()).toEqual([
      { secretId: CREDENTIALS_ID, secretString: JSON.stringify(CONNECTED), token: undefined },
    ]);
  });

  it('stores no scope when Zoho returned none', async () => {
    const { scope: _none, ...withoutScope } = CONNECTED;
    secretsManager.on(PutSecretValueCommand).resolves({ VersionId: 'version-2' });

    await newStore().putCredentials(withoutScope);

    expect(JSON.parse(writes()[0]?.secretString ?? '')).toEqual(withoutScope);
  });

  it.each([
    ['the client alone (before the first exchange, after a disconnect)', CLIENT_ONLY],
    ['nothing at all', {}],
  ])('accepts %s', async (_, document) => {
    secretsManager.on(PutSecretValueCommand).resolves({ VersionId: 'version-2' });

    await newStore().putCredentials(document);

    expect(writes().map((write) => JSON.parse(write.secretString ?? ''))).toEqual([document]);
  });

  it('refuses a document with a refresh token but without the rest, naming the missing fields, and sends nothing', async () => {
    // Prepare
    const incomplete: StoredCredentials = { ...CLIENT_ONLY, refresh_token: REFRESH_TOKEN };

    // Act
    const error = await failureOf(newStore().putCredentials(incomplete));

    // Assess: a bug in the caller, not a configuration error
    expect(error).not.toBeInstanceOf(ConfigError);
    for (const field of ['accounts_url', 'api_domain', 'connected_at']) {
      expect(error.message).toContain(field);
    }
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it.each(['client_id', 'client_secret', 'accounts_url', 'api_domain', 'connected_at'] as const)(
    'refuses a connected document without %s and sends nothing',
    async (field) => {
      const incomplete: StoredCredentials = { ...CONNECTED, [field]: undefined };

      const error = await failureOf(newStore().putCredentials(incomplete));

      expect(error.message).toContain(field);
      expect(secretsManager.calls()).toHaveLength(0);
    },
  );

  it('refuses a connected_at that is not a time, without quoting it', async () => {
    const error = await failureOf(
      newStore().putCredentials({ ...CONNECTED, connected_at: 'yesterday-RT3' }),
      'yesterday-RT3',
    );

    expect(error.message).toContain('connected_at');
    expect(secretsManager.calls()).toHaveLength(0);
  });
});

describe('putTokenRecord', () => {
  it('writes the token and the connection state, keys in a stable order, and returns the new version', async () => {
    // Prepare: the token with its keys in reverse order
    const reversedToken = Object.fromEntries(Object.entries(FRESH_TOKEN).reverse()) as AccessTokenDocument;
    secretsManager.on(PutSecretValueCommand).resolves({ VersionId: 'version-2' });

    // Act
    const versionId = await newStore().putTokenRecord(reversedToken, 'connected');

    // Assess: only what consumers read, nothing of the keeper's bookkeeping
    expect(writes()).toEqual([
      {
        secretId: ACCESS_TOKEN_ID,
        secretString: JSON.stringify({ ...FRESH_TOKEN, connection_state: 'connected' }),
        token: undefined,
      },
    ]);
    expect(versionId).toBe('version-2');
  });

  it('writes the state alone when there is no token', async () => {
    secretsManager.on(PutSecretValueCommand).resolves({ VersionId: 'version-2' });

    await newStore().putTokenRecord(undefined, 'not-connected');

    expect(writes()[0]?.secretString).toBe(JSON.stringify({ connection_state: 'not-connected' }));
  });

  it('never writes a token without an access token', async () => {
    const withoutToken = { ...FRESH_TOKEN, access_token: '' };

    const error = await failureOf(newStore().putTokenRecord(withoutToken, 'connected'));

    expect(error.message).toContain('access_token');
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it('refuses an expiry that is not a time, without quoting it', async () => {
    const error = await failureOf(
      newStore().putTokenRecord({ ...FRESH_TOKEN, expires_at: 'soon-PL2' }, 'connected'),
      'soon-PL2',
    );

    expect(error.message).toContain('expires_at');
    expect(secretsManager.calls()).toHaveLength(0);
  });
});

describe('write errors an operator can fix', () => {
  const puts = [
    ['credentials', CREDENTIALS_ID, (store: TokenStore) => store.putCredentials(CONNECTED)],
    ['access-token', ACCESS_TOKEN_ID, (store: TokenStore) => store.putTokenRecord(FRESH_TOKEN, 'connected')],
  ] as const;

  it.each(puts)(
    'says the role may not write the %s secret when PutSecretValue is denied',
    async (_, id, put) => {
      secretsManager.on(PutSecretValueCommand).rejects(awsError('AccessDeniedException'));

      const error = await failureOf(put(newStore()));

      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(id);
      expect(error.message).toContain('secretsmanager:PutSecretValue');
      expect(error.message).toContain('grantWrite');
    },
  );

  it.each(puts)('points at the KMS key when the %s secret cannot be encrypted', async (_, id, put) => {
    secretsManager
      .on(PutSecretValueCommand)
      .rejects(new EncryptionFailure({ $metadata: {}, message: 'KMS access denied' }));

    const error = await failureOf(put(newStore()));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('KMS key');
    expect(error.message).toContain('kms:GenerateDataKey');
    expect(error.message).toContain(id);
  });

  it('lets other AWS errors through unchanged', async () => {
    const throttled = awsError('ThrottlingException');
    secretsManager.on(PutSecretValueCommand).rejects(throttled);

    const error = await failureOf(newStore().putCredentials(CONNECTED));

    expect(error).toBe(throttled);
  });
});
