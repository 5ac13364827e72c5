import type { ZohoAccessToken } from './zoho-access-token.js';

/**
 * Refuses anything but a path on the API domain: the token goes to the connection's own
 * `api_domain` and nowhere else, whatever string a caller builds.
 */
export function assertApiPath(path: string): void {
  if (!path.startsWith('/') || path.startsWith('//')) {
    throw new TypeError(
      'ZohoTokenReader.fetch takes a path such as "/crm/v8/users?type=CurrentUser"; the host is always the ' +
        "connection's api_domain, so that the token is never sent anywhere else.",
    );
  }
}

/** How a request reaches Zoho: the global `fetch`, or a transport of the caller's choosing. */
export type ZohoFetch = (url: string, init: RequestInit) => Promise<Response>;

export function callZohoApi(
  send: ZohoFetch,
  token: ZohoAccessToken,
  path: string,
  init: RequestInit,
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', token.authorizationHeader);
  return send(`${token.apiBaseUrl}${path}`, { ...init, headers });
}

/** A streamed request body is consumed by the first attempt and cannot be sent again. */
export function canSendAgain(init: RequestInit): boolean {
  return !(init.body instanceof ReadableStream);
}

/** The answer's JSON body, or undefined when it has none; reads a clone so the caller still can. */
export async function peekJson(response: Response): Promise<unknown> {
  try {
    return JSON.parse(await response.clone().text());
  } catch {
    return undefined;
  }
}
