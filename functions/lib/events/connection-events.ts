import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import type { ConnectionState } from '../connection-status.js';
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from './event-names.js';

export { EVENT_DETAIL_TYPE, EVENT_SOURCE };

/** The `detail` of a health event: one change of a connection's state. Never a token or a message. */
export interface ConnectionStateChange {
  readonly connectionName: string;
  readonly state: ConnectionState;
  readonly previousState: ConnectionState;
  /** An error name (`ZohoUnavailableError`) or a plain word (`refresh-token-revoked`, `connected`). */
  readonly reason: string;
  /** When the state changed, ISO-8601 UTC. */
  readonly at: string;
  readonly dataCentre: string;
}

export interface ConnectionEventsOptions {
  readonly client: EventBridgeClient;
  /** A bus name, or the ARN of a bus in another account. */
  readonly eventBusName: string;
}

/**
 * An event that could not be put on the bus. The caller counts it (`HealthEventNotPublished`) and
 * carries on: a lost notification must never fail a refresh. The message names the bus and the
 * AWS error code, never anything of the event itself.
 */
export class HealthEventNotPublishedError extends Error {
  override readonly name = 'HealthEventNotPublishedError';
}

/**
 * Only names and words pass: whatever a caller puts in `reason` leaves the account on a bus that
 * other teams and accounts read, so an error message (which could quote a Zoho answer) must not fit.
 */
const SAFE_REASON = /^[A-Za-z][A-Za-z-]{0,63}$/;

/** Puts one health event per state change on the connection's event bus. */
export class ConnectionEvents {
  readonly #client: EventBridgeClient;
  readonly #eventBusName: string;

  constructor(options: ConnectionEventsOptions) {
    this.#client = options.client;
    this.#eventBusName = options.eventBusName;
  }

  async publish(change: ConnectionStateChange): Promise<void> {
    if (!SAFE_REASON.test(change.reason)) {
      // The refused reason is not quoted: it is exactly what might carry a secret.
      throw new HealthEventNotPublishedError(
        'A health event was not published: its reason must be an error name or a plain word ' +
          '(letters and hyphens, at most 64), never a message.',
      );
    }
    const detail: ConnectionStateChange = {
      connectionName: change.connectionName,
      state: change.state,
      previousState: change.previousState,
      reason: change.reason,
      at: change.at,
      dataCentre: change.dataCentre,
    };
    let output: PutEventsCommandOutput;
    try {
      output = await this.#client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: EVENT_SOURCE,
              DetailType: EVENT_DETAIL_TYPE,
              Detail: JSON.stringify(detail),
              EventBusName: this.#eventBusName,
            },
          ],
        }),
      );
    } catch (error) {
      throw new HealthEventNotPublishedError(
        `EventBridge refused the health event for bus ${this.#eventBusName} ` +
          `(${error instanceof Error ? error.name : 'unknown error'}): check the function's ` +
          'events:PutEvents permission and the bus.',
        { cause: error },
      );
    }
    // PutEvents answers 200 even when it refused the entry; only the entry says so.
    const entry = output.Entries?.[0];
    if (
      (output.FailedEntryCount ?? 0) > 0 ||
      entry?.ErrorCode !== undefined ||
      entry?.EventId === undefined
    ) {
      throw new HealthEventNotPublishedError(
        `EventBridge did not accept the health event for bus ${this.#eventBusName} ` +
          `(${entry?.ErrorCode ?? 'no event id returned'}): check the function's events:PutEvents ` +
          'permission and the bus.',
      );
    }
  }
}
