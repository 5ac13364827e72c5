import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ZohoAccessToken } from './zoho-access-token.js';
import { ZohoTokenReader } from './zoho-token-reader.js';

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
 * A middy middleware that puts the Zoho access token on `context.zoho` before the handler runs:
 * at most one read per invocation, and usually none, since the reader keeps the token in memory.
 */
export function zohoToken(
  options: ZohoTokenMiddlewareOptions = {},
): MiddlewareObj<unknown, unknown, Error, Context & ZohoContext> {
  const reader = options.reader ?? new ZohoTokenReader();
  const fetch = (path: string, init?: RequestInit) => reader.fetch(path, init);
  return {
    name: 'zohoToken',
    before: async (request) => {
      const { context } = request;
      // Waits for a busy refresh function never outlast the invocation.
      if (typeof context.getRemainingTimeInMillis === 'function') {
        reader.boundWaitsBy(() => context.getRemainingTimeInMillis());
      }
      request.context.zoho = { token: await reader.getToken(), fetch };
    },
  };
}
