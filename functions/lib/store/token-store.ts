import { createHash } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  type AccessTokenDocument,
  type CredentialsDocument,
  parseAccessToken,
  parseCredentials,
  type StoredCredentials,
} from '../documents.js';
import { ENV, type EnvName } from '../environment.js';
import { ConfigError, hasErrorName } from '../errors.js';

/** Both secrets as they were, to put back if a change of several steps fails half-way. */
export interface StoreSnapshot {
  readonly credentials: StoredCredentials;
  readonly raw: { readonly credentials: string | undefined; readonly accessToken: string | undefined };
}

export interface TokenStoreOptions {
  client: SecretsManagerClient;
  credentialsSecretId: string;
  accessTokenSecretId: string;
}

interface SecretRef {
  readonly id: string;
  /** How messages call it: "credentials" or "access-token". */
  readonly kind: string;
  /** The variable an operator checks when the id is wrong. */
  readonly envName: EnvName;
}

interface CurrentValue {
  readonly secretString: string | undefined;
  readonly versionId: string | undefined;
}

type Access = 'read' | 'write';

// Key order of the stored JSON. A Record over every key makes the compiler flag a document field
// that is missing here, so a new field can never be silently dropped on write.
const CREDENTIALS_KEY_ORDER = keysInOrder<CredentialsDocument>({
  client_id: true,
  client_secret: true,
  refresh_token: true,
  accounts_url: true,
  api_domain: true,
  scope: true,
  connected_at: true,
});

const ACCESS_TOKEN_KEY_ORDER = keysInOrder<AccessTokenDocument>({
  access_token: true,
  api_domain: true,
  token_type: true,
  expires_at: true,
  refreshed_at: true,
});

const REQUIRED_CREDENTIALS: readonly (keyof CredentialsDocument)[] = [
  'client_id',
  'client_secret',
  'refresh_token',
  'accounts_url',
  'api_domain',
  'connected_at',
];

/** What a disconnect keeps: enough to exchange a new grant code without re-entering the client. */
const KEPT_ON_DISCONNECT: readonly (keyof CredentialsDocument)[] = [
  'client_id',
  'client_secret',
  'accounts_url',
];

/**
 * Reads and writes the two secrets of a connection. Reads parse through documents.ts, so a
 * malformed secret is refused before anything is written; writes accept complete documents only,
 * so a reader never finds a half-written connection.
 */
export class TokenStore {
  readonly #client: SecretsManagerClient;
  readonly #credentials: SecretRef;
  readonly #accessToken: SecretRef;

  constructor(options: TokenStoreOptions) {
    this.#client = options.client;
    this.#credentials = {
      id: options.credentialsSecretId,
      kind: 'credentials',
      envName: ENV.credentialsSecretId,
    };
    this.#accessToken = {
      id: options.accessTokenSecretId,
      kind: 'access-token',
      envName: ENV.accessTokenSecretId,
    };
  }

  async readCredentials(): Promise<StoredCredentials> {
    const current = await this.#readCurrent(this.#credentials);
    return parseCredentials(current.secretString, this.#credentials.id);
  }

  /** Undefined when no access token is stored: not connected. */
  async readAccessToken(): Promise<AccessTokenDocument | undefined> {
    const current = await this.#readCurrent(this.#accessToken);
    return parseAccessToken(current.secretString, this.#accessToken.id);
  }

  async saveCredentials(document: CredentialsDocument): Promise<void> {
    assertComplete(document, REQUIRED_CREDENTIALS, CREDENTIALS_KEY_ORDER, ['connected_at'], 'credentials');
    const secretString = serialize(document, CREDENTIALS_KEY_ORDER);
    // Every saved document carries its own time (connected_at, refreshed_at), so a token derived
    // from the content alone only ever repeats for a retry of the same write.
    await this.#put(this.#credentials, secretString, requestToken(this.#credentials.id, secretString));
  }

  async saveAccessToken(document: AccessTokenDocument): Promise<void> {
    assertComplete(
      document,
      ACCESS_TOKEN_KEY_ORDER,
      ACCESS_TOKEN_KEY_ORDER,
      ['expires_at', 'refreshed_at'],
      'access-token',
    );
    const secretString = serialize(document, ACCESS_TOKEN_KEY_ORDER);
    await this.#put(this.#accessToken, secretString, requestToken(this.#accessToken.id, secretString));
  }

  /**
   * Reads both secrets (refusing a malformed credentials document) so that `restore` can put them
   * back exactly as they were.
   */
  async snapshot(): Promise<StoreSnapshot> {
    const credentials = await this.#readCurrent(this.#credentials);
    const parsed = parseCredentials(credentials.secretString, this.#credentials.id);
    const accessToken = await this.#readCurrent(this.#accessToken);
    return {
      credentials: parsed,
      raw: { credentials: credentials.secretString, accessToken: accessToken.secretString },
    };
  }

  /** Puts both secrets back as a snapshot found them; a secret that had no value gets `{}`. */
  async restore(snapshot: StoreSnapshot): Promise<void> {
    await this.#replace(
      this.#credentials,
      snapshot.raw.credentials ?? '{}',
      await this.#readCurrent(this.#credentials),
    );
    await this.#replace(
      this.#accessToken,
      snapshot.raw.accessToken ?? '{}',
      await this.#readCurrent(this.#accessToken),
    );
  }

  /**
   * Disconnects: the credentials keep only the client (and its accounts server), the access-token
   * secret becomes `{}`. Both secrets are read before either is written, so a malformed credentials
   * secret or a missing permission changes nothing.
   */
  async clearTokens(): Promise<void> {
    const currentCredentials = await this.#readCurrent(this.#credentials);
    const credentials = parseCredentials(currentCredentials.secretString, this.#credentials.id);
    const currentAccessToken = await this.#readCurrent(this.#accessToken);

    const kept: StoredCredentials = {};
    for (const key of KEPT_ON_DISCONNECT) kept[key] = credentials[key];
    await this.#replace(this.#credentials, serialize(kept, CREDENTIALS_KEY_ORDER), currentCredentials);
    await this.#replace(this.#accessToken, '{}', currentAccessToken);
  }

  /**
   * Writes a value that carries no time of its own. The same cleared (or restored) document may be
   * written again later, and Secrets Manager ignores a token it has seen with the same value (leaving
   * the newer version current), so the token also names the version being replaced.
   */
  async #replace(secret: SecretRef, secretString: string, current: CurrentValue): Promise<void> {
    if (current.secretString === secretString) return;
    const token = requestToken(secret.id, secretString, current.versionId ?? 'no-current-version');
    await this.#put(secret, secretString, token);
  }

  async #put(secret: SecretRef, secretString: string, clientRequestToken: string): Promise<void> {
    try {
      await this.#client.send(
        new PutSecretValueCommand({
          SecretId: secret.id,
          SecretString: secretString,
          ClientRequestToken: clientRequestToken,
        }),
      );
    } catch (error) {
      throw toConfigError(error, secret, 'write');
    }
  }

  async #readCurrent(secret: SecretRef): Promise<CurrentValue> {
    let output: GetSecretValueCommandOutput;
    try {
      output = await this.#client.send(
        new GetSecretValueCommand({ SecretId: secret.id, VersionStage: 'AWSCURRENT' }),
      );
    } catch (error) {
      // A secret created without a value has no AWSCURRENT version: that is "nothing stored yet",
      // not a wrong secret id.
      if (hasErrorName(error, 'ResourceNotFoundException') && (await this.#exists(secret))) {
        return { secretString: undefined, versionId: undefined };
      }
      throw toConfigError(error, secret, 'read');
    }
    if (output.SecretString === undefined && output.SecretBinary !== undefined) {
      throw new ConfigError(
        `The ${secret.kind} secret ${secret.id} holds a binary value. It was left untouched: replace it in the ` +
          'Secrets Manager console with a JSON object stored as a secret string (see the README, "Secret documents").',
      );
    }
    return { secretString: output.SecretString, versionId: output.VersionId };
  }

  async #exists(secret: SecretRef): Promise<boolean> {
    try {
      const description = await this.#client.send(new DescribeSecretCommand({ SecretId: secret.id }));
      return Boolean(description.ARN ?? description.Name);
    } catch {
      return false;
    }
  }
}

/** Maps the AWS errors an operator can fix to a ConfigError that says how; others pass unchanged. */
function toConfigError(error: unknown, secret: SecretRef, access: Access): unknown {
  const options = { cause: error };
  if (hasErrorName(error, 'ResourceNotFoundException')) {
    return new ConfigError(
      `The ${secret.kind} secret ${secret.id} was not found. Check ${secret.envName} on the function: it must be ` +
        `the name or ARN of the ${secret.kind} secret in this account and region (the CDK construct sets it).`,
      options,
    );
  }
  if (hasErrorName(error, 'AccessDeniedException')) {
    const action = access === 'read' ? 'secretsmanager:GetSecretValue' : 'secretsmanager:PutSecretValue';
    const grant = access === 'read' ? 'grantRead' : 'grantWrite';
    return new ConfigError(
      `The function's role may not ${access} the ${secret.kind} secret ${secret.id} (${action} was denied). ` +
        `Grant it (secret.${grant}(fn) in CDK) and redeploy; if ${secret.envName} names the wrong secret, correct it.`,
      options,
    );
  }
  if (hasErrorName(error, 'DecryptionFailure') || hasErrorName(error, 'EncryptionFailure')) {
    const kmsAction = access === 'read' ? 'kms:Decrypt' : 'kms:GenerateDataKey and kms:Decrypt';
    return new ConfigError(
      `Secrets Manager could not use the KMS key of the ${secret.kind} secret ${secret.id}. Allow the function's ` +
        `role ${kmsAction} on that key (key policy or grant), check the key is enabled, and redeploy.`,
      options,
    );
  }
  return error;
}

/**
 * Refuses a document a caller was about to write without the fields readers need. That is a bug
 * in the caller, hence a plain Error; it names fields, never values.
 */
function assertComplete<T extends object>(
  document: T,
  required: readonly (keyof T & string)[],
  known: readonly (keyof T & string)[],
  timeFields: readonly (keyof T & string)[],
  kind: string,
): void {
  const fields = document as Record<string, unknown>;
  const missing = required.filter((key) => typeof fields[key] !== 'string' || fields[key] === '');
  const notStrings = known.filter(
    (key) => !missing.includes(key) && fields[key] !== undefined && typeof fields[key] !== 'string',
  );
  const badTimes = timeFields.filter(
    (key) => !missing.includes(key) && Number.isNaN(Date.parse(String(fields[key]))),
  );
  const problems = [
    missing.length > 0 ? `missing ${missing.join(', ')}` : '',
    notStrings.length > 0 ? `not strings: ${notStrings.join(', ')}` : '',
    badTimes.length > 0 ? `not valid times: ${badTimes.join(', ')}` : '',
  ].filter(Boolean);
  if (problems.length > 0) {
    throw new Error(
      `Refused to save an incomplete ${kind} document (${problems.join('; ')}); nothing was written.`,
    );
  }
}

/** JSON with keys in a fixed order and only non-empty string fields, so equal documents are equal strings. */
function serialize<T extends object>(document: Partial<T>, order: readonly (keyof T & string)[]): string {
  const fields = document as Record<string, unknown>;
  const ordered: Record<string, string> = {};
  for (const key of order) {
    const value = fields[key];
    if (typeof value === 'string' && value !== '') ordered[key] = value;
  }
  return JSON.stringify(ordered);
}

/**
 * A ClientRequestToken derived from what is written, so a retried write of the same value creates
 * no second version (Secrets Manager ignores a known token with the same value).
 */
function requestToken(secretId: string, secretString: string, ...basis: string[]): string {
  const hex = createHash('sha256')
    .update([secretId, secretString, ...basis].join('\n'))
    .digest('hex');
  // Shaped as an RFC 9562 version-8 (custom) UUID, the form Secrets Manager recommends.
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function keysInOrder<T>(template: Record<keyof T & string, true>): (keyof T & string)[] {
  return Object.keys(template) as (keyof T & string)[];
}
