import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseAccessToken } from '../lib/documents.js';
import { ENV } from '../lib/environment.js';
import { ConfigError, NotConnectedError } from '../lib/errors.js';
import { toZohoAccessToken, type ZohoAccessToken } from './zoho-access-token.js';

/**
 * Reads the shareable access-token secret: one GetSecretValue call. Failures an operator can fix
 * become a ConfigError or NotConnectedError that says how; the secret's content is never quoted.
 * `abortSignal` cancels the request.
 */
export async function readAccessTokenSecret(
  client: SecretsManagerClient,
  secretId: string,
  abortSignal?: AbortSignal,
): Promise<ZohoAccessToken> {
  let secretString: string | undefined;
  try {
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal });
    secretString = output.SecretString;
  } catch (error) {
    throw explainReadFailure(error, secretId);
  }
  let document: ReturnType<typeof parseAccessToken>;
  try {
    document = parseAccessToken(secretString, secretId);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new MalformedAccessTokenSecretError(error.message, { cause: error });
    throw error;
  }
  if (!document) {
    throw new NotConnectedError(
      `The access-token secret ${secretId} holds no access token yet: this Zoho connection has not been ` +
        'connected. Run the exchange function with a grant code from the Zoho API Console ' +
        '(see the README, "Connect to Zoho"), then call again.',
    );
  }
  return toZohoAccessToken(document);
}

/**
 * The access-token secret holds something the keeper did not write (saved by hand in the console):
 * a `ConfigError` by name, which a forced refresh mends by writing a valid token over it.
 */
export class MalformedAccessTokenSecretError extends ConfigError {}

function explainReadFailure(error: unknown, secretId: string): unknown {
  const name = error instanceof Error ? error.name : '';
  const options = { cause: error };
  if (name === 'ResourceNotFoundException') {
    return new ConfigError(
      `The access-token secret ${secretId} was not found. Check ${ENV.accessTokenSecretId} on this function: it ` +
        "must be the name or ARN of the connection's access-token secret in this account and region.",
      options,
    );
  }
  if (name === 'AccessDeniedException') {
    return new ConfigError(
      `This function's role may not read the access-token secret ${secretId} (secretsmanager:GetSecretValue was ` +
        'denied). Grant it with connection.addConsumer(fn) (or connection.grantRead(fn)) in CDK and redeploy.',
      options,
    );
  }
  if (name === 'DecryptionFailure') {
    return new ConfigError(
      `Secrets Manager could not decrypt the access-token secret ${secretId} for this function. Grant read with ` +
        "connection.grantRead(fn), which includes kms:Decrypt on the connection's key, and redeploy.",
      options,
    );
  }
  return error;
}
