import type { AccessTokenDocument } from '../lib/documents.js';
import type { RefreshDependencies } from './refresh-access-token.js';
import { followUpAfterSkip } from './refresh-policy.js';

/**
 * When a scheduled run skips a young token and the next scheduled run would come too late for it,
 * arms a follow-up at the first moment a refresh is allowed.
 */
export async function followUpForSkippedRun(
  deps: RefreshDependencies,
  stored: AccessTokenDocument,
  now: Date,
): Promise<string | undefined> {
  try {
    const { rateMinutes } = await deps.schedule.describe();
    const at = followUpAfterSkip(stored, rateMinutes, now);
    if (!at) return undefined;
    await deps.schedule.scheduleFollowUp(at);
    return at.toISOString();
  } catch (error) {
    deps.onSidePathFailure?.('arm follow-up after a skipped run', error);
    return undefined;
  }
}

/** A one-time follow-up run at `at`; a failure to arm it is told, never thrown. */
export async function armFollowUp(
  deps: RefreshDependencies,
  at: Date,
  why: string,
): Promise<string | undefined> {
  try {
    await deps.schedule.scheduleFollowUp(at);
    return at.toISOString();
  } catch (error) {
    deps.onSidePathFailure?.(`arm follow-up ${why}`, error);
    return undefined;
  }
}
