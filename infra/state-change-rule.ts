import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { CONNECTION_STATES, type ConnectionState } from '../functions/lib/connection-status.js';
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from '../functions/lib/events/event-names.js';

/** Options of `ZohoConnection.onStateChange`. */
export interface ZohoConnectionStateChangeOptions extends events.OnEventOptions {
  /**
   * Only changes into these states, e.g. `['needs-reconnect']` to page someone when a new grant
   * code is needed, or `['failing', 'needs-reconnect']` for every kind of trouble.
   * @default - every state change
   */
  readonly states?: ConnectionState[];
}

/**
 * A rule on `eventBus` matching the health events of one connection, built the way aws-cdk-lib's
 * `onXxx` methods are: the options' own `eventPattern` is merged into the keeper's pattern.
 */
export function stateChangeRule(
  scope: Construct,
  id: string,
  context: { eventBus: events.IEventBus; connectionName: string },
  options: ZohoConnectionStateChangeOptions,
): events.Rule {
  const { states, target, ...ruleOptions } = options;
  if (states !== undefined) assertStates(states);
  if (isInAnotherAccount(Stack.of(scope), context.eventBus)) {
    throw new Error(
      "onStateChange needs an event bus of this stack's account: EventBridge rules live in the account " +
        'of their bus. Create the rule in that account, matching source "zoho-token-keeper".',
    );
  }
  const rule = new events.Rule(scope, id, { ...ruleOptions, eventBus: context.eventBus });
  rule.addEventPattern({
    source: [EVENT_SOURCE],
    detailType: [EVENT_DETAIL_TYPE],
    detail: {
      connectionName: [context.connectionName],
      ...(states === undefined ? {} : { state: [...new Set(states)] }),
    },
  });
  if (target) rule.addTarget(target);
  return rule;
}

/**
 * How the functions address the bus in PutEvents: its name in this account (`default` for the
 * default bus), its ARN when it may be another account's, which PutEvents accepts as well.
 */
export function eventBusAddress(stack: Stack, eventBus: events.IEventBus): string {
  return sameAccount(stack, eventBus) ? eventBus.eventBusName : eventBus.eventBusArn;
}

function sameAccount(stack: Stack, eventBus: events.IEventBus): boolean {
  return JSON.stringify(stack.resolve(eventBus.env.account)) === JSON.stringify(stack.resolve(stack.account));
}

/** Only a literal account that differs: an unresolved one may well be this stack's. */
function isInAnotherAccount(stack: Stack, eventBus: events.IEventBus): boolean {
  const busAccount = stack.resolve(eventBus.env.account);
  const stackAccount = stack.resolve(stack.account);
  return typeof busAccount === 'string' && typeof stackAccount === 'string' && busAccount !== stackAccount;
}

function assertStates(states: readonly string[]): void {
  const unknown = states.filter((state) => !(CONNECTION_STATES as readonly string[]).includes(state));
  if (states.length === 0 || unknown.length > 0) {
    throw new Error(
      `onStateChange states must be one or more of ${CONNECTION_STATES.join(', ')}` +
        (unknown.length > 0 ? `, got ${unknown.map((state) => JSON.stringify(state)).join(', ')}.` : '.') +
        ' Leave states out to match every change.',
    );
  }
}
