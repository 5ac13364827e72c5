import type { RefreshSchedule } from '../lib/schedule/refresh-schedule.js';

export interface FollowUpDependencies {
  readonly schedule: Pick<RefreshSchedule, 'scheduleFollowUp' | 'cancelFollowUp'>;
  readonly onSidePathFailure?: (action: string, error: unknown) => void;
}

/** A one-time follow-up run at `at`; a failure to arm it is told, never thrown. */
export async function armFollowUp(
  deps: FollowUpDependencies,
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

/** No run may call Zoho any more (the refresh token is revoked): a pending follow-up would only wake for nothing. */
export async function cancelFollowUp(deps: FollowUpDependencies): Promise<void> {
  try {
    await deps.schedule.cancelFollowUp();
  } catch (error) {
    deps.onSidePathFailure?.('cancel the pending follow-up', error);
  }
}
