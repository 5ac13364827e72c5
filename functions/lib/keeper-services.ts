import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { KeeperConfig } from './config.js';
import { ConnectionEvents } from './events/connection-events.js';
import { RefreshSchedule } from './schedule/refresh-schedule.js';
import type { StateStore } from './store/connection-item.js';
import { DynamoStateStore } from './store/dynamo-state-store.js';
import { TokenStore } from './store/token-store.js';
import { ZohoAccountsClient, type ZohoCallObservation } from './zoho/accounts-client.js';

/** What the exchange and refresh functions work with, built once per container from its configuration. */
export interface KeeperServices {
  readonly store: TokenStore;
  readonly state: StateStore;
  readonly events: ConnectionEvents;
  readonly zoho: ZohoAccountsClient;
  readonly schedule: RefreshSchedule;
}

export function createKeeperServices(
  config: KeeperConfig,
  onZohoCall: (observation: ZohoCallObservation) => void,
): KeeperServices {
  return {
    store: new TokenStore({
      client: new SecretsManagerClient({}),
      credentialsSecretId: config.credentialsSecretId,
      accessTokenSecretId: config.accessTokenSecretId,
    }),
    state: new DynamoStateStore({ client: new DynamoDBClient({}), tableName: config.stateTableName }),
    events: new ConnectionEvents({ client: new EventBridgeClient({}), eventBusName: config.eventBusName }),
    zoho: new ZohoAccountsClient({ accountsUrl: config.accountsUrl, onCall: onZohoCall }),
    schedule: new RefreshSchedule({
      client: new SchedulerClient({}),
      name: config.refreshScheduleName,
      group: config.refreshScheduleGroup,
    }),
  };
}
