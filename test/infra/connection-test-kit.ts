import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { expect } from 'vitest';
import { ZohoConnection, type ZohoConnectionProps } from '../../infra/zoho-connection.js';

// Bundling is skipped (it is exercised once, for real, in app.test.ts), and so is aws-cdk-lib's
// CloudFormation schema validation, which app.test.ts keeps on (each test file stubs CDK_VALIDATION).
export const FAST_CONTEXT = { 'aws:cdk:bundling-stacks': [] };

// An imported key is usable only by principals of its own account, so key tests pin the stack there.
export const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
export const KEY_ACCOUNT_ENV = { account: '123456789012', region: 'eu-west-1' };
export const VIA_SECRETS_MANAGER = {
  StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
};

export interface Synthesised {
  readonly app: App;
  readonly stack: Stack;
  readonly connection: ZohoConnection;
  readonly template: Template;
}

/** A connection `crm` in the EU data centre, in a stack of its own; `extend` adds to that stack. */
export function synthesise(
  props: ZohoConnectionProps = {},
  extend?: (stack: Stack, connection: ZohoConnection) => void,
): Synthesised {
  const app = new App({ context: FAST_CONTEXT });
  const stack = new Stack(app, 'Test');
  const connection = new ZohoConnection(stack, 'Connection', {
    connectionName: 'crm',
    dataCenter: 'eu',
    ...props,
  });
  extend?.(stack, connection);
  return { app, stack, connection, template: Template.fromStack(stack) };
}

/** The CloudFormation reference to a value, as it appears in the template. */
export function ref(stack: Stack, value: string): unknown {
  return stack.resolve(value);
}

/** The statements of the one policy attached to `role`. */
export function policyStatementsOf(template: Template, stack: Stack, role: iam.IRole | undefined): unknown[] {
  if (!role) throw new Error('the function has no role');
  const roleRef = stack.resolve((role.node.defaultChild as iam.CfnRole).ref);
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [roleRef] } }),
  ) as { Properties: { PolicyDocument: { Statement: unknown[] } } }[];
  expect(policies).toHaveLength(1);
  return policies[0]?.Properties.PolicyDocument.Statement ?? [];
}
