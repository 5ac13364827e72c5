import middy from '@middy/core';
import { type ZohoContext, zohoToken } from '../middy/index.js';

export interface CurrentUser {
  readonly id?: string;
  readonly full_name?: string;
  readonly email?: string;
}

/**
 * The consumer pattern end to end: the middleware reads ACCESS_TOKEN_SECRET_ID and
 * REFRESH_FUNCTION_NAME once at cold start, and `context.zoho.fetch` calls Zoho with the token,
 * replacing it once if Zoho rejects it.
 */
export async function currentUser(_event: unknown, context: ZohoContext): Promise<{ users: CurrentUser[] }> {
  const response = await context.zoho.fetch('/crm/v8/users?type=CurrentUser');
  // Zoho CRM answers 204, with no body, when there is nothing to list.
  if (response.status === 204) return { users: [] };
  const body = (await response.json()) as { users?: CurrentUser[]; code?: string };
  if (!response.ok) {
    throw new Error(
      `Zoho CRM answered HTTP ${response.status} (${body.code ?? 'no code'}) to the users API.`,
    );
  }
  return { users: (body.users ?? []).map(({ id, full_name, email }) => ({ id, full_name, email })) };
}

export const handler = middy().use(zohoToken()).handler(currentUser);
