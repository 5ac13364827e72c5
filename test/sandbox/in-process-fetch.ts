import type { ZohoSandbox } from './zoho-sandbox.js';

export interface InProcessFetchOptions {
  /**
   * Microtask turns to wait before the sandbox takes a request, and again before its answer is handed
   * back. Concurrent requests resolve in the order these turns make, not in the machine's.
   * @default () => 0
   */
  readonly turns?: () => number;
  /**
   * Told when the sandbox holds a request unanswered ('hang', 'lost-answer'). The request then waits
   * for its signal, so whoever owns the clock decides when its client gives up.
   */
  readonly onHeld?: (signal: AbortSignal | undefined) => void;
}

/**
 * A `fetch` that hands each request to the sandbox's core without sockets or timers, and fails the way
 * undici does: a dropped connection is `TypeError('fetch failed')` with the network code in `cause`,
 * and an aborted request rejects with its signal's reason.
 */
export function inProcessFetch(
  sandbox: Pick<ZohoSandbox, 'reply'>,
  options: InProcessFetchOptions = {},
): typeof fetch {
  const turns = options.turns ?? (() => 0);
  return async (input, init) => {
    const request = new Request(input, init);
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const body = await request.text();
    await waitTurns(turns(), signal);
    const url = new URL(request.url);
    const reply = sandbox.reply({
      method: request.method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      headers: Object.fromEntries(request.headers),
      body,
    });
    if (reply.kind === 'reset') throw connectionReset();
    if (reply.kind === 'hold') {
      options.onHeld?.(signal ?? undefined);
      return untilAborted(signal);
    }
    await waitTurns(turns(), signal);
    return new Response(reply.body, { status: reply.status, headers: reply.headers });
  };
}

async function waitTurns(count: number, signal: AbortSignal | null | undefined): Promise<void> {
  for (let turn = 0; turn < count; turn += 1) await Promise.resolve();
  signal?.throwIfAborted();
}

function untilAborted(signal: AbortSignal | null | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (!signal) return;
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function connectionReset(): TypeError {
  const cause = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' });
  return new TypeError('fetch failed', { cause });
}
