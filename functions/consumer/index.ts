export { RefreshFunctionError, ZohoTokenExpiredError, ZohoTokenRejectedError } from './consumer-errors.js';
export { isInvalidTokenAnswer } from './invalid-token-answer.js';
export type { ZohoAccessToken } from './zoho-access-token.js';
export { ZohoTokenReader, type ZohoTokenReaderOptions } from './zoho-token-reader.js';
