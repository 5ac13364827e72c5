/**
 * Codes with which Zoho's APIs say the access token itself is unusable (expired, revoked, evicted,
 * from another data centre): CRM and other zohoapis v2+ APIs (INVALID_TOKEN, INVALID_OAUTHTOKEN,
 * invalid_token for a revoked refresh token's tokens) and Desk (INVALID_OAUTH).
 */
const TOKEN_CODES = new Set(['INVALID_TOKEN', 'INVALID_OAUTHTOKEN', 'INVALID_OAUTH']);

/** Books, Invoice, Billing and Expense answer an unusable token with this numeric code. */
const FINANCE_INVALID_TOKEN_CODE = 57;

/** Messages of the same answers in the APIs whose codes differ; must name a token, not a scope. */
const TOKEN_PROBLEM =
  /invalid\s*auth\s*token|not authori[sz]ed|(?:oauth|auth|access)[\s_-]*token\b.*\b(?:invalid|expired|revoked)|(?:invalid|expired|revoked)\b.*\b(?:oauth|auth|access)[\s_-]*token/i;

/**
 * True when an API answer says the access token was rejected, so that asking for a new one and
 * retrying can succeed. A 401 about scopes (OAUTH_SCOPE_MISMATCH) is not one: a new token carries
 * the same scopes.
 */
export function isInvalidTokenAnswer(status: number, body: unknown): boolean {
  if (status !== 401 || body === null || typeof body !== 'object') return false;
  const fields = flatten(body as Record<string, unknown>);
  const codes = [fields.code, fields.errorCode, fields.error]
    .filter(isString)
    .map((code) => code.toUpperCase());
  const messages = [fields.message, fields.error_description, fields.errorMessage].filter(isString);
  if ([...codes, ...messages].some((text) => /scope/i.test(text))) return false;
  if (codes.some((code) => TOKEN_CODES.has(code))) return true;
  if (fields.code === FINANCE_INVALID_TOKEN_CODE) return true;
  return messages.some((message) => TOKEN_PROBLEM.test(message));
}

/** Some Zoho APIs nest the error: `{"error": {"code": ..., "message": ...}}`. */
function flatten(fields: Record<string, unknown>): Record<string, unknown> {
  const nested = fields.error;
  if (nested === null || typeof nested !== 'object' || Array.isArray(nested)) return fields;
  return { ...fields, error: undefined, ...(nested as Record<string, unknown>) };
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
