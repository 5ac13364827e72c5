import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ConnectionItem } from '../../functions/lib/store/connection-item.js';
import { decideRefresh } from '../../functions/refresh/refresh-policy.js';
import { type KeeperWorld, NAMES, type RunRecord } from './keeper-world.js';
import type { SimulatedClock } from './simulated-clock.js';

/** What an administrator did to the access-token secret in the console. */
export type SecretEditKind =
  | 'restored previous version'
  | 'old copy saved by hand'
  | 'malformed value saved by hand';

export interface SecretEditRecord {
  readonly kind: SecretEditKind;
  readonly at: number;
  /** The state the keeper had stored when the secret was edited: what its next run decides from. */
  readonly item: ConnectionItem | undefined;
  /** The first refresh run after the edit. */
  nextRun: RunRecord | undefined;
  /** The reason that run should give: `secret-replaced` when it would have left a young token alone. */
  expectedReason: string | undefined;
  /** After that run, the secret served a token Zoho accepts, minted after the edit. */
  storedValidAfter: boolean | undefined;
}

/** Two operators connecting at once: two exchanges started in the same moment. */
export interface ConnectPairRecord {
  readonly at: number;
  /** Each exchange's status, or the name of the error it failed with. */
  readonly outcomes: readonly string[];
  /** Refresh tokens Zoho issued to the two exchanges. */
  readonly issued: number;
  readonly storedRefreshTokenActive: boolean;
  /** The stored access token is one Zoho accepts, minted from the stored refresh token. */
  readonly storedTokenFromIt: boolean;
  /** The refresh token connected before, and any issued one not stored, still active at Zoho. */
  readonly replacedStillActive: number;
  readonly stateAfter: string;
}

/** A consumer whose every call Zoho rejects, for a reason a new token cannot fix, forcing refreshes. */
export interface RejectedStretch {
  readonly start: number;
  readonly end: number;
  /** Times the consumer was invoked (and asked for a new token). */
  ticks: number;
  /** The refresh runs its requests caused, in order. */
  readonly runs: RunRecord[];
  /** What the consumer's reader answered, by outcome: a new token, or the error's name. */
  readonly answers: Record<string, number>;
}

/**
 * Watches the access-token secret's versions and what the scenarios of the state design do to it:
 * an administrator restoring or re-saving it, two connects at once, a consumer forcing refreshes
 * all day. Each action is one simulated event; what it left is noted once it is through.
 */
export class WriteRecorder {
  /** When each version of the access-token secret was created, by the keeper or by hand. */
  readonly accessTokenVersionTimes: number[] = [];
  readonly edits: SecretEditRecord[] = [];
  readonly connectPairs: ConnectPairRecord[] = [];
  readonly rejectedStretches: RejectedStretch[] = [];
  #versions: number;

  constructor(
    private readonly world: KeeperWorld,
    private readonly clock: SimulatedClock,
  ) {
    this.#versions = world.secrets.versionCount(NAMES.accessTokenSecret);
    world.onRun((record) => {
      this.noteVersions();
      this.#watchEdits(record);
    });
  }

  /** Versions are created within events, on a clock that stands still during each: noted at its time. */
  noteVersions(): void {
    const count = this.world.secrets.versionCount(NAMES.accessTokenSecret);
    for (; this.#versions < count; this.#versions += 1) this.accessTokenVersionTimes.push(this.clock.nowMs());
  }

  /** The console's "restore previous version": AWSCURRENT moves back one version. */
  async restorePreviousVersion(): Promise<void> {
    const item = this.world.state.current();
    await this.world.secrets.restorePreviousVersion(NAMES.accessTokenSecret);
    this.#edited('restored previous version', item);
  }

  /** The access-token secret's value as the console shows it now, for a later paste. */
  copyOfAccessTokenSecret(): string {
    return this.world.secrets.valueOf(NAMES.accessTokenSecret) ?? '{}';
  }

  /** An administrator saves a value by hand: a PutSecretValue with a token of the console's own. */
  async saveByHand(
    kind: Exclude<SecretEditKind, 'restored previous version'>,
    value: string,
    clientRequestToken: string,
  ): Promise<void> {
    const item = this.world.state.current();
    await new SecretsManagerClient({ region: 'eu-west-1' }).send(
      new PutSecretValueCommand({
        SecretId: NAMES.accessTokenSecret,
        SecretString: value,
        ClientRequestToken: clientRequestToken,
      }),
    );
    this.noteVersions();
    this.#edited(kind, item);
  }

  /** Two operators run the connect at the same moment, each with a grant code of their own. */
  async connectTwiceAtOnce(): Promise<void> {
    const { world } = this;
    const replaced = world.storedRefreshToken();
    const known = new Set(world.mintTimes.keys());
    const outcomes = await Promise.all(
      [0, 1].map(() =>
        world.exchange({ withClient: false }).then(
          (result) => result.status as string,
          (error: unknown) => (error instanceof Error ? error.name : 'Error'),
        ),
      ),
    );
    // An exchange mints an access token from the refresh token it is issued: new origins are new refresh tokens.
    const issued = [...world.mintTimes.keys()].filter((token) => !known.has(token));
    const stored = world.storedRefreshToken();
    const others = [replaced, ...issued].filter((token) => token !== undefined && token !== stored);
    this.connectPairs.push({
      at: this.clock.nowMs(),
      outcomes,
      issued: issued.length,
      storedRefreshTokenActive: stored !== undefined && world.sandbox.isRefreshTokenActive(stored),
      storedTokenFromIt:
        world.storedTokenIsUsable() &&
        world.originOf(world.storedAccessToken()?.access_token ?? '') === stored,
      replacedStillActive: others.filter((token) => token && world.sandbox.isRefreshTokenActive(token))
        .length,
      stateAfter: world.state.current()?.state ?? 'none',
    });
  }

  rejectedConsumerStarts(start: number, end: number): RejectedStretch {
    const stretch: RejectedStretch = { start, end, ticks: 0, runs: [], answers: {} };
    this.rejectedStretches.push(stretch);
    return stretch;
  }

  /**
   * The rejected consumer is invoked: a new container reads the token, Zoho rejects its call (another
   * data centre's API domain, a missing scope), and its reader asks the refresh function for a new one.
   */
  async rejectedConsumerCalls(stretch: RejectedStretch): Promise<void> {
    stretch.ticks += 1;
    const runsBefore = this.world.runs.length;
    const reader = this.world.createReader('rejected');
    let answer = 'new token';
    try {
      await reader.recover(await reader.getToken());
    } catch (error) {
      answer = error instanceof Error ? error.name : 'Error';
    }
    stretch.answers[answer] = (stretch.answers[answer] ?? 0) + 1;
    stretch.runs.push(...this.world.runs.slice(runsBefore));
  }

  #edited(kind: SecretEditKind, item: ConnectionItem | undefined): void {
    this.edits.push({
      kind,
      at: this.clock.nowMs(),
      item,
      nextRun: undefined,
      expectedReason: undefined,
      storedValidAfter: undefined,
    });
  }

  #watchEdits(record: RunRecord): void {
    if (record.source === 'exchange' || record.source === 'disconnect' || record.source === 'status') return;
    for (const edit of this.edits) {
      if (edit.nextRun !== undefined) continue;
      edit.nextRun = record;
      edit.expectedReason = expectedReason(edit.item, record);
      edit.storedValidAfter = this.#storesTokenMintedSince(edit.at);
    }
  }

  #storesTokenMintedSince(at: number): boolean {
    try {
      const stored = this.world.storedAccessToken();
      return (
        stored !== undefined && Date.parse(stored.refreshed_at) >= at && this.world.storedTokenIsUsable()
      );
    } catch {
      // Still the malformed value saved by hand: nothing was stored over it.
      return false;
    }
  }
}

/**
 * The reason a run that found the secret edited should give: what it would have decided from the
 * keeper's state alone, and `secret-replaced` when that was to leave a young token as it was.
 */
function expectedReason(item: ConnectionItem | undefined, run: RunRecord): string | undefined {
  if (!item) return undefined;
  const decision = decideRefresh(item, run.force, new Date(run.at));
  return decision.refresh ? decision.reason : 'secret-replaced';
}
