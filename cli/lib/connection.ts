import type { Target } from './args.js';
import { type CliClients, resolvedRegion } from './clients.js';

/**
 * The connection a command acts on. Nothing is looked up: its exchange function and alarms have
 * fixed names derived from the connection name (infra/connection-names.ts), so a connection in any
 * stack is reached the same way, and a missing one shows as Lambda's ResourceNotFoundException.
 */
export interface Connection {
  readonly target: Target;
  /** The region the clients resolved, for messages. */
  readonly region: string | undefined;
}

export async function connectionOf(clients: CliClients, target: Target): Promise<Connection> {
  return { target, region: await resolvedRegion(clients) };
}
