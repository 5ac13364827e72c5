const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Parses a server origin (`https://host[:port]`), allowing plain `http` only for a loopback host so
 * that tokens never travel unencrypted outside a test machine. Returns the normalised origin, or a
 * reason it was refused.
 */
export function parseServerOrigin(value: string): { origin: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { problem: 'is not a URL' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return { problem: 'must use https (plain http is accepted only for 127.0.0.1, localhost or [::1])' };
  }
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    return {
      problem: 'must be a bare server address such as https://accounts.zoho.eu, with no path or query',
    };
  }
  return { origin: url.origin };
}
