// This module loads no AWS SDK client: the construct reads these names at synth time to build
// `onStateChange` rules, and the publisher sends them, so the two can never drift.

/** `source` of every health event the keeper puts on EventBridge. */
export const EVENT_SOURCE = 'zoho-token-keeper';

/** `detail-type` of the event put on each change of a connection's state. */
export const EVENT_DETAIL_TYPE = 'Zoho Connection State Change';
