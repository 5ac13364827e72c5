// middy 7 is ESM only: in a CommonJS app the handler is an .mts file, which TypeScript checks as an
// ES module and NodejsFunction bundles like any other entry.
import middy from '@middy/core';
import { type ZohoContext, zohoToken } from 'zoho-token-keeper/middy';

export const handler = middy()
  .use(zohoToken())
  .handler(async (_event: unknown, context: ZohoContext) => {
    const response = await context.zoho.fetch('/crm/v8/users?type=CurrentUser');
    return response.status;
  });
