import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { ConnectionState } from '../connection-status.js';
import {
  type AccessTokenDocument,
  type CredentialsDocument,
  parseCredentials,
  parseTokenRecord,
  type StoredCredentials,
  type TokenRecord,
} from '../documents.js';
import { ENV, type EnvName } from '../environment.js';
import { ConfigError, hasErrorName } from '../errors.js';

/** The access-token secret as read: its document and the version it was read from. */
export interface StoredTokenRecord {
  readonly value: TokenRecord;
  /** Undefined when the secret has no current version (created without a value). */
  readonly versionId: string | undefined;
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

const ACCESS_TOKEN_KEYS = keysInOrder<AccessTokenDocument>({
  access_token: true,
  api_domain: true,
  token_type: true,
  expires_at: true,
  refreshed_at: true,
});

const TOKEN_RECORD_KEY_ORDER: readonly (keyof AccessTokenDocument | 'connection_state')[] = [
  ...ACCESS_TOKEN_KEYS,
  'connection_state',
];

const REQUIRED_CREDENTIALS: readonly (keyof CredentialsDocument)[] = [
  'client_id',
  'client_secret',
  'refresh_token',
  'accounts_url',
  'api_domain',
  'connected_at',
];

/**
 * Reads and writes the two secrets of a connection. Reads parse through documents.ts, so a
 * malformed secret is refused before anything is written; writes accept complete documents only,
 * so a reader never finds a half-written connection.
 *
 * Writes carry no condition of their own: the lease in the state table orders the keeper's writers,
 * and each write gets a new ClientRequestToken (the SDK's, reused by its own retries). So a version
 * restored or saved by hand in the console is simply replaced by the next write; it can never make
 * a keeper write collide with an existing version id.
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

  /** The access-token secret: the token consumers read, and the state stored with it. */
  async readTokenRecord(): Promise<StoredTokenRecord> {
    const current = await this.#readCurrent(this.#accessToken);
    return {
      value: parseTokenRecord(current.secretString, this.#accessToken.id),
      versionId: current.versionId,
    };
  }

  /**
   * The version the access-token secret serves now, without parsing its value: whatever an
   * administrator saved there, the keeper only needs to know whether it is still what it wrote.
   */
  async currentTokenVersion(): Promise<string | undefined> {
    return (await this.#readCurrent(this.#accessToken)).versionId;
  }

  /**
   * Writes the credentials. A document with a refresh token must be complete; one without (before
   * the first exchange, after a disconnect) holds the client only.
   */
  async putCredentials(document: StoredCredentials): Promise<void> {
    if (document.refresh_token !== undefined) {
      assertComplete(document, REQUIRED_CREDENTIALS, CREDENTIALS_KEY_ORDER, ['connected_at'], 'credentials');
    }
    await this.#put(this.#credentials, serialize(document, CREDENTIALS_KEY_ORDER));
  }

  /**
   * Writes the access-token secret: a complete token (or none, when not connected) and the
   * connection's state. Returns the new version's id, which the state table records.
   */
  async putTokenRecord(token: AccessTokenDocument | undefined, state: ConnectionState): Promise<string> {
    if (token) {
      assertComplete(
        token,
        ACCESS_TOKEN_KEYS,
        ACCESS_TOKEN_KEYS,
        ['expires_at', 'refreshed_at'],
        'access-token',
      );
    }
    return this.#put(
      this.#accessToken,
      serialize({ ...token, connection_state: state }, TOKEN_RECORD_KEY_ORDER),
    );
  }

  async #put(secret: SecretRef, secretString: string): Promise<string> {
    try {
      const output = await this.#client.send(
        new PutSecretValueCommand({ SecretId: secret.id, SecretString: secretString }),
      );
      if (output.VersionId === undefined) throw new Error('PutSecretValue answered without a VersionId');
      return output.VersionId;
    } catch (error) {
      throw toConfigError(error, secret, 'write');
    }
  }

  async #readCurrent(
    secret: SecretRef,
  ): Promise<{ secretString: string | undefined; versionId: string | undefined }> {
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
          'Secrets Manager console with a JSON object stored as a secret string (see docs/reference.md, "Secret documents").',
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

function keysInOrder<T>(template: Record<keyof T & string, true>): (keyof T & string)[] {
  return Object.keys(template) as (keyof T & string)[];
}
