/**
 * Exit codes of `connect`, `status` and `disconnect`. Scripts and CI branch on them, so they are
 * part of the commands' interface. The line between 1 and 2 is "does retrying unchanged help?".
 *
 * | code | meaning |
 * |---|---|
 * | 0 | done; for `status`: connected and healthy |
 * | 1 | you must change something first: bad arguments, an invalid grant code or client, the connection not deployed, not connected, no AWS credentials or permission, confirmation refused |
 * | 2 | a service failed in a way that may pass: Zoho unavailable or rate limited, AWS throttling or network errors. Retry later |
 * | 3 | `status` only: something needs attention (reconnect needed, expired token, failing refreshes, an alarm in ALARM, schedule disabled) |
 */
export const EXIT_CODES = {
  ok: 0,
  userError: 1,
  serviceError: 2,
  needsAttention: 3,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
