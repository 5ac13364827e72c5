// Loaded with import() on the first forced refresh only; a module of its own so that bundlers keep
// just these two exports of the Lambda client package rather than all of its commands.
export { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
