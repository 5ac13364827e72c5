/**
 * The cold-start floor of a consumer function: the AWS SDK clients the consumer library uses,
 * imported and created, and nothing else.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export const clients = [new SecretsManagerClient({}), new LambdaClient({})];
