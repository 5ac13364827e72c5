import type { SandboxFault } from '../../test/sandbox/zoho-sandbox.js';
import type { KeeperWorld, RunRecord } from './keeper-world.js';
import type { SimulatedClock } from './simulated-clock.js';

/** A stretch when Zoho's token endpoint answered every request with one fault. */
export interface ZohoDisruption {
  /** 'outage': Zoho down; 'throttle': Zoho answering Access Denied. */
  readonly kind: 'outage' | 'throttle';
  readonly fault: SandboxFault;
  readonly start: number;
  readonly end: number;
  /** How long the stored access token still had to live when the disruption began. */
  tokenLeftAtStartMs: number;
  /** Requests to the token endpoint during the disruption, each answered with the fault. */
  zohoRequests: number;
  /** When the stored token was next one Zoho accepts, at or after the end. */
  recoveredAt: number | undefined;
  /** How long, from the start to 30 minutes after the end, the stored token was one Zoho refused. */
  storedTokenUnusableMs: number;
  unusableSince: number | undefined;
}

/** How long after a disruption the stored token is still watched. */
const WATCH_AFTER_END_MS = 30 * 60_000;

export interface RevocationRecord {
  readonly revokedAt: number;
  readonly reconnectAt: number;
  firstRevokedErrorAt: number | undefined;
  scheduleDisabledAfterError: boolean | undefined;
  followUpPendingAfterError: boolean | undefined;
  /** Requests to Zoho after the first RefreshTokenRevokedError and before the reconnect. */
  zohoRequestsWhileKnownRevoked: number;
  /** Those requests by what started the run that made them. */
  readonly zohoRequestsWhileKnownRevokedBySource: Record<string, number>;
  /**
   * Refresh-function containers started in that time. Each forgets what an earlier one learnt, so
   * each may ask Zoho once before it knows the refresh token is revoked.
   */
  refreshContainersWhileKnownRevoked: number;
  reconnectedAt: number | undefined;
  scheduleEnabledAfterReconnect: boolean | undefined;
  refreshTokenAfterReconnect: string | undefined;
}

/**
 * Watches a scenario's scripted disruptions: when each began and ended, what the keeper did about
 * it, and when a usable token was stored again.
 */
export class ScenarioRecorder {
  readonly disruptions: ZohoDisruption[] = [];
  revocation: RevocationRecord | undefined;
  #requestsAtStart = 0;
  #refreshContainersAtFirstRevokedError = 0;

  constructor(
    private readonly world: KeeperWorld,
    private readonly clock: SimulatedClock,
  ) {
    world.onRun((record) => this.#watchRevocation(record));
  }

  disruptionStarted(kind: ZohoDisruption['kind'], fault: SandboxFault, durationMs: number): void {
    const start = this.clock.nowMs();
    const stored = this.world.storedAccessToken();
    this.#requestsAtStart = this.world.sandbox.stats.tokenRequests;
    this.world.sandbox.setOutage(fault);
    this.disruptions.push({
      kind,
      fault,
      start,
      end: start + durationMs,
      tokenLeftAtStartMs: stored ? Date.parse(stored.expires_at) - start : 0,
      zohoRequests: 0,
      recoveredAt: undefined,
      storedTokenUnusableMs: 0,
      unusableSince: undefined,
    });
  }

  disruptionEnded(): void {
    this.world.sandbox.setOutage(undefined);
    const current = this.disruptions.at(-1);
    if (current) current.zohoRequests = this.world.sandbox.stats.tokenRequests - this.#requestsAtStart;
  }

  revoked(reconnectAt: number): void {
    const refreshToken = this.world.storedRefreshToken();
    if (!refreshToken) throw new Error('Nothing to revoke: the simulation is not connected.');
    this.world.sandbox.revokeRefreshToken(refreshToken);
    this.revocation = {
      revokedAt: this.clock.nowMs(),
      reconnectAt,
      firstRevokedErrorAt: undefined,
      scheduleDisabledAfterError: undefined,
      followUpPendingAfterError: undefined,
      zohoRequestsWhileKnownRevoked: 0,
      zohoRequestsWhileKnownRevokedBySource: {},
      refreshContainersWhileKnownRevoked: 0,
      reconnectedAt: undefined,
      scheduleEnabledAfterReconnect: undefined,
      refreshTokenAfterReconnect: undefined,
    };
  }

  /** Called after every event: notes when the stored token stops and starts being usable around disruptions. */
  afterEvent(): void {
    const now = this.clock.nowMs();
    const watched = this.disruptions.filter(
      (disruption) => now >= disruption.start && now <= disruption.end + WATCH_AFTER_END_MS,
    );
    if (watched.length === 0) return;
    const usable = this.world.storedTokenIsUsable();
    const expiresAt = Date.parse(this.world.storedAccessToken()?.expires_at ?? '');
    for (const disruption of watched) {
      if (!usable && disruption.unusableSince === undefined) {
        // An expired token stopped working at its expiry, which fell between two events.
        const since = Number.isNaN(expiresAt) ? now : Math.min(now, expiresAt);
        disruption.unusableSince = Math.max(disruption.start, since);
      } else if (usable && disruption.unusableSince !== undefined) {
        disruption.storedTokenUnusableMs += now - disruption.unusableSince;
        disruption.unusableSince = undefined;
      }
      if (usable && now >= disruption.end) disruption.recoveredAt ??= now;
    }
  }

  #watchRevocation(record: RunRecord): void {
    const revocation = this.revocation;
    if (!revocation) return;
    if (record.source === 'exchange') {
      revocation.reconnectedAt ??= record.outcome === 'connected' ? record.at : undefined;
      revocation.scheduleEnabledAfterReconnect = this.world.mainSchedule().enabled;
      revocation.refreshTokenAfterReconnect = this.world.storedRefreshToken();
      return;
    }
    if (revocation.reconnectedAt !== undefined) return;
    if (revocation.firstRevokedErrorAt !== undefined) {
      revocation.refreshContainersWhileKnownRevoked =
        this.world.refreshContainers - this.#refreshContainersAtFirstRevokedError;
      revocation.zohoRequestsWhileKnownRevoked += record.zohoRequests;
      const bySource = revocation.zohoRequestsWhileKnownRevokedBySource;
      if (record.zohoRequests > 0)
        bySource[record.source] = (bySource[record.source] ?? 0) + record.zohoRequests;
    } else if (record.outcome === 'RefreshTokenRevokedError') {
      revocation.firstRevokedErrorAt = record.at;
      this.#refreshContainersAtFirstRevokedError = this.world.refreshContainers;
      revocation.scheduleDisabledAfterError = !this.world.mainSchedule().enabled;
      revocation.followUpPendingAfterError = this.world.followUpAt() !== undefined;
    }
  }
}
