import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_GRANT_CODE_TTL_SECONDS,
  type MintOutcome,
  THROTTLE_ANSWER,
  TokenLedger,
} from './token-ledger.js';

/**
 * A local stand-in for a Zoho data centre: its accounts server (token, revoke) and a tiny slice of
 * three Zoho APIs, on 127.0.0.1. It answers the way Zoho's documentation and bug reports say Zoho does
 * (errors as HTTP 200 JSON, single-use grant codes, throttles and caps), and can misbehave on demand.
 *
 * "Token endpoint" below means both `/oauth/v2/token` and `/oauth/v2/token/revoke`: both are
 * logged, counted in `tokenRequests` and subject to faults. API calls never are.
 */

export type SandboxFault = 'server-error' | 'html' | 'reset' | 'hang' | 'rate-limit';

export interface SandboxOptions {
  /** Epoch ms. @default Date.now */
  now?: () => number;
  /** @default 3600 */
  accessTokenLifetimeSeconds?: number;
  /** Returned as `api_domain`. @default the sandbox's own http://127.0.0.1:<port> */
  apiDomain?: string;
  /** How long a 'hang' fault holds the request before destroying it. @default 30000 */
  hangMs?: number;
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

const TOKEN_PATH = '/oauth/v2/token';
const REVOKE_PATH = '/oauth/v2/token/revoke';
const MAX_BODY_BYTES = 64 * 1024;

const SANDBOX_USER = { id: '5725767000000411001', full_name: 'Sandbox User', email: 'user@example.com' };

/** Each API answers an unusable token in its own product's dialect. */
const API_ROUTES: Readonly<Record<string, { readonly ok: unknown; readonly unauthorized: unknown }>> = {
  '/crm/v8/users': {
    ok: { users: [SANDBOX_USER] },
    unauthorized: { code: 'INVALID_TOKEN', details: {}, message: 'invalid oauth token', status: 'error' },
  },
  '/books/v3/organizations': {
    ok: {
      code: 0,
      message: 'success',
      organizations: [{ organization_id: '10234695', name: 'Sandbox Org' }],
    },
    unauthorized: { code: 57, message: 'You are not authorized to perform this operation' },
  },
  '/api/v1/tickets': {
    ok: { data: [] },
    unauthorized: { errorCode: 'INVALID_OAUTH', message: 'The OAuth Token you provided is invalid.' },
  },
};

const MAINTENANCE_PAGE =
  '<!DOCTYPE html><html><head><title>Zoho Accounts</title></head>' +
  '<body><h1>We are under maintenance</h1><p>Please try again after some time.</p></body></html>';

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
    private readonly server: Server,
    readonly url: string,
    private readonly options: SandboxOptions,
  ) {
    this.ledger = new TokenLedger(
      options.now ?? Date.now,
      (options.accessTokenLifetimeSeconds ?? 3600) * 1000,
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
      sandbox.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          sendJson(response, 500, { error: 'sandbox_failure', detail: String(error) });
        else response.destroy();
      });
    });
    return sandbox;
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
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === TOKEN_PATH || url.pathname === REVOKE_PATH) {
      await this.handleTokenEndpoint(request, response, url);
      return;
    }
    const route = API_ROUTES[url.pathname];
    if (route && request.method === 'GET') {
      this.counters.apiCalls += 1;
      const token = bearerToken(request.headers.authorization);
      if (token !== undefined && this.ledger.isAccessTokenValid(token)) sendJson(response, 200, route.ok);
      else sendJson(response, 401, route.unauthorized);
      return;
    }
    sendJson(response, 404, {
      code: 'INVALID_URL_PATTERN',
      details: {},
      message: 'Please check if the URL trying to access is a correct one',
      status: 'error',
    });
  }

  private async handleTokenEndpoint(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> {
    const rawBody = await readBody(request);
    const contentType = request.headers['content-type'];
    const body = isUrlEncoded(contentType) ? Object.fromEntries(new URLSearchParams(rawBody)) : {};
    this.counters.tokenRequests += 1;
    this.log.push({
      method: request.method ?? '',
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      contentType,
      body,
    });

    const fault = this.faultQueue.shift() ?? this.outage;
    if (fault) {
      this.counters.faultsServed += 1;
      this.serveFault(fault, request, response);
      return;
    }
    if (request.method !== 'POST') {
      sendJson(response, 405, { error: 'method_not_allowed' });
      return;
    }
    // Zoho reads parameters from the query string too; the body wins when both carry one.
    const params = { ...Object.fromEntries(url.searchParams), ...body };
    if (url.pathname === REVOKE_PATH) this.answerRevoke(response, params);
    else this.answerToken(response, params);
  }

  private answerToken(response: ServerResponse, params: Record<string, string>): void {
    const { grant_type: grantType, client_id: clientId, client_secret: clientSecret } = params;
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      sendJson(response, 200, { error: 'unsupported_grant_type' });
      return;
    }
    const credential = grantType === 'authorization_code' ? params.code : params.refresh_token;
    if (!clientId || !clientSecret || !credential) {
      sendJson(response, 200, { error: 'invalid_request' });
      return;
    }
    const outcome =
      grantType === 'authorization_code'
        ? this.ledger.exchange(clientId, clientSecret, credential)
        : this.ledger.refresh(clientId, clientSecret, credential);
    this.sendMintOutcome(response, outcome, grantType === 'authorization_code');
  }

  private sendMintOutcome(response: ServerResponse, outcome: MintOutcome, isExchange: boolean): void {
    if (outcome.kind === 'throttled') {
      this.counters.rateLimited += 1;
      sendJson(response, 200, THROTTLE_ANSWER);
      return;
    }
    if (outcome.kind === 'error') {
      sendJson(response, 200, { error: outcome.error });
      return;
    }
    this.counters.mints += 1;
    if (isExchange) this.counters.exchanges += 1;
    else this.counters.refreshes += 1;
    sendJson(response, 200, {
      access_token: outcome.accessToken,
      ...(isExchange ? { refresh_token: outcome.refreshToken } : {}),
      ...(outcome.scope !== undefined ? { scope: outcome.scope } : {}),
      api_domain: this.apiDomain,
      token_type: 'Bearer',
      expires_in: this.options.accessTokenLifetimeSeconds ?? 3600,
    });
  }

  private answerRevoke(response: ServerResponse, params: Record<string, string>): void {
    const token = params.token;
    if (token && this.ledger.revoke(token)) sendJson(response, 200, { status: 'success' });
    else sendJson(response, 400, { status: 'failure', error: 'invalid_token' });
  }

  private serveFault(fault: SandboxFault, request: IncomingMessage, response: ServerResponse): void {
    switch (fault) {
      case 'server-error':
        response.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
        return;
      case 'html':
        response.writeHead(200, { 'content-type': 'text/html;charset=UTF-8' }).end(MAINTENANCE_PAGE);
        return;
      case 'rate-limit':
        sendJson(response, 200, THROTTLE_ANSWER);
        return;
      case 'reset':
        request.socket.destroy();
        return;
      case 'hang': {
        const timer = setTimeout(() => {
          this.hangTimers.delete(timer);
          request.socket.destroy();
        }, this.options.hangMs ?? 30_000);
        this.hangTimers.add(timer);
        request.socket.once('close', () => {
          clearTimeout(timer);
          this.hangTimers.delete(timer);
        });
        return;
      }
    }
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' }).end(JSON.stringify(body));
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
