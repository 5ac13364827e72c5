import type { Context } from 'aws-lambda';

/** The Lambda context a handler receives; middy's early timeout stays off without getRemainingTimeInMillis. */
export function lambdaContext<T extends object = object>(): Context & T {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'consumer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:consumer',
    memoryLimitInMB: '256',
    awsRequestId: 'c0ffee00-0000-4000-8000-000000000000',
    logGroupName: '/aws/lambda/consumer',
    logStreamName: '2026/11/30/[$LATEST]0000',
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } as unknown as Context & T;
}
