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
  CONNECTION_TIME_FIELDS,
  type ConnectionFields,
  type CredentialsDocument,
  parseCredentials,
  parseTokenRecord,
  type StoredCredentials,
  type TokenRecord,
} from '../documents.js';
import { ENV, type EnvName } from '../environment.js';
import { ConfigError, hasErrorName } from '../errors.js';

/** A document as read, with the version it was read from: the basis of a compare-and-swap write. */
export interface Versioned<T> {
  readonly value: T;
  /** Undefined when the secret has no current version (created without a value). */
  readonly versionId: string | undefined;
}

/** A compare-and-swap write either created the next version or found that another writer came first. */
export type WriteOutcome =
  | { readonly written: true; readonly versionId: string }
  | { readonly written: false };

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

const TOKEN_RECORD_KEY_ORDER = keysInOrder<AccessTokenDocument & ConnectionFields>({
  access_token: true,
  api_domain: true,
  token_type: true,
  expires_at: true,
  refreshed_at: true,
  connection_state: true,
  state_reason: true,
  state_since: true,
  connected_at: true,
  last_failure_at: true,
  last_failure_error: true,
  retry_after: true,
  claimed_until: true,
  claimed_by: true,
});

const ACCESS_TOKEN_KEYS = keysInOrder<AccessTokenDocument>({
  access_token: true,
  api_domain: true,
  token_type: true,
  expires_at: true,
  refreshed_at: true,
});

/** Each conflict means another writer succeeded; the refresh runs write at most twice each. */
const MAX_REPLACE_ATTEMPTS = 5;

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
 * Every write is a compare-and-swap on the version that was read. Secrets Manager makes the
 * ClientRequestToken the new version's id and never lets a version's value change, so a token
 * derived from the version read alone makes two writers that read the same version collide: the
 * second gets ResourceExistsException. A retry of the same write (same token, same value) is
 * accepted as the no-op it is.
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

  async readCredentials(): Promise<Versioned<StoredCredentials>> {
    const current = await this.#readCurrent(this.#credentials);
    return {
      value: parseCredentials(current.secretString, this.#credentials.id),
      versionId: current.versionId,
    };
  }

  /** The access-token secret: the token consumers read and the connection's state. */
  async readTokenRecord(): Promise<Versioned<TokenRecord>> {
    const current = await this.#readCurrent(this.#accessToken);
    return {
      value: parseTokenRecord(current.secretString, this.#accessToken.id),
      versionId: current.versionId,
    };
  }

  /**
   * Writes the credentials if they are still at `basedOn`. A document with a refresh token must be
   * complete; one without (before the first exchange, after a disconnect) holds the client only.
   */
  async putCredentials(document: StoredCredentials, basedOn: string | undefined): Promise<WriteOutcome> {
    if (document.refresh_token !== undefined) {
      assertComplete(document, REQUIRED_CREDENTIALS, CREDENTIALS_KEY_ORDER, ['connected_at'], 'credentials');
    }
    return this.#compareAndSwap(this.#credentials, serialize(document, CREDENTIALS_KEY_ORDER), basedOn);
  }

  /** Writes the access-token secret if it is still at `basedOn`. A token must be complete. */
  async putTokenRecord(
    token: AccessTokenDocument | undefined,
    fields: ConnectionFields,
    basedOn: string | undefined,
  ): Promise<WriteOutcome> {
    if (token) {
      assertComplete(
        token,
        ACCESS_TOKEN_KEYS,
        ACCESS_TOKEN_KEYS,
        ['expires_at', 'refreshed_at'],
        'access-token',
      );
    }
    const timeFields = CONNECTION_TIME_FIELDS.filter((key) => fields[key] !== undefined);
    assertComplete(fields, [], [], timeFields, 'access-token');
    const secretString = serialize({ ...token, ...fields }, TOKEN_RECORD_KEY_ORDER);
    return this.#compareAndSwap(this.#accessToken, secretString, basedOn);
  }

  /**
   * For the operator's own changes (exchange, disconnect), which are newer than anything a refresh
   * run read: builds the new credentials from the current ones and writes them, building again on
   * top of whatever another writer stored in between. Returns what was replaced.
   */
  async replaceCredentials(
    build: (current: StoredCredentials) => StoredCredentials,
  ): Promise<{ readonly replaced: StoredCredentials; readonly versionId: string }> {
    return this.#replace(this.#credentials, async () => {
      const current = await this.readCredentials();
      const written = await this.putCredentials(build(current.value), current.versionId);
      return written.written ? { replaced: current.value, versionId: written.versionId } : undefined;
    });
  }

  /** As `replaceCredentials`, for the access-token secret. */
  async replaceTokenRecord(
    build: (current: TokenRecord) => { token: AccessTokenDocument | undefined; fields: ConnectionFields },
  ): Promise<{ readonly replaced: TokenRecord; readonly versionId: string }> {
    return this.#replace(this.#accessToken, async () => {
      const current = await this.readTokenRecord();
      const next = build(current.value);
      const written = await this.putTokenRecord(next.token, next.fields, current.versionId);
      return written.written ? { replaced: current.value, versionId: written.versionId } : undefined;
    });
  }

  async #replace<T>(secret: SecretRef, attempt: () => Promise<T | undefined>): Promise<T> {
    for (let tries = 1; tries <= MAX_REPLACE_ATTEMPTS; tries += 1) {
      const done = await attempt();
      if (done !== undefined) return done;
    }
    throw new ConfigError(
      `The ${secret.kind} secret ${secret.id} changed ${MAX_REPLACE_ATTEMPTS} times while this change was being ` +
        'written, so nothing was written. Something else writes it in a loop: find it (CloudTrail, PutSecretValue) and stop it.',
    );
  }

  async #compareAndSwap(
    secret: SecretRef,
    secretString: string,
    basedOn: string | undefined,
  ): Promise<WriteOutcome> {
    const versionId = nextVersionId(secret.id, basedOn);
    try {
      await this.#client.send(
        new PutSecretValueCommand({
          SecretId: secret.id,
          SecretString: secretString,
          ClientRequestToken: versionId,
        }),
      );
    } catch (error) {
      if (hasErrorName(error, 'ResourceExistsException')) return { written: false };
      throw toConfigError(error, secret, 'write');
    }
    return { written: true, versionId };
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
 * The id of the version that follows `basedOn`, used as the ClientRequestToken. It depends on the
 * version read and nothing else, which is what makes two writers of the same basis collide.
 */
function nextVersionId(secretId: string, basedOn: string | undefined): string {
  const hex = createHash('sha256')
    .update([secretId, 'after', basedOn ?? 'no-current-version'].join('\n'))
    .digest('hex');
  // Shaped as an RFC 9562 version-8 (custom) UUID, the form Secrets Manager recommends.
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function keysInOrder<T>(template: Record<keyof T & string, true>): (keyof T & string)[] {
  return Object.keys(template) as (keyof T & string)[];
}
