import { App, CliCredentialsStackSynthesizer, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from '../../functions/lib/events/connection-events.js';
import { ZohoConnection } from '../../infra/zoho-connection.js';
import {
  FAST_CONTEXT,
  isDeniedBy,
  policyStatementsOf,
  ref,
  resourcePolicyStatementsOf,
  type Synthesised,
  synthesise,
} from './connection-test-kit.js';

beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const OTHER_ACCOUNT_BUS = 'arn:aws:events:eu-west-1:210987654321:event-bus/ops';

type Properties = Record<string, unknown>;

function propertiesOf(template: Template, type: string): Properties[] {
  return Object.values(template.findResources(type)).map(
    (resource) => (resource as { Properties: Properties }).Properties,
  );
}

function environmentOf(synthesised: Synthesised): Record<string, unknown>[] {
  return propertiesOf(synthesised.template, 'AWS::Lambda::Function').map(
    (fn) => (fn.Environment as { Variables: Record<string, unknown> }).Variables,
  );
}

function putEventsStatements(synthesised: Synthesised): unknown[] {
  const { template, stack, connection } = synthesised;
  return [connection.exchangeFunction, connection.refreshFunction].map((fn) =>
    policyStatementsOf(template, stack, fn.role).filter(
      (statement) => (statement as { Action: unknown }).Action === 'events:PutEvents',
    ),
  );
}

describe('health events', () => {
  it('go to the default bus by default, which both functions may put events on and nothing else', () => {
    const synthesised = synthesise();
    for (const variables of environmentOf(synthesised)) {
      expect(variables).toMatchObject({ EVENT_BUS_NAME: 'default', CONNECTION_NAME: 'crm' });
    }
    const defaultBus = ref(synthesised.stack, synthesised.connection.eventBus.eventBusArn);
    expect(JSON.stringify(defaultBus)).toContain(':event-bus/default');
    expect(putEventsStatements(synthesised)).toEqual([
      [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: defaultBus }],
      [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: defaultBus }],
    ]);
  });

  it('go to the given bus instead, addressed by its name', () => {
    const app = new App({ context: FAST_CONTEXT });
    const stack = new Stack(app, 'Test');
    const bus = new events.EventBus(stack, 'Ops', { eventBusName: 'ops' });
    const connection = new ZohoConnection(stack, 'Connection', { connectionName: 'crm', eventBus: bus });
    const own: Synthesised = { app, stack, connection, template: Template.fromStack(stack) };

    for (const variables of environmentOf(own)) {
      expect(variables.EVENT_BUS_NAME).toEqual(ref(stack, bus.eventBusName));
    }
    const busArn = ref(stack, bus.eventBusArn);
    expect(putEventsStatements(own)).toEqual([
      [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }],
      [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }],
    ]);
    expect(JSON.stringify(own.template.toJSON())).not.toContain(':event-bus/default');
  });

  it('go to a bus of another account by its ARN, which PutEvents accepts', () => {
    const app = new App({ context: FAST_CONTEXT });
    const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
    const connection = new ZohoConnection(stack, 'Connection', {
      connectionName: 'crm',
      eventBus: events.EventBus.fromEventBusArn(stack, 'Ops', OTHER_ACCOUNT_BUS),
    });
    const own: Synthesised = { app, stack, connection, template: Template.fromStack(stack) };

    for (const variables of environmentOf(own)) expect(variables.EVENT_BUS_NAME).toBe(OTHER_ACCOUNT_BUS);
    expect(putEventsStatements(own)[0]).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: OTHER_ACCOUNT_BUS },
    ]);
    // A rule lives in its bus's account, so it cannot be made here.
    expect(() => connection.onStateChange('Watch')).toThrow(/event bus of this stack's account/);
  });
});

describe('onStateChange', () => {
  it("matches this connection's state changes on its bus and sends them to the target", () => {
    let rule: events.Rule | undefined;
    let topic: sns.Topic | undefined;
    const { template, stack } = synthesise({}, (stack, connection) => {
      topic = new sns.Topic(stack, 'Ops');
      rule = connection.onStateChange('AnyChange', { target: new targets.SnsTopic(topic) });
    });

    expect(rule).toBeInstanceOf(events.Rule);
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: Match.objectEquals({
        source: ['zoho-token-keeper'],
        'detail-type': ['Zoho Connection State Change'],
        detail: { connectionName: ['crm'] },
      }),
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: ref(stack, topic?.topicArn ?? '') })],
    });
    // The names the publisher sends are the names the rule matches.
    expect([EVENT_SOURCE, EVENT_DETAIL_TYPE]).toEqual(['zoho-token-keeper', 'Zoho Connection State Change']);
  });

  it('matches only changes into the given states', () => {
    const { template } = synthesise({}, (_stack, connection) => {
      connection.onStateChange('Reconnect', { states: ['needs-reconnect'], ruleName: 'crm-needs-reconnect' });
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'crm-needs-reconnect',
      EventPattern: Match.objectLike({ detail: { connectionName: ['crm'], state: ['needs-reconnect'] } }),
    });
  });

  it('merges an event pattern of the options into its own, as aws-cdk-lib onXxx methods do', () => {
    const { template } = synthesise({}, (_stack, connection) => {
      connection.onStateChange('Recovered', {
        states: ['connected'],
        description: 'Recoveries from failing',
        eventPattern: { detail: { previousState: ['failing'] } },
      });
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      Description: 'Recoveries from failing',
      EventPattern: Match.objectEquals({
        source: ['zoho-token-keeper'],
        'detail-type': ['Zoho Connection State Change'],
        detail: { connectionName: ['crm'], state: ['connected'], previousState: ['failing'] },
      }),
    });
  });

  it('listens on the given bus', () => {
    const app = new App({ context: FAST_CONTEXT });
    const stack = new Stack(app, 'Test');
    const bus = new events.EventBus(stack, 'Ops', { eventBusName: 'ops' });
    new ZohoConnection(stack, 'Connection', { connectionName: 'crm', eventBus: bus }).onStateChange('Watch');
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventBusName: ref(stack, bus.eventBusName),
    });
  });

  it.each([[[]], [['broken']], [['connected', 'Connected']]])(
    'refuses the states %j, naming the valid ones',
    (states) => {
      expect(() =>
        synthesise({}, (_stack, connection) => {
          connection.onStateChange('Watch', { states: states as never });
        }),
      ).toThrow(/one or more of not-connected, connected, failing, needs-reconnect/);
    },
  );
});

describe('the credentials policy with a synthesizer that names no execution role', () => {
  // CliCredentialsStackSynthesizer deploys with the caller's own credentials: the template cannot
  // name them, so a call made through CloudFormation stays exempt from the write statement.
  const CI_ROLE = 'arn:aws:iam::123456789012:role/ci';
  let statements: ReturnType<typeof resourcePolicyStatementsOf>;
  beforeAll(() => {
    const app = new App({ context: FAST_CONTEXT });
    const stack = new Stack(app, 'Test', { synthesizer: new CliCredentialsStackSynthesizer() });
    const connection = new ZohoConnection(stack, 'Connection', { connectionName: 'crm' });
    statements = resourcePolicyStatementsOf(
      Template.fromStack(stack),
      stack,
      connection.credentialsSecret.secretArn,
    );
  });

  it("lets CloudFormation, with the deployer's credentials, update the secret and the policy", () => {
    const viaCloudFormation = { principalArn: CI_ROLE, calledViaFirst: 'cloudformation.amazonaws.com' };
    expect(isDeniedBy(statements, { ...viaCloudFormation, action: 'secretsmanager:PutResourcePolicy' })).toBe(
      false,
    );
    expect(
      isDeniedBy(statements, { principalArn: CI_ROLE, action: 'secretsmanager:PutResourcePolicy' }),
    ).toBe(true);
  });

  it('still never lets anyone but the functions read the value, through CloudFormation or not', () => {
    for (const calledViaFirst of [undefined, 'cloudformation.amazonaws.com']) {
      expect(
        isDeniedBy(statements, {
          principalArn: CI_ROLE,
          calledViaFirst,
          action: 'secretsmanager:GetSecretValue',
        }),
      ).toBe(true);
    }
  });
});
