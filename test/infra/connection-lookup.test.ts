import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectionNames, MAX_CONNECTION_NAME_LENGTH } from '../../infra/connection-names.js';
import { ZohoConnection } from '../../infra/zoho-connection.js';
import { FAST_CONTEXT } from './connection-test-kit.js';

/** Lambda's limit on a function name. */
const MAX_FUNCTION_NAME_LENGTH = 64;

beforeEach(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** A user's own application stack with a connection embedded in it, as the README shows. */
function embedded(connectionName: string): Template {
  const app = new App({ context: FAST_CONTEXT });
  const stack = new Stack(app, 'MyAppStack');
  new ZohoConnection(stack, 'Zoho', { connectionName, dataCenter: 'eu' });
  return Template.fromStack(stack);
}

describe('the names the operator commands look a connection up by', () => {
  it('GIVEN a connection embedded in another stack WHEN synthesized THEN its exchange function has the fixed name', () => {
    const template = embedded('crm-eu');

    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'zoho-token-keeper-crm-eu-exchange',
      Description: 'Exchanges a Zoho grant code for tokens (connection crm-eu)',
    });
    expect(connectionNames('crm-eu').exchangeFunction).toBe('zoho-token-keeper-crm-eu-exchange');
  });

  it('GIVEN a connection embedded in another stack WHEN synthesized THEN its alarms are exactly the names status reads', () => {
    const template = embedded('crm-eu');

    const alarmNames = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => (alarm as { Properties: { AlarmName: unknown } }).Properties.AlarmName,
    );
    expect([...alarmNames].sort()).toEqual([...connectionNames('crm-eu').alarms].sort());
  });

  it('GIVEN the longest connection name WHEN named THEN the exchange function name fits Lambda', () => {
    const longest = 'a'.repeat(MAX_CONNECTION_NAME_LENGTH);

    expect(connectionNames(longest).exchangeFunction.length).toBeLessThanOrEqual(MAX_FUNCTION_NAME_LENGTH);
    expect(() => connectionNames(`${longest}a`)).toThrow(/Invalid connectionName/);
  });
});
