import type { Context } from 'aws-lambda';
import type { ZohoAccessToken } from '../consumer/zoho-access-token.js';
import { ZohoTokenReader } from '../consumer/zoho-token-reader.js';

/** What the middleware adds to the Lambda context. */
export interface ZohoContext {
  zoho: {
    /** The token at the start of the invocation; `fetch` always uses the current one. */
    readonly token: ZohoAccessToken;
    /** A Zoho API call on the connection's api_domain, retried once with a new token if Zoho rejects it. */
    readonly fetch: (path: string, init?: RequestInit) => Promise<Response>;
  };
}

export interface ZohoTokenMiddlewareOptions {
  /** @default a reader configured from the environment, created with the middleware (at cold start) */
  readonly reader?: ZohoTokenReader;
}

/**
 * A middy middleware object. Declared here rather than taken from `@middy/core`, so that this
 * entry's types load without middy installed; middy's `MiddlewareObj` accepts it, and `.use()`
 * infers the handler's `Context & ZohoContext` from `before`.
 */
export interface ZohoTokenMiddleware {
  readonly name: 'zohoToken';
  readonly before: (request: { readonly context: Context & ZohoContext }) => Promise<void>;
}

/**
 * A middy middleware that puts the Zoho access token on `context.zoho` before the handler runs:
 * at most one read per invocation, and usually none, since the reader keeps the token in memory.
 */
export function zohoToken(options: ZohoTokenMiddlewareOptions = {}): ZohoTokenMiddleware {
  const reader = options.reader ?? new ZohoTokenReader();
  const fetch = (path: string, init?: RequestInit) => reader.fetch(path, init);
  return {
    name: 'zohoToken',
    before: async ({ context }) => {
      // Waits for a busy refresh function never outlast the invocation.
      if (typeof context.getRemainingTimeInMillis === 'function') {
        reader.boundWaitsBy(() => context.getRemainingTimeInMillis());
      }
      const zoho: ZohoContext['zoho'] = { token: await reader.getToken(), fetch };
      // Not enumerable: a handler that logs its context (console.log, JSON.stringify, a logger's
      // addContext) must not write the bearer token into its log.
      Object.defineProperty(context, 'zoho', {
        value: zoho,
        enumerable: false,
        configurable: true,
        writable: true,
      });
    },
  };
}
