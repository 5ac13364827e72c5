import { parseExchangeEvent } from '../../functions/exchange/exchange-event.js';
import type {
  ConnectionState,
  ConnectionStatus,
  DisconnectResult,
  ReplacedRefreshToken,
} from '../../functions/lib/connection-status.js';
import type { ContractErrorName } from '../../functions/lib/errors.js';

/** A failure as the Lambda runtime reports it: `errorType` is the error's name. */
export class FunctionFailure extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the function holds, secrets included, so tests can check that none of it leaks. */
export interface FakeConnection {
  state: ConnectionState;
  stateReason?: string;
  stateSince?: string;
  client?: { readonly id: string; readonly secret: string };
  refreshToken?: string;
  connectedAt?: string;
  expiresAt?: string;
  refreshedAt?: string;
  lastFailure?: { readonly at: string; readonly error: ContractErrorName };
  retryAfter?: string;
  scheduleState?: 'ENABLED' | 'DISABLED';
  followUpAt?: string;
}

/** How Zoho answers the function's next call (a grant-code exchange or a revocation). */
export type ZohoBehaviour = 'ok' | ContractErrorName | 'forgot-refresh-token' | 'revoke-unreachable';

/**
 * The exchange function as the contract describes it, over state held here rather than in AWS:
 * it answers the grant-code event and the operator events `{"status": true}` and
 * `{"disconnect": true}`, and fails as the real one does, by contract error name.
 */
export class FakeExchangeFunction {
  connection: FakeConnection = { state: 'not-connected', scheduleState: 'ENABLED' };
  zoho: ZohoBehaviour = 'ok';
  /** Tokens the fake "Zoho" issues; each exchange mints the next. */
  nextRefreshToken = '';

  constructor(
    private readonly accountsUrl: string,
    private readonly scheduleName: string,
    private readonly now: () => Date,
  ) {}

  handle(event: Record<string, unknown>): unknown {
    if (event.status === true && Object.keys(event).length === 1) return this.status();
    if (event.disconnect === true && Object.keys(event).length === 1) return this.disconnect();
    return this.exchange(event);
  }

  private status(): ConnectionStatus {
    const c = this.connection;
    return {
      connection_state: c.state,
      client_stored: c.client !== undefined,
      schedule_name: this.scheduleName,
      schedule_expression: 'rate(50 minutes)',
      accounts_url: this.accountsUrl,
      ...(c.client ? { client_id: c.client.id } : {}),
      ...(c.stateReason ? { state_reason: c.stateReason } : {}),
      ...(c.stateSince ? { state_since: c.stateSince } : {}),
      ...(c.connectedAt
        ? { api_domain: 'https://www.zohoapis.eu', scope: 'ZohoCRM.modules.ALL', connected_at: c.connectedAt }
        : {}),
      ...(c.expiresAt ? { expires_at: c.expiresAt } : {}),
      ...(c.refreshedAt ? { refreshed_at: c.refreshedAt } : {}),
      ...(c.lastFailure
        ? { last_failure_at: c.lastFailure.at, last_failure_error: c.lastFailure.error }
        : {}),
      ...(c.retryAfter ? { retry_after: c.retryAfter } : {}),
      ...(c.scheduleState ? { schedule_state: c.scheduleState } : {}),
      ...(c.followUpAt ? { follow_up_at: c.followUpAt } : {}),
    };
  }

  /** Revokes first: when Zoho cannot be reached, nothing changes. */
  private disconnect(): DisconnectResult {
    const outcome = this.connection.refreshToken === undefined ? 'none-stored' : this.revoke();
    if (outcome === 'revoke-failed') {
      throw new FunctionFailure(
        'ZohoUnavailableError',
        'Zoho did not answer the revocation; nothing was changed.',
      );
    }
    const { client, scheduleState } = this.connection;
    this.connection = {
      state: 'not-connected',
      stateSince: this.now().toISOString(),
      ...(client ? { client } : {}),
      ...(scheduleState ? { scheduleState } : {}),
    };
    return { status: 'disconnected', refresh_token: outcome };
  }

  private exchange(event: Record<string, unknown>) {
    let parsed: ReturnType<typeof parseExchangeEvent>;
    try {
      parsed = parseExchangeEvent(event);
    } catch (error) {
      throw new FunctionFailure('InvalidEventError', (error as Error).message);
    }
    if (parsed.kind !== 'connect') throw new Error('the fake routes status and disconnect elsewhere');
    const client = parsed.client
      ? { id: parsed.client.clientId, secret: parsed.client.clientSecret }
      : this.connection.client;
    if (client === undefined) throw new FunctionFailure('NotConnectedError', 'No Zoho client id and secret.');
    this.failIfZohoRefuses();
    const replaced = this.connection.refreshToken === undefined ? undefined : this.revoke();
    const now = this.now();
    const expiresAt = new Date(now.getTime() + 3_600_000).toISOString();
    this.connection = {
      ...this.connection,
      state: 'connected',
      stateSince: now.toISOString(),
      client,
      refreshToken: this.nextRefreshToken,
      connectedAt: now.toISOString(),
      expiresAt,
      refreshedAt: now.toISOString(),
    };
    delete this.connection.stateReason;
    return {
      status: 'connected',
      api_domain: 'https://www.zohoapis.eu',
      scope: 'ZohoCRM.modules.ALL',
      expires_at: expiresAt,
      ...(replaced ? { previous_refresh_token: replaced satisfies ReplacedRefreshToken } : {}),
    };
  }

  private revoke(): 'revoked' | 'already-invalid' | 'revoke-failed' {
    if (this.zoho === 'forgot-refresh-token') return 'already-invalid';
    if (this.zoho === 'revoke-unreachable' || this.zoho === 'ZohoUnavailableError') return 'revoke-failed';
    this.failIfZohoRefuses();
    return 'revoked';
  }

  private failIfZohoRefuses(): void {
    if (this.zoho === 'ok' || this.zoho === 'forgot-refresh-token' || this.zoho === 'revoke-unreachable')
      return;
    throw new FunctionFailure(this.zoho, `Zoho's answer, as the function words it (${this.zoho}).`);
  }
}
