import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConnectionEvents,
  type ConnectionStateChange,
  EVENT_DETAIL_TYPE,
  EVENT_SOURCE,
  HealthEventNotPublishedError,
} from '../../../functions/lib/events/connection-events.js';

/** What reached the stand-in EventBridge: the headers and the JSON body, as sent on the wire. */
interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

interface WireAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * EventBridge speaks AWS JSON 1.1 (`X-Amz-Target: AWSEvents.<Operation>`); the real client is
 * pointed at this server, so its serializer and response parser are what is tested.
 */
class LocalEventBridge {
  readonly received: Received[] = [];
  answer: WireAnswer = { status: 200, body: {} };

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

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const CHANGE: ConnectionStateChange = {
  connectionName: 'crm',
  state: 'failing',
  previousState: 'connected',
  reason: 'ZohoUnavailableError',
  at: '2026-11-30T08:00:00.000Z',
  dataCentre: 'eu',
};

let eventBridge: LocalEventBridge;
let client: EventBridgeClient;

beforeAll(async () => {
  eventBridge = await LocalEventBridge.start();
  client = new EventBridgeClient({
    endpoint: eventBridge.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await eventBridge.close();
});
beforeEach(() => {
  eventBridge.received.length = 0;
});

describe('ConnectionEvents.publish', () => {
  it('puts one event with the keeper source, detail-type and the change as detail on the given bus', async () => {
    // GIVEN EventBridge accepts the entry
    eventBridge.answer = { status: 200, body: { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] } };
    const events = new ConnectionEvents({ client, eventBusName: 'ops-bus' });

    // WHEN
    await events.publish(CHANGE);

    // THEN exactly one PutEvents call reached the wire, holding exactly one entry
    expect(eventBridge.received).toHaveLength(1);
    const [request] = eventBridge.received;
    expect(request?.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(request?.headers['content-type']).toBe('application/x-amz-json-1.1');
    const body = request?.body as { Entries: Record<string, string>[] };
    expect(body).toEqual({
      Entries: [
        {
          Source: 'zoho-token-keeper',
          DetailType: 'Zoho Connection State Change',
          Detail: expect.any(String),
          EventBusName: 'ops-bus',
        },
      ],
    });
    expect(JSON.parse(body.Entries[0]?.Detail ?? '')).toEqual({
      connectionName: 'crm',
      state: 'failing',
      previousState: 'connected',
      reason: 'ZohoUnavailableError',
      at: '2026-11-30T08:00:00.000Z',
      dataCentre: 'eu',
    });
    expect([EVENT_SOURCE, EVENT_DETAIL_TYPE]).toEqual(['zoho-token-keeper', 'Zoho Connection State Change']);
  });

  it('puts only the contract detail keys, whatever else the caller passes along', async () => {
    eventBridge.answer = { status: 200, body: { FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] } };
    const events = new ConnectionEvents({ client, eventBusName: 'default' });
    const withExtra = { ...CHANGE, accessToken: '1000.aaaa.bbbb' } as ConnectionStateChange;

    await events.publish(withExtra);

    const body = eventBridge.received[0]?.body as { Entries: { Detail: string }[] };
    expect(Object.keys(JSON.parse(body.Entries[0]?.Detail ?? '{}')).sort()).toEqual(
      ['at', 'connectionName', 'dataCentre', 'previousState', 'reason', 'state'].sort(),
    );
    expect(JSON.stringify(eventBridge.received)).not.toContain('1000.aaaa');
  });

  it('fails naming the error code when EventBridge answers 200 but refused the entry', async () => {
    // GIVEN a per-entry failure, as PutEvents reports it: HTTP 200 with FailedEntryCount
    eventBridge.answer = {
      status: 200,
      body: {
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not authorized on ops-bus' }],
      },
    };
    const events = new ConnectionEvents({ client, eventBusName: 'ops-bus' });

    // WHEN / THEN
    const failure = events.publish(CHANGE);
    await expect(failure).rejects.toThrow(HealthEventNotPublishedError);
    await expect(failure).rejects.toThrow(/ops-bus \(AccessDeniedException\)/);
    await expect(failure).rejects.not.toThrow(/ZohoUnavailableError|crm/);
  });

  it('fails naming the AWS error when the whole request is refused', async () => {
    eventBridge.answer = {
      status: 400,
      body: { __type: 'ResourceNotFoundException', message: 'Event bus ops-bus does not exist.' },
    };
    const events = new ConnectionEvents({ client, eventBusName: 'ops-bus' });

    const failure = events.publish(CHANGE);
    await expect(failure).rejects.toThrow(HealthEventNotPublishedError);
    await expect(failure).rejects.toThrow(/\(ResourceNotFoundException\)/);
  });

  it.each([
    'invalid_code',
    'Zoho said: token 1000.abc.def is invalid',
    'ZohoUnavailableError: connect ECONNREFUSED',
    '',
    'a'.repeat(65),
    '1000-abc',
  ])('refuses the reason %j without sending anything or quoting it', async (reason) => {
    const events = new ConnectionEvents({ client, eventBusName: 'default' });

    const failure = events.publish({ ...CHANGE, reason });
    await expect(failure).rejects.toThrow(/reason must be an error name or a plain word/);
    if (reason !== '') await expect(failure).rejects.not.toThrow(reason);
    expect(eventBridge.received).toHaveLength(0);
  });

  it.each(['RefreshTokenRevokedError', 'refresh-token-revoked', 'connected', 'a'.repeat(64)])(
    'accepts the reason %j',
    async (reason) => {
      eventBridge.answer = { status: 200, body: { FailedEntryCount: 0, Entries: [{ EventId: 'e-3' }] } };
      const events = new ConnectionEvents({ client, eventBusName: 'default' });

      await events.publish({ ...CHANGE, reason });

      expect(eventBridge.received).toHaveLength(1);
    },
  );
});
