/** The fixed answers of the Zoho sandbox: its API routes, its fault answers and its JSON shape. */
import { THROTTLE_ANSWER } from './token-ledger.js';
import type { SandboxFault } from './zoho-sandbox.js';

/** What the core does with a request: answer it, drop the connection, or hold it unanswered. */
export type SandboxReply = SandboxAnswer | { readonly kind: 'reset' } | { readonly kind: 'hold' };

export interface SandboxAnswer {
  readonly kind: 'answer';
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const SANDBOX_USER = { id: '5725767000000411001', full_name: 'Sandbox User', email: 'user@example.com' };

/** Each API answers an unusable token in its own product's dialect. */
export const API_ROUTES: Readonly<Record<string, { readonly ok: unknown; readonly unauthorized: unknown }>> =
  {
    '/crm/v8/users': {
      ok: { users: [SANDBOX_USER] },
      unauthorized: { code: 'INVALID_TOKEN', details: {}, message: 'invalid oauth token', status: 'error' },
    },
    '/books/v3/organizations': {
      ok: {
        code: 0,
        message: 'success',
        organizations: [{ organization_id: '10234695', name: 'Sandbox Org' }],
      },
      unauthorized: { code: 57, message: 'You are not authorized to perform this operation' },
    },
    '/api/v1/tickets': {
      ok: { data: [] },
      unauthorized: { errorCode: 'INVALID_OAUTH', message: 'The OAuth Token you provided is invalid.' },
    },
  };

const MAINTENANCE_PAGE =
  '<!DOCTYPE html><html><head><title>Zoho Accounts</title></head>' +
  '<body><h1>We are under maintenance</h1><p>Please try again after some time.</p></body></html>';

export function faultReply(fault: Exclude<SandboxFault, 'lost-answer'>): SandboxReply {
  switch (fault) {
    case 'server-error':
      return {
        kind: 'answer',
        status: 503,
        headers: { 'content-type': 'text/plain' },
        body: 'Service Unavailable',
      };
    case 'html':
      return {
        kind: 'answer',
        status: 200,
        headers: { 'content-type': 'text/html;charset=UTF-8' },
        body: MAINTENANCE_PAGE,
      };
    case 'rate-limit':
      return json(200, THROTTLE_ANSWER);
    case 'reset':
      return { kind: 'reset' };
    case 'hang':
      return { kind: 'hold' };
  }
}

export function json(status: number, body: unknown): SandboxAnswer {
  return {
    kind: 'answer',
    status,
    headers: { 'content-type': 'application/json;charset=UTF-8' },
    body: JSON.stringify(body),
  };
}
