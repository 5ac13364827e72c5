import { ENV } from '../environment.js';
import { ConfigError } from '../errors.js';

/** EventBridge Scheduler's limit on schedule names. */
const MAX_SCHEDULE_NAME_LENGTH = 64;
const FOLLOW_UP_SUFFIX = '-retry';

/** The one-time follow-up's name. The infrastructure scopes IAM with it too, so it lives here once. */
export function followUpScheduleName(scheduleName: string): string {
  const name = `${scheduleName}${FOLLOW_UP_SUFFIX}`;
  if (name.length > MAX_SCHEDULE_NAME_LENGTH) {
    const limit = MAX_SCHEDULE_NAME_LENGTH - FOLLOW_UP_SUFFIX.length;
    throw new ConfigError(
      `${ENV.refreshScheduleName} is ${scheduleName.length} characters long; it may have at most ${limit} so ` +
        `that its follow-up schedule (the name plus "${FOLLOW_UP_SUFFIX}") fits EventBridge Scheduler's ` +
        `${MAX_SCHEDULE_NAME_LENGTH}-character limit. Choose a shorter schedule name and redeploy.`,
    );
  }
  return name;
}
