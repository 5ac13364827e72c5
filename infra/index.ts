/**
 * The package entry point (`zoho-token-keeper`): the construct, the stack and what their props name.
 * @module zoho-token-keeper
 */
export { CONNECTION_STATES, type ConnectionState } from '../functions/lib/connection-status.js';
export { DATA_CENTRE_IDS, type DataCentreId } from '../functions/lib/data-centres.js';
export { EVENT_DETAIL_TYPE, EVENT_SOURCE } from '../functions/lib/events/event-names.js';
export type { ConnectionAlarms } from './connection-monitoring.js';
export { type ConnectionNames, OPTIONAL_STACK_OUTPUT_KEYS, STACK_OUTPUT_KEYS } from './connection-names.js';
export type { ZohoConnectionStateChangeOptions } from './state-change-rule.js';
export { ZohoConnection, type ZohoConnectionProps } from './zoho-connection.js';
export { ZohoTokenKeeperStack, type ZohoTokenKeeperStackProps } from './zoho-token-keeper-stack.js';
