/**
 * The cold-start floor of a consumer function: the one AWS SDK client the consumer library builds at
 * cold start (Secrets Manager) and the command it sends, imported and created, and nothing else. The
 * Lambda client is loaded only by a forced refresh, so it is no part of the floor.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export const clients = [new SecretsManagerClient({})];

export const commands = [GetSecretValueCommand];
