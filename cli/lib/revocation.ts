import type { StoredCredentials } from '../../functions/lib/documents.js';
import { type ContractErrorName, isContractError } from '../../functions/lib/errors.js';
import { commandLine } from './args.js';
import { CliError } from './cli-error.js';
import type { CliClients } from './clients.js';
import { contractExitCode } from './contract-advice.js';
import type { ConnectionStack } from './stack.js';

const FIRST_STEP: Readonly<Partial<Record<ContractErrorName, string>>> = {
  ZohoRateLimitedError: 'Wait 10 minutes (Zoho blocks the client for the rest of a 10-minute window).',
  ZohoUnavailableError: 'Check https://status.zoho.com and wait a few minutes.',
};

/** Step 1. Any failure stops the disconnect before anything is cleared, so nothing is lost. */
export async function revokeStoredRefreshToken(
  clients: CliClients,
  stack: ConnectionStack,
  credentials: StoredCredentials,
): Promise<string> {
  const { refresh_token: refreshToken, accounts_url: accountsUrl } = credentials;
  if (!refreshToken) return 'No refresh token stored: nothing to revoke at Zoho.';
  if (!accountsUrl) {
    return 'Not revoked: no accounts server is stored. Remove the app in Zoho (Connected Apps) to revoke the token.';
  }
  try {
    const { alreadyInvalid } = await clients.zohoAccounts(accountsUrl).revokeRefreshToken(refreshToken);
    return alreadyInvalid
      ? `The refresh token was already invalid at ${accountsUrl} (revoked or deleted before).`
      : `Revoked the refresh token at ${accountsUrl}.`;
  } catch (error) {
    if (!isContractError(error)) throw error;
    throw new CliError(
      `Could not revoke the refresh token at Zoho (${error.name}), so the disconnect stopped: nothing was changed, ` +
        'the connection still works.',
      {
        exitCode: contractExitCode(error.name),
        details: `Details: ${error.message}`,
        cause: error,
        nextSteps: [
          FIRST_STEP[error.name] ?? 'Fix what the details name.',
          `Then run ${commandLine('disconnect', stack.target)} again.`,
        ],
      },
    );
  }
}
