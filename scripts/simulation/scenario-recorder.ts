import type { ConnectionState } from '../../functions/lib/connection-status.js';
import type { SandboxFault } from '../../test/sandbox/zoho-sandbox.js';
import type { KeeperWorld, RunRecord } from './keeper-world.js';
import type { SimulatedClock } from './simulated-clock.js';
import { WriteRecorder } from './write-recorder.js';

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
  readonly revokedRefreshToken: string;
  firstRevokedErrorAt: number | undefined;
  /** The connection state stored once the first RefreshTokenRevokedError was seen. */
  stateAfterError: ConnectionState | undefined;
  followUpPendingAfterError: boolean | undefined;
  /** Refreshes with the revoked refresh token that had reached Zoho when the first error was seen. */
  refreshesWithRevokedTokenAtError: number;
  reconnectedAt: number | undefined;
  stateAfterReconnect: ConnectionState | undefined;
}

/** An operator's reconnect or disconnect while a refresh waited on Zoho's answer. */
export interface OverlapRecord {
  readonly kind: 'reconnect' | 'disconnect';
  readonly at: number;
  /** The refresh token the operator's action replaced (and revoked). */
  readonly replacedRefreshToken: string | undefined;
  /** A reconnect's new refresh token, as Zoho issued it. */
  issuedRefreshToken: string | undefined;
  /** What became of the refresh whose answer was held: its outcome. */
  heldRunOutcome: string | undefined;
  /** Once everything in flight settled: the stored state is the operator's. */
  settled: boolean;
  storedAsOperatorLeftIt: boolean | undefined;
  replacedRevokedAtZoho: boolean | undefined;
  /** Disconnects: the reconnect that ended the disconnected stretch. */
  reconnectedAt: number | undefined;
  tokenRequestsAtSettle: number;
  /** Requests to Zoho's token endpoint between the settled disconnect and the reconnect. */
  zohoRequestsWhileDisconnected: number | undefined;
  /** Refresh runs between the settled disconnect and the reconnect, by source and outcome. */
  readonly runsWhileDisconnected: Record<string, number>;
}

/** A deploy that put the refresh schedule back to the template's definition. */
export interface DeployRecord {
  readonly at: number;
  readonly enabledAfter: boolean;
  /** The outcome of the first scheduled run after the deploy. */
  nextScheduledOutcome: string | undefined;
}

/**
 * Watches a scenario's scripted disruptions: when each began and ended, what the keeper did about
 * it, and when a usable token was stored again.
 */
export class ScenarioRecorder {
  readonly disruptions: ZohoDisruption[] = [];
  revocation: RevocationRecord | undefined;
  readonly overlaps: OverlapRecord[] = [];
  readonly deploys: DeployRecord[] = [];
  /** The access-token secret's versions, and the scenarios that write it from outside the keeper. */
  readonly writes: WriteRecorder;
  /** Events after which the secret held a token minted from a refresh token already replaced. */
  eventsEndingWithReplacedToken = 0;
  #requestsAtStart = 0;
  /** The overlap whose held refresh has not finished yet. */
  #awaitingHeldRun: OverlapRecord | undefined;

  constructor(
    private readonly world: KeeperWorld,
    private readonly clock: SimulatedClock,
  ) {
    this.writes = new WriteRecorder(world, clock);
    world.onRun((record) => {
      this.#watchRevocation(record);
      this.#watchOverlaps(record);
      this.#watchDeploys(record);
    });
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
      revokedRefreshToken: refreshToken,
      firstRevokedErrorAt: undefined,
      stateAfterError: undefined,
      followUpPendingAfterError: undefined,
      refreshesWithRevokedTokenAtError: 0,
      reconnectedAt: undefined,
      stateAfterReconnect: undefined,
    };
  }

  /**
   * The next refresh that reaches Zoho has its answer held while the operator acts: a reconnect with a
   * new grant code (no client), or a disconnect.
   */
  duringNextRefresh(kind: OverlapRecord['kind']): void {
    this.world.duringNextRefreshAnswer(async () => {
      const overlap: OverlapRecord = {
        kind,
        at: this.clock.nowMs(),
        replacedRefreshToken: this.world.storedRefreshToken(),
        issuedRefreshToken: undefined,
        heldRunOutcome: undefined,
        settled: false,
        storedAsOperatorLeftIt: undefined,
        replacedRevokedAtZoho: undefined,
        reconnectedAt: undefined,
        tokenRequestsAtSettle: 0,
        zohoRequestsWhileDisconnected: undefined,
        runsWhileDisconnected: {},
      };
      this.overlaps.push(overlap);
      this.#awaitingHeldRun = overlap;
      if (kind === 'reconnect') {
        await this.world.exchange({ withClient: false });
        overlap.issuedRefreshToken = this.world.lastIssuedRefreshToken;
      } else {
        await this.world.disconnect();
      }
    });
  }

  /** The operator connects again after a disconnect. */
  async reconnectAfterDisconnect(): Promise<void> {
    const overlap = this.overlaps.findLast((candidate) => candidate.kind === 'disconnect');
    if (overlap?.settled && overlap.reconnectedAt === undefined) {
      overlap.zohoRequestsWhileDisconnected =
        this.world.sandbox.stats.tokenRequests - overlap.tokenRequestsAtSettle;
      overlap.reconnectedAt = this.clock.nowMs();
    }
    await this.world.exchange({ withClient: false });
  }

  deployed(): void {
    this.deploys.push({
      at: this.clock.nowMs(),
      enabledAfter: this.world.mainSchedule().enabled,
      nextScheduledOutcome: undefined,
    });
  }

  /** Called after every event: notes when the stored token stops and starts being usable around disruptions. */
  afterEvent(): void {
    this.writes.noteVersions();
    if (this.overlaps.length > 0) this.#afterOverlapEvent();
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

  #afterOverlapEvent(): void {
    if (!this.world.idle) return;
    const storedOrigin = this.world.originOf(this.world.storedAccessToken()?.access_token ?? '');
    if (storedOrigin !== undefined && this.world.replacedRefreshTokens.has(storedOrigin))
      this.eventsEndingWithReplacedToken += 1;
    for (const overlap of this.overlaps) {
      if (overlap.settled || overlap.heldRunOutcome === undefined) continue;
      overlap.settled = true;
      overlap.tokenRequestsAtSettle = this.world.sandbox.stats.tokenRequests;
      const record = this.world.storedRecord();
      const refreshToken = this.world.storedRefreshToken();
      overlap.storedAsOperatorLeftIt =
        overlap.kind === 'reconnect'
          ? record.state === 'connected' &&
            refreshToken !== undefined &&
            refreshToken === overlap.issuedRefreshToken &&
            this.world.originOf(record.token?.access_token ?? '') === refreshToken &&
            this.world.storedTokenIsUsable()
          : record.state === 'not-connected' && record.token === undefined && refreshToken === undefined;
      overlap.replacedRevokedAtZoho =
        overlap.replacedRefreshToken !== undefined &&
        !this.world.sandbox.isRefreshTokenActive(overlap.replacedRefreshToken);
    }
  }

  #watchOverlaps(record: RunRecord): void {
    if (!isRefreshRun(record)) return;
    const awaiting = this.#awaitingHeldRun;
    if (awaiting && record.zohoRequests > 0) {
      awaiting.heldRunOutcome = record.outcome;
      this.#awaitingHeldRun = undefined;
      return;
    }
    const open = this.overlaps.find(
      (overlap) => overlap.kind === 'disconnect' && overlap.settled && overlap.reconnectedAt === undefined,
    );
    if (open) {
      const key = `${record.source} ${record.outcome}`;
      open.runsWhileDisconnected[key] = (open.runsWhileDisconnected[key] ?? 0) + 1;
    }
  }

  #watchDeploys(record: RunRecord): void {
    if (record.source !== 'schedule') return;
    for (const deploy of this.deploys) deploy.nextScheduledOutcome ??= record.outcome;
  }

  #watchRevocation(record: RunRecord): void {
    const revocation = this.revocation;
    if (!revocation) return;
    if (record.source === 'exchange') {
      revocation.reconnectedAt ??= record.outcome === 'connected' ? record.at : undefined;
      revocation.stateAfterReconnect = this.world.storedRecord().state;
      return;
    }
    if (revocation.firstRevokedErrorAt !== undefined || record.outcome !== 'RefreshTokenRevokedError') return;
    revocation.firstRevokedErrorAt = record.at;
    revocation.stateAfterError = this.world.storedRecord().state;
    revocation.followUpPendingAfterError = this.world.followUpAt() !== undefined;
    revocation.refreshesWithRevokedTokenAtError =
      this.world.refreshGrantTimes.get(revocation.revokedRefreshToken)?.length ?? 0;
  }
}

function isRefreshRun(record: RunRecord): boolean {
  return record.source !== 'exchange' && record.source !== 'disconnect' && record.source !== 'status';
}
