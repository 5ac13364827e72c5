import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConnectionEvents,
  type ConnectionStateChange,
  EVENT_DETAIL_TYPE,
  EVENT_SOURCE,
  HealthEventNotPublishedError,
} from '../../../functions/lib/events/connection-events.js';
import { LocalEventBridge } from '../../support/local-event-bridge.js';

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
