import * as cdk from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/**
 * Acknowledges a validation finding (cdk-nag 3 reads these) on `scope`. `Validations` is new in
 * aws-cdk-lib; with an older aws-cdk-lib no plugin can ask for it, so there is nothing to record,
 * and the construct still works across the whole peer range.
 */
export function acknowledge(scope: IConstruct, acknowledgement: Acknowledgement): void {
  const { Validations } = cdk as { Validations?: typeof cdk.Validations };
  Validations?.of(scope).acknowledge(acknowledgement);
}
