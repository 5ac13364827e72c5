/**
 * The consumer library (`zoho-token-keeper/consumer`): what other Lambda functions use to read the
 * access token and call Zoho with it.
 * @module zoho-token-keeper/consumer
 */

export type { DeadlineAdvice, DeadlineSource } from './consumer-errors.js';
export {
  RefreshFunctionError,
  ZohoTokenDeadlineError,
  ZohoTokenExpiredError,
  ZohoTokenRejectedError,
} from './consumer-errors.js';
export type { StartTimer } from './deadline.js';
export { isInvalidTokenAnswer } from './invalid-token-answer.js';
export type { ZohoAccessToken } from './zoho-access-token.js';
export { ZohoTokenReader, type ZohoTokenReaderOptions } from './zoho-token-reader.js';
