/**
 * CloudWatch metric names the functions emit and the construct alarms on. Declared once so that the
 * dashboard and alarms can never watch a metric nobody publishes.
 */
export const METRIC_NAMESPACE = 'ZohoTokenKeeper';

/** Dimension carrying the connection name (Powertools' `service` dimension). */
export const METRIC_SERVICE_DIMENSION = 'service';

export const METRICS = {
  /** 1 when a refresh run wrote a new access token, else 0 (published on every run). */
  refreshSucceeded: 'RefreshSucceeded',
  /** 1 when a refresh run failed, else 0 (published on every run). */
  refreshFailed: 'RefreshFailed',
  /** 1 when a refresh run found the stored token fresh enough and did nothing. */
  refreshSkipped: 'RefreshSkipped',
  /**
   * 1 when a refresh run found the connection needing a reconnect (Zoho said the refresh token is
   * revoked), else 0. Not published while never connected.
   */
  needsReconnect: 'NeedsReconnect',
  /** Minutes of life left on the stored access token at the end of a run. */
  tokenMinutesLeft: 'TokenMinutesLeft',
  /** Duration of one call to Zoho's accounts server, in milliseconds. */
  zohoLatency: 'ZohoLatency',
  /**
   * 1 when a forced refresh was refused because forced refreshes have used their share of the
   * access-token secret's daily write budget (published by forced runs only).
   */
  forcedRefreshRefused: 'ForcedRefreshRefused',
  /** 1 when a change of the connection's state could not be put on EventBridge. */
  healthEventNotPublished: 'HealthEventNotPublished',
  /** 1 when an exchange connected, else 0. */
  exchangeSucceeded: 'ExchangeSucceeded',
  /** 1 when an exchange failed, else 0. */
  exchangeFailed: 'ExchangeFailed',
} as const;
