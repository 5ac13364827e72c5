/**
 * The consumer library (`zoho-token-keeper/consumer`): what other Lambda functions use to read the
 * access token and call Zoho with it.
 * @module zoho-token-keeper/consumer
 */

export type { DeadlineAdvice } from './consumer-errors.js';
export {
  RefreshFunctionError,
  ZohoTokenDeadlineError,
  ZohoTokenExpiredError,
  ZohoTokenRejectedError,
} from './consumer-errors.js';
export type { DeadlineSource, StartTimer } from './deadline.js';
export { isInvalidTokenAnswer } from './invalid-token-answer.js';
export type { ZohoAccessToken } from './zoho-access-token.js';
export { ZohoTokenReader, type ZohoTokenReaderOptions } from './zoho-token-reader.js';
