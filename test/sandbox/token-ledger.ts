import { randomBytes } from 'node:crypto';

/**
 * The bookkeeping of Zoho's accounts server, without any HTTP: clients, grant codes, refresh and
 * access tokens, and Zoho's documented limits (strictest readings where its pages differ). Time comes from an injected clock
 * so that a simulation can run days in seconds.
 */

const TEN_MINUTES_MS = 10 * 60 * 1000;
/** Zoho: about 10 access tokens per refresh token per 10 minutes, then blocked for the rest of the window. */
export const MINTS_PER_WINDOW = 10;
/** Zoho's readings differ (10, 15, 30); the brief fixes 15 active access tokens per refresh token. */
export const ACTIVE_ACCESS_TOKENS_PER_REFRESH_TOKEN = 15;
/** The 21st refresh token of a client deletes the oldest one, with its access tokens. */
export const REFRESH_TOKENS_PER_CLIENT = 20;
/** The Self Client console's default grant-code lifetime. */
export const DEFAULT_GRANT_CODE_TTL_SECONDS = 180;

export const THROTTLE_ANSWER = {
  error_description: 'You have made too many requests continuously. Please try again after some time.',
  error: 'Access Denied',
  status: 'failure',
} as const;

export type ZohoTokenError = 'invalid_client' | 'invalid_client_secret' | 'invalid_code';

export type MintOutcome =
  | {
      readonly kind: 'minted';
      readonly accessToken: string;
      readonly refreshToken: string;
      readonly scope?: string;
    }
  | { readonly kind: 'error'; readonly error: ZohoTokenError }
  | { readonly kind: 'throttled' };

interface GrantCode {
  readonly clientId: string;
  readonly scope?: string;
  readonly expiresAt: number;
}

interface RefreshTokenRecord {
  readonly clientId: string;
  readonly scope?: string;
  /** Oldest first, so the cap evicts the head. */
  activeAccessTokens: string[];
  windowStartedAt: number;
  mintsInWindow: number;
}

interface AccessTokenRecord {
  readonly refreshToken: string;
  readonly expiresAt: number;
}

export function zohoStyleToken(): string {
  return `1000.${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
}

export class TokenLedger {
  private readonly clients = new Map<string, string>();
  private readonly grantCodes = new Map<string, GrantCode>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  /** Per client, oldest first, for the 20-refresh-token cap. */
  private readonly refreshTokensOfClient = new Map<string, string[]>();
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  /** Kept even after a refresh token is deleted, so a simulation can still audit its history. */
  private readonly mintTimes = new Map<string, number[]>();

  constructor(
    private readonly now: () => number,
    private readonly accessTokenLifetimeMs: number,
    private readonly newToken: () => string = zohoStyleToken,
  ) {}

  registerClient(clientId: string, clientSecret: string): void {
    this.clients.set(clientId, clientSecret);
  }

  issueGrantCode(clientId: string, scope: string | undefined, ttlSeconds: number): string {
    if (!this.clients.has(clientId)) {
      throw new Error(`Sandbox: register client ${clientId} before issuing grant codes for it.`);
    }
    const code = this.newToken();
    this.grantCodes.set(code, { clientId, scope, expiresAt: this.now() + ttlSeconds * 1000 });
    return code;
  }

  exchange(clientId: string, clientSecret: string, code: string): MintOutcome {
    const clientError = this.checkClient(clientId, clientSecret);
    if (clientError) return { kind: 'error', error: clientError };
    const grant = this.grantCodes.get(code);
    if (!grant || grant.clientId !== clientId) return { kind: 'error', error: 'invalid_code' };
    // Single use: a code is spent by its first successful presentation, and an expired one is gone too.
    this.grantCodes.delete(code);
    if (this.now() >= grant.expiresAt) return { kind: 'error', error: 'invalid_code' };

    const refreshToken = this.newToken();
    this.refreshTokens.set(refreshToken, {
      clientId,
      scope: grant.scope,
      activeAccessTokens: [],
      windowStartedAt: this.now(),
      mintsInWindow: 0,
    });
    const ofClient = this.refreshTokensOfClient.get(clientId) ?? [];
    ofClient.push(refreshToken);
    this.refreshTokensOfClient.set(clientId, ofClient);
    while (ofClient.length > REFRESH_TOKENS_PER_CLIENT) {
      const oldest = ofClient.shift();
      if (oldest) this.deleteRefreshToken(oldest);
    }
    return this.mint(refreshToken);
  }

  refresh(clientId: string, clientSecret: string, refreshToken: string): MintOutcome {
    const clientError = this.checkClient(clientId, clientSecret);
    if (clientError) return { kind: 'error', error: clientError };
    const record = this.refreshTokens.get(refreshToken);
    if (!record || record.clientId !== clientId) return { kind: 'error', error: 'invalid_code' };
    if (this.now() >= record.windowStartedAt + TEN_MINUTES_MS) {
      record.windowStartedAt = this.now();
      record.mintsInWindow = 0;
    }
    if (record.mintsInWindow >= MINTS_PER_WINDOW) return { kind: 'throttled' };
    return this.mint(refreshToken);
  }

  /** Deletes a refresh token (and its access tokens) or an access token. False when it is unknown. */
  revoke(token: string): boolean {
    if (this.refreshTokens.has(token)) {
      this.deleteRefreshToken(token);
      return true;
    }
    return this.accessTokens.delete(token);
  }

  deleteRefreshToken(refreshToken: string): void {
    const record = this.refreshTokens.get(refreshToken);
    if (!record) return;
    for (const accessToken of record.activeAccessTokens) this.accessTokens.delete(accessToken);
    this.refreshTokens.delete(refreshToken);
    const ofClient = this.refreshTokensOfClient.get(record.clientId);
    const index = ofClient?.indexOf(refreshToken) ?? -1;
    if (ofClient && index >= 0) ofClient.splice(index, 1);
  }

  invalidateAccessToken(accessToken: string): void {
    this.accessTokens.delete(accessToken);
  }

  isAccessTokenValid(accessToken: string): boolean {
    const record = this.accessTokens.get(accessToken);
    return record !== undefined && this.now() < record.expiresAt;
  }

  isRefreshTokenActive(refreshToken: string): boolean {
    return this.refreshTokens.has(refreshToken);
  }

  /** Access tokens minted from this refresh token (its exchange included) in the trailing 10 minutes. */
  mintsInLastTenMinutes(refreshToken: string): number {
    const since = this.now() - TEN_MINUTES_MS;
    return (this.mintTimes.get(refreshToken) ?? []).filter((time) => time > since).length;
  }

  private checkClient(clientId: string, clientSecret: string): ZohoTokenError | undefined {
    const expectedSecret = this.clients.get(clientId);
    if (expectedSecret === undefined) return 'invalid_client';
    if (expectedSecret !== clientSecret) return 'invalid_client_secret';
    return undefined;
  }

  private mint(refreshToken: string): MintOutcome {
    const record = this.refreshTokens.get(refreshToken);
    if (!record) return { kind: 'error', error: 'invalid_code' };
    const now = this.now();
    record.activeAccessTokens = record.activeAccessTokens.filter((token) => this.isAccessTokenValid(token));
    while (record.activeAccessTokens.length >= ACTIVE_ACCESS_TOKENS_PER_REFRESH_TOKEN) {
      const oldest = record.activeAccessTokens.shift();
      if (oldest) this.accessTokens.delete(oldest);
    }
    const accessToken = this.newToken();
    this.accessTokens.set(accessToken, { refreshToken, expiresAt: now + this.accessTokenLifetimeMs });
    record.activeAccessTokens.push(accessToken);
    record.mintsInWindow += 1;
    const times = this.mintTimes.get(refreshToken) ?? [];
    times.push(now);
    this.mintTimes.set(refreshToken, times);
    return { kind: 'minted', accessToken, refreshToken, scope: record.scope };
  }
}
