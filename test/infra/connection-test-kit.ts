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

/** A statement of a synthesised policy document, as far as the evaluator below reads it. */
export interface PolicyStatementJson {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: unknown;
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Resource?: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** A request to a secret: who (an ARN, or the template's reference to a role) calls which action. */
export interface SecretRequest {
  readonly principalArn: unknown;
  readonly action: string;
  /** `aws:CalledViaFirst`: the service that made the call with the principal's credentials, if any. */
  readonly calledViaFirst?: string;
}

/** The statements of `secret`'s resource policy in the template, or none when it has no policy. */
export function resourcePolicyStatementsOf(
  template: Template,
  stack: Stack,
  secretArn: string,
): PolicyStatementJson[] {
  const policies = Object.values(
    template.findResources('AWS::SecretsManager::ResourcePolicy', {
      Properties: { SecretId: stack.resolve(secretArn) },
    }),
  ) as { Properties: { ResourcePolicy: { Statement: PolicyStatementJson[] } } }[];
  expect(policies.length).toBeLessThanOrEqual(1);
  return policies[0]?.Properties.ResourcePolicy.Statement ?? [];
}

/**
 * Whether an explicit Deny among `statements` (a resource policy, which applies to its one resource)
 * applies to the request. An explicit Deny wins over any Allow of any policy, so this alone decides
 * whether an identity policy such as `secretsmanager:*` on `*` can get through. Fails on a policy
 * element it does not understand rather than guessing.
 */
export function isDeniedBy(statements: readonly PolicyStatementJson[], request: SecretRequest): boolean {
  return statements.some(
    (statement) =>
      statement.Effect === 'Deny' &&
      principalMatches(statement, request.principalArn) &&
      actionMatches(statement, request.action) &&
      conditionsMatch(statement.Condition ?? {}, request),
  );
}

/** Whether an IAM action pattern (`secretsmanager:*`, `secretsmanager:Get*`, ...) covers `action`. */
export function actionPatternMatches(pattern: string, action: string): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i').test(action);
}

function principalMatches(statement: PolicyStatementJson, principalArn: unknown): boolean {
  if (statement.NotPrincipal !== undefined) throw new Error('NotPrincipal is not supported');
  const principal = statement.Principal;
  if (principal === '*') return true;
  const aws = (principal as { AWS?: unknown } | undefined)?.AWS;
  if (aws === undefined) throw new Error(`unsupported principal ${JSON.stringify(principal)}`);
  return [aws].flat().some((entry) => entry === '*' || sameValue(entry, principalArn));
}

function actionMatches(statement: PolicyStatementJson, action: string): boolean {
  if (statement.NotAction !== undefined) throw new Error('NotAction is not supported');
  return [statement.Action ?? []].flat().some((pattern) => actionPatternMatches(pattern, action));
}

function conditionsMatch(
  conditions: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  request: SecretRequest,
): boolean {
  const contextValue = (key: string): unknown => {
    if (key === 'aws:PrincipalArn') return request.principalArn;
    if (key === 'aws:CalledViaFirst') return request.calledViaFirst;
    throw new Error(`unsupported condition key ${key}`);
  };
  return Object.entries(conditions).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = contextValue(key);
      const equalsOne = actual !== undefined && [expected].flat().some((value) => sameValue(value, actual));
      switch (operator) {
        case 'StringEquals':
        case 'ArnEquals':
          return equalsOne;
        // A negated operator matches a request that lacks the key altogether.
        case 'StringNotEquals':
        case 'ArnNotEquals':
          return !equalsOne;
        default:
          throw new Error(`unsupported condition operator ${operator}`);
      }
    }),
  );
}

/** Literal ARNs compare as strings; template references (`Fn::GetAtt`, `Fn::Sub`) by their JSON. */
function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
