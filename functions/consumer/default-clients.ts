import type { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

// One client of each kind per container, created on first use and shared by every reader. The Lambda
// client's module is loaded only then too: a consumer's cold start pays for Secrets Manager alone.
let secretsManager: SecretsManagerClient | undefined;
let lambda: Promise<LambdaClient> | undefined;
let lambdaModule: Promise<typeof import('./lambda-client.js')> | undefined;

/**
 * The Lambda client's module, loaded once per process. Later callers await the settled promise, not a
 * new `import()`, whose timing a module loader (a bundler's, a test runner's) may leave to real I/O.
 */
export function loadLambdaModule(): Promise<typeof import('./lambda-client.js')> {
  lambdaModule ??= import('./lambda-client.js');
  return lambdaModule;
}

export function sharedSecretsManager(): SecretsManagerClient {
  secretsManager ??= new SecretsManagerClient({});
  return secretsManager;
}

export function sharedLambda(): Promise<LambdaClient> {
  // One attempt per invoke: the SDK would otherwise retry TooManyRequestsException itself, tripling
  // the invokes of a busy function; the reader's own wait decides when to ask again.
  lambda ??= loadLambdaModule().then(({ LambdaClient }) => new LambdaClient({ maxAttempts: 1 }));
  return lambda;
}
