/**
 * The `zoho-token-keeper/middy` entry: the middy middleware, apart from the reader so that code
 * using only `ZohoTokenReader` needs neither `@middy/core` nor its types.
 * @module zoho-token-keeper/middy
 */
export {
  type ZohoContext,
  type ZohoTokenMiddleware,
  type ZohoTokenMiddlewareOptions,
  zohoToken,
} from './zoho-token-middleware.js';
