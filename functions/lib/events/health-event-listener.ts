import { dataCentreOfAccountsUrl } from '../data-centres.js';
import type { StateChangeListener } from '../store/held-lease.js';
import type { ConnectionEvents } from './connection-events.js';

export interface HealthEventListenerOptions {
  readonly events: Pick<ConnectionEvents, 'publish'>;
  readonly connectionName: string;
  /** The accounts server the functions are configured with: the data centre the events name. */
  readonly accountsUrl: string;
  /** Told when an event could not be put on the bus; the run it reports on goes on regardless. */
  readonly onNotPublished: (error: unknown) => void;
}

/**
 * Turns each stored change of state into one health event. A lost event is counted and logged, never
 * thrown: a notification must not fail the refresh or the connect it reports on.
 */
export function healthEventListener(options: HealthEventListenerOptions): StateChangeListener {
  const dataCentre = dataCentreOfAccountsUrl(options.accountsUrl)?.id ?? 'custom';
  return async (change) => {
    try {
      await options.events.publish({ ...change, connectionName: options.connectionName, dataCentre });
    } catch (error) {
      options.onNotPublished(error);
    }
  };
}
