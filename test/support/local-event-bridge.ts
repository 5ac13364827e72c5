import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What reached the stand-in EventBridge: the headers and the JSON body, as sent on the wire. */
export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface WireAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * EventBridge speaks AWS JSON 1.1 (`X-Amz-Target: AWSEvents.<Operation>`); the real client is
 * pointed at this server, so its serializer and response parser are what is tested.
 */
export class LocalEventBridge {
  readonly received: Received[] = [];
  answer: WireAnswer = { status: 200, body: ACCEPTED };

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<LocalEventBridge> {
    let local: LocalEventBridge | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (!local) return;
        local.received.push({
          headers: request.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        response.writeHead(local.answer.status, {
          'Content-Type': 'application/x-amz-json-1.1',
          'x-amzn-RequestId': '5f1c2d3e-0000-4000-8000-000000000000',
        });
        response.end(JSON.stringify(local.answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    local = new LocalEventBridge(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return local;
  }

  /** The `detail` of every event put so far, parsed, in order. */
  details(): Record<string, unknown>[] {
    return this.received.flatMap((request) => {
      const entries = (request.body as { Entries?: { Detail?: string }[] }).Entries ?? [];
      return entries.map((entry) => JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** PutEvents' answer when it took the one entry sent. */
export const ACCEPTED = {
  FailedEntryCount: 0,
  Entries: [{ EventId: '11710aed-b79e-4468-a20b-bb3c0c3b4860' }],
};
