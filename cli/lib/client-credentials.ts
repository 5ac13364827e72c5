import { CliError, UsageError } from './cli-error.js';
import { EXIT_CODES } from './exit-codes.js';
import type { CliIo } from './io.js';
import { apiConsole } from './output.js';

export const CLIENT_ID_ENV = 'ZOHO_CLIENT_ID';
export const CLIENT_SECRET_ENV = 'ZOHO_CLIENT_SECRET';

export interface ZohoClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface ClientChoice {
  /** Undefined: the exchange function uses the client already stored. */
  readonly client: ZohoClient | undefined;
  readonly source: 'stored' | 'environment' | 'prompt';
}

/**
 * Which Zoho client the exchange should use. Values in the environment win over stored ones, so a
 * wrong stored client can be replaced; otherwise the stored one is used and nothing is sent. Only
 * when neither exists is the operator asked. Whether one is stored comes from the status answer:
 * the stored secret itself is out of the operator's reach.
 */
export async function chooseClient(
  io: CliIo,
  clientStored: boolean,
  context: { credentialsSecretName: string; accountsUrl: string | undefined },
): Promise<ClientChoice> {
  const clientId = nonEmpty(io.env[CLIENT_ID_ENV]);
  const clientSecret = nonEmpty(io.env[CLIENT_SECRET_ENV]);
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    throw new UsageError(`Set both ${CLIENT_ID_ENV} and ${CLIENT_SECRET_ENV}, or neither.`);
  }
  if (clientId !== undefined && clientSecret !== undefined) {
    return { client: { clientId, clientSecret }, source: 'environment' };
  }
  if (clientStored) return { client: undefined, source: 'stored' };

  const where = `Self Client > Client Secret in ${apiConsole(context.accountsUrl)}`;
  if (!io.isTTY) {
    throw new CliError(
      `No Zoho client id and secret are stored in ${context.credentialsSecretName}, and there is no terminal to ask for them.`,
      {
        exitCode: EXIT_CODES.userError,
        nextSteps: [
          `Set ${CLIENT_ID_ENV} and ${CLIENT_SECRET_ENV} (from ${where}) and run the command again.`,
        ],
      },
    );
  }
  io.stderr(`No Zoho client id and secret are stored yet. Copy them from ${where}.`);
  const promptedId = nonEmpty(await io.prompt('Client ID: '));
  const promptedSecret = nonEmpty(await io.prompt('Client secret (input hidden): ', { secret: true }));
  if (promptedId === undefined || promptedSecret === undefined) {
    throw new UsageError('The client id and client secret are both needed.');
  }
  return { client: { clientId: promptedId, clientSecret: promptedSecret }, source: 'prompt' };
}

export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
