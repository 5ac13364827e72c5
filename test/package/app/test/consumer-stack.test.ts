import { Template } from 'aws-cdk-lib/assertions';
import * as cdk from 'aws-cdk-lib/core';
import { ConsumerStack } from '../lib/consumer-stack';

// The stack test every `cdk init` app has, here with a ZohoConnection inside: Jest loads the package
// with require().
test('the stack holds the connection and grants the consumers its access token', () => {
  const app = new cdk.App();
  const stack = new ConsumerStack(app, 'MyTestStack');

  const template = Template.fromStack(stack);

  template.hasResourceProperties('AWS::SecretsManager::Secret', {
    Name: 'zoho-token-keeper/crm/access-token',
  });
  template.resourceCountIs('AWS::Lambda::Function', 4);
});
