import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A 127.0.0.1 server that plays back fixed answers, for the odd shapes the Zoho sandbox has no
 * reason to produce (legacy fields, unknown error names, redirects, malformed success answers).
 */
export interface ScriptedAnswer {
  readonly status?: number;
  readonly json?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export class ScriptedAnswersServer {
  private queue: ScriptedAnswer[] = [];
  private received = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ScriptedAnswersServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const scripted = new ScriptedAnswersServer(
      server,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    );
    server.on('request', (request, response) => {
      request.resume();
      request.on('end', () => {
        scripted.received += 1;
        const answer = scripted.queue.shift() ?? { status: 500, json: { error: 'script exhausted' } };
        response
          .writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers })
          .end(answer.json === undefined ? '' : JSON.stringify(answer.json));
      });
    });
    return scripted;
  }

  /** Replaces the script; each request consumes one answer. */
  script(...answers: ScriptedAnswer[]): void {
    this.queue = [...answers];
    this.received = 0;
  }

  get requestCount(): number {
    return this.received;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
