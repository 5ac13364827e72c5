/**
 * What the exchange function answers to the operator events `{"status": true}` and
 * `{"disconnect": true}`. Operators learn everything through these answers and never read the
 * credentials secret, which a resource policy keeps for the two functions alone. Nothing here is a
 * token or a secret; a client id is an identifier shown in the Zoho API Console, not a credential.
 */

/**
 * - `not-connected`: no grant code exchanged yet, or disconnected.
 * - `connected`: a refresh token is stored and Zoho has not refused it.
 * - `failing`: the last refresh attempt failed (Zoho unreachable or rate-limiting, a store error)
 *   and none has succeeded since; the stored access token may still be valid. The next success
 *   makes it `connected` again.
 * - `needs-reconnect`: Zoho said the refresh token is revoked or deleted; no run calls Zoho with it
 *   again until a new grant code is exchanged.
 */
export type ConnectionState = 'not-connected' | 'connected' | 'failing' | 'needs-reconnect';

export const CONNECTION_STATES: readonly ConnectionState[] = [
  'not-connected',
  'connected',
  'failing',
  'needs-reconnect',
];

/** Answer to `{"status": true}`. Optional fields are absent when unknown or not applicable. */
export interface ConnectionStatus {
  readonly connection_state: ConnectionState;
  /** Why the state is what it is, e.g. `refresh-token-revoked`; set for `needs-reconnect`. */
  readonly state_reason?: string;
  /** When the connection entered its current state (ISO-8601 UTC). */
  readonly state_since?: string;
  /** Whether a client id and secret are stored, so that a (re)connect needs only a grant code. */
  readonly client_stored: boolean;
  readonly client_id?: string;
  readonly accounts_url?: string;
  readonly api_domain?: string;
  readonly scope?: string;
  readonly connected_at?: string;
  /** The stored access token's expiry and when it was minted. */
  readonly expires_at?: string;
  readonly refreshed_at?: string;
  /** The last failed refresh: when, and the contract error name it failed with. */
  readonly last_failure_at?: string;
  readonly last_failure_error?: string;
  /** Runs make no Zoho call before this time (after Access Denied or an outage). */
  readonly retry_after?: string;
  /**
   * New versions the keeper wrote to the access-token secret in the last 24 hours (at most 72), and
   * how many of them forced refreshes wrote (at most 36).
   */
  readonly token_versions_24h?: number;
  readonly forced_refreshes_24h?: number;
  /** The recurring refresh schedule, as EventBridge Scheduler reports it. */
  readonly schedule_name: string;
  readonly schedule_state?: 'ENABLED' | 'DISABLED';
  readonly schedule_expression?: string;
  /** When the one-time follow-up refresh fires, if one is pending. */
  readonly follow_up_at?: string;
}

/** Answer to `{"disconnect": true}`. */
export interface DisconnectResult {
  readonly status: 'disconnected';
  /**
   * - `revoked`: Zoho revoked the refresh token (and every access token made from it).
   * - `already-invalid`: Zoho no longer knew the refresh token.
   * - `none-stored`: there was no refresh token to revoke.
   */
  readonly refresh_token: 'revoked' | 'already-invalid' | 'none-stored';
}

/** The operator events the exchange function accepts besides a grant code. */
export type OperatorEvent = { readonly status: true } | { readonly disconnect: true };

/**
 * Added to the exchange's answer on a reconnect: what became of the refresh token it replaced,
 * which is revoked only once the new one is stored. Absent when no refresh token was replaced.
 */
export type ReplacedRefreshToken = 'revoked' | 'already-invalid' | 'revoke-failed';
