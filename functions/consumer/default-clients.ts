import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

// One client of each kind per container, created on first use and shared by every reader, so a
// consumer that never needs a forced refresh never pays for building a Lambda client.
let secretsManager: SecretsManagerClient | undefined;
let lambda: LambdaClient | undefined;

export function sharedSecretsManager(): SecretsManagerClient {
  secretsManager ??= new SecretsManagerClient({});
  return secretsManager;
}

export function sharedLambda(): LambdaClient {
  lambda ??= new LambdaClient({});
  return lambda;
}
