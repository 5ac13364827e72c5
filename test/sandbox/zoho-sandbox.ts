import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_ROUTES, faultReply, json, type SandboxAnswer, type SandboxReply } from './sandbox-answers.js';
import {
  DEFAULT_GRANT_CODE_TTL_SECONDS,
  type MintOutcome,
  THROTTLE_ANSWER,
  TokenLedger,
} from './token-ledger.js';

/**
 * A local stand-in for a Zoho data centre: its accounts server (token, revoke) and a tiny slice of
 * three Zoho APIs, over HTTP on 127.0.0.1 (`start`) or in-process without sockets (`inProcess`, reached
 * through `in-process-fetch.ts`). Both go through one core, `reply`. It answers the way Zoho's
 * documentation and bug reports say Zoho does (errors as HTTP 200 JSON, single-use grant codes,
 * throttles and caps), and can misbehave on demand.
 *
 * "Token endpoint" below means both `/oauth/v2/token` and `/oauth/v2/token/revoke`: both are
 * logged, counted in `tokenRequests` and subject to faults. API calls never are.
 */

/**
 * 'reset' drops the connection, 'hang' holds the request unanswered, 'lost-answer' does what was asked
 * (mints the token, spends the code) and then holds the request as if the answer was lost on the way.
 */
export type SandboxFault = 'server-error' | 'html' | 'reset' | 'hang' | 'lost-answer' | 'rate-limit';

export interface SandboxOptions {
  /** Epoch ms. @default Date.now */
  now?: () => number;
  /** @default 3600 */
  accessTokenLifetimeSeconds?: number;
  /** Returned as `api_domain`. @default the sandbox's own http://127.0.0.1:<port> */
  apiDomain?: string;
  /** Over HTTP, how long a held request ('hang', 'lost-answer') waits before it is dropped. @default 30000 */
  hangMs?: number;
  /**
   * Makes each grant code, refresh token and access token, e.g. from a seeded generator so that a
   * simulation replays the same tokens. @default random, in Zoho's `1000.<hex>.<hex>` shape
   */
  newToken?: () => string;
}

export interface SandboxStats {
  /** Requests to the token endpoint (token and revoke), faulted ones included. */
  readonly tokenRequests: number;
  /** Access tokens issued, by exchanges and refreshes. */
  readonly mints: number;
  readonly exchanges: number;
  readonly refreshes: number;
  /** Refreshes refused by the real 10-per-10-minutes throttle (not by an injected 'rate-limit' fault). */
  readonly rateLimited: number;
  /** Requests to the API endpoints, rejected ones included. */
  readonly apiCalls: number;
  readonly faultsServed: number;
}

export interface SandboxRequest {
  readonly method: string;
  readonly path: string;
  /** The raw query string without `?`; empty when the client kept everything in the body. */
  readonly query: string;
  readonly contentType: string | undefined;
  readonly body: Readonly<Record<string, string>>;
}

/** A request as the core sees it, whatever carried it. Header names are lower case. */
export interface SandboxHttpRequest {
  readonly method: string;
  readonly path: string;
  /** Without `?`. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** Where an in-process sandbox says it lives; `.invalid` never resolves, so nothing can reach it by accident. */
export const IN_PROCESS_SANDBOX_URL = 'https://accounts.zoho-sandbox.invalid';

const TOKEN_PATH = '/oauth/v2/token';
const REVOKE_PATH = '/oauth/v2/token/revoke';
const MAX_BODY_BYTES = 64 * 1024;

export type { SandboxAnswer, SandboxReply };

export class ZohoSandbox {
  private readonly ledger: TokenLedger;
  private readonly faultQueue: SandboxFault[] = [];
  private outage: SandboxFault | undefined;
  private readonly log: SandboxRequest[] = [];
  private readonly hangTimers = new Set<NodeJS.Timeout>();
  private readonly counters = {
    tokenRequests: 0,
    mints: 0,
    exchanges: 0,
    refreshes: 0,
    rateLimited: 0,
    apiCalls: 0,
    faultsServed: 0,
  };
  private readonly apiDomain: string;

  private constructor(
    private readonly server: Server | undefined,
    readonly url: string,
    private readonly options: SandboxOptions,
  ) {
    this.ledger = new TokenLedger(
      options.now ?? Date.now,
      (options.accessTokenLifetimeSeconds ?? 3600) * 1000,
      options.newToken,
    );
    this.apiDomain = options.apiDomain ?? url;
  }

  static async start(options: SandboxOptions = {}): Promise<ZohoSandbox> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const sandbox = new ZohoSandbox(server, `http://127.0.0.1:${port}`, options);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      sandbox.serveHttp(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          send(response, json(500, { error: 'sandbox_failure', detail: String(error) }));
        else response.destroy();
      });
    });
    return sandbox;
  }

  /** A sandbox with no server, at IN_PROCESS_SANDBOX_URL: reach it through `inProcessFetch`. */
  static inProcess(options: SandboxOptions = {}): ZohoSandbox {
    return new ZohoSandbox(undefined, IN_PROCESS_SANDBOX_URL, options);
  }

  registerClient(client: { clientId: string; clientSecret: string }): void {
    this.ledger.registerClient(client.clientId, client.clientSecret);
  }

  /** A Self Client grant code, as the API Console's Generate Code tab makes it. */
  issueGrantCode(input: { clientId: string; scope?: string; ttlSeconds?: number }): string {
    return this.ledger.issueGrantCode(
      input.clientId,
      input.scope,
      input.ttlSeconds ?? DEFAULT_GRANT_CODE_TTL_SECONDS,
    );
  }

  /** Queued: each applies to one of the next token-endpoint requests, in order. */
  injectFaults(...faults: SandboxFault[]): void {
    this.faultQueue.push(...faults);
  }

  /** Every token-endpoint request gets this fault (after any queued ones) until cleared with undefined. */
  setOutage(fault: SandboxFault | undefined): void {
    this.outage = fault;
  }

  revokeRefreshToken(refreshToken: string): void {
    this.ledger.deleteRefreshToken(refreshToken);
  }

  invalidateAccessToken(accessToken: string): void {
    this.ledger.invalidateAccessToken(accessToken);
  }

  /** A snapshot: read it again to see later counts. */
  get stats(): SandboxStats {
    return { ...this.counters };
  }

  requests(): ReadonlyArray<SandboxRequest> {
    return [...this.log];
  }

  mintsInLastTenMinutes(refreshToken: string): number {
    return this.ledger.mintsInLastTenMinutes(refreshToken);
  }

  isAccessTokenValid(accessToken: string): boolean {
    return this.ledger.isAccessTokenValid(accessToken);
  }

  isRefreshTokenActive(refreshToken: string): boolean {
    return this.ledger.isRefreshTokenActive(refreshToken);
  }

  /** Stops listening and ends every connection, hanging and keep-alive ones included. */
  async close(): Promise<void> {
    for (const timer of this.hangTimers) clearTimeout(timer);
    this.hangTimers.clear();
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** The one core both transports share: a request in, what to do with it out. */
  reply(request: SandboxHttpRequest): SandboxReply {
    if (request.path === TOKEN_PATH || request.path === REVOKE_PATH) return this.replyToken(request);
    const route = API_ROUTES[request.path];
    if (route && request.method === 'GET') {
      this.counters.apiCalls += 1;
      const token = bearerToken(request.headers.authorization);
      return this.ledger.isAccessTokenValid(token ?? '')
        ? json(200, route.ok)
        : json(401, route.unauthorized);
    }
    return json(404, {
      code: 'INVALID_URL_PATTERN',
      details: {},
      message: 'Please check if the URL trying to access is a correct one',
      status: 'error',
    });
  }

  private async serveHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const reply = this.reply({
      method: request.method ?? '',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      headers: flatHeaders(request.headers),
      body: await readBody(request),
    });
    if (reply.kind === 'answer') send(response, reply);
    else if (reply.kind === 'reset') request.socket.destroy();
    else this.holdSocket(request);
  }

  private holdSocket(request: IncomingMessage): void {
    const timer = setTimeout(() => {
      this.hangTimers.delete(timer);
      request.socket.destroy();
    }, this.options.hangMs ?? 30_000);
    this.hangTimers.add(timer);
    request.socket.once('close', () => {
      clearTimeout(timer);
      this.hangTimers.delete(timer);
    });
  }

  private replyToken(request: SandboxHttpRequest): SandboxReply {
    const contentType = request.headers['content-type'];
    const body = isUrlEncoded(contentType) ? Object.fromEntries(new URLSearchParams(request.body)) : {};
    this.counters.tokenRequests += 1;
    this.log.push({ method: request.method, path: request.path, query: request.query, contentType, body });

    const fault = this.faultQueue.shift() ?? this.outage;
    if (fault) this.counters.faultsServed += 1;
    if (fault && fault !== 'lost-answer') return faultReply(fault);
    if (request.method !== 'POST') return json(405, { error: 'method_not_allowed' });
    // Zoho reads parameters from the query string too; the body wins when both carry one.
    const params = { ...Object.fromEntries(new URLSearchParams(request.query)), ...body };
    const answer = request.path === REVOKE_PATH ? this.answerRevoke(params) : this.answerToken(params);
    return fault === 'lost-answer' ? { kind: 'hold' } : answer;
  }

  private answerToken(params: Record<string, string>): SandboxReply {
    const { grant_type: grantType, client_id: clientId, client_secret: clientSecret } = params;
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      return json(200, { error: 'unsupported_grant_type' });
    }
    const credential = grantType === 'authorization_code' ? params.code : params.refresh_token;
    if (!clientId || !clientSecret || !credential) return json(200, { error: 'invalid_request' });
    const outcome =
      grantType === 'authorization_code'
        ? this.ledger.exchange(clientId, clientSecret, credential)
        : this.ledger.refresh(clientId, clientSecret, credential);
    return this.mintAnswer(outcome, grantType === 'authorization_code');
  }

  private mintAnswer(outcome: MintOutcome, isExchange: boolean): SandboxReply {
    if (outcome.kind === 'throttled') {
      this.counters.rateLimited += 1;
      return json(200, THROTTLE_ANSWER);
    }
    if (outcome.kind === 'error') return json(200, { error: outcome.error });
    this.counters.mints += 1;
    if (isExchange) this.counters.exchanges += 1;
    else this.counters.refreshes += 1;
    return json(200, {
      access_token: outcome.accessToken,
      ...(isExchange ? { refresh_token: outcome.refreshToken } : {}),
      ...(outcome.scope !== undefined ? { scope: outcome.scope } : {}),
      api_domain: this.apiDomain,
      token_type: 'Bearer',
      expires_in: this.options.accessTokenLifetimeSeconds ?? 3600,
    });
  }

  private answerRevoke(params: Record<string, string>): SandboxReply {
    const token = params.token;
    if (token && this.ledger.revoke(token)) return json(200, { status: 'success' });
    return json(400, { status: 'failure', error: 'invalid_token' });
  }
}

function send(response: ServerResponse, answer: SandboxAnswer): void {
  response.writeHead(answer.status, answer.headers).end(answer.body);
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
  );
}

function isUrlEncoded(contentType: string | undefined): boolean {
  return contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded') ?? false;
}

/** Zoho accepts `Zoho-oauthtoken <token>` and, per its accounts docs, `Bearer <token>`. */
function bearerToken(header: string | undefined): string | undefined {
  const match = /^(?:Zoho-oauthtoken|Bearer)\s+(\S+)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
