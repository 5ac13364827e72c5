import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The Python consumer of docs/consumers.md, run as written against stand-ins for boto3's two
 * clients, so that what other-language users copy handles what the refresh function answers.
 */

const PAGE = readFileSync(new URL('../../docs/consumers.md', import.meta.url), 'utf8');

function pythonExample(): string {
  const section = PAGE.slice(PAGE.indexOf('## Other languages'));
  const match = /```python\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error('docs/consumers.md has no Python example under "Other languages"');
  return match[1];
}

// boto3 stand-ins: the secret holds `tokens[0]` until an invoke answers, then `tokens[1]`.
const STUBS = {
  'boto3/__init__.py': `
import io, json
STATE = {"tokens": [], "answers": [], "invokes": 0, "invoke_config": None}
class _Secrets:
    def get_secret_value(self, SecretId):
        return {"SecretString": json.dumps(STATE["tokens"][0])}
class _Lambda:
    def invoke(self, FunctionName, Payload):
        STATE["invokes"] += 1
        answer = STATE["answers"].pop(0)
        if answer.get("advance"):
            STATE["tokens"].pop(0)
        result = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(answer["body"]).encode())}
        if answer.get("error"):
            result["FunctionError"] = "Unhandled"
        return result
def client(name, config=None):
    if name == "lambda":
        STATE["invoke_config"] = config
        return _Lambda()
    return _Secrets()
`,
  'botocore/__init__.py': '',
  'botocore/config.py': `
class Config:
    def __init__(self, retries=None):
        self.retries = retries
`,
};

const SCENARIO = `
import json, sys, time
import boto3
time.sleep = lambda seconds: None
def make_token(name):
    return {"access_token": name, "api_domain": "https://www.zohoapis.eu", "token_type": "Bearer",
            "expires_at": "2999-01-01T00:00:00.000Z", "refreshed_at": "2026-12-01T08:00:00.000Z"}
scenario = json.loads(sys.argv[1])
boto3.STATE["tokens"] = [make_token(name) for name in scenario["tokens"]]
boto3.STATE["answers"] = scenario["answers"]
exec(open(sys.argv[2]).read())
try:
    result = {"token": recover(make_token(scenario["tokens"][0]))["access_token"]}
except Exception as error:
    result = {"error": getattr(error, "name", type(error).__name__), "message": str(error)}
result["invokes"] = boto3.STATE["invokes"]
result["max_attempts"] = boto3.STATE["invoke_config"].retries["max_attempts"]
print(json.dumps(result))
`;

describe('the Python consumer in docs/consumers.md', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zoho-python-example-'));
    for (const [path, text] of Object.entries(STUBS)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    writeFileSync(join(dir, 'example.py'), pythonExample());
    writeFileSync(join(dir, 'scenario.py'), SCENARIO);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function recoverWith(scenario: { tokens: string[]; answers: unknown[] }): Record<string, unknown> {
    const output = execFileSync(
      'python3',
      [join(dir, 'scenario.py'), JSON.stringify(scenario), join(dir, 'example.py')],
      {
        env: {
          ...process.env,
          PYTHONPATH: dir,
          ACCESS_TOKEN_SECRET_ID: 'zoho-token-keeper/default/access-token',
          REFRESH_FUNCTION_NAME: 'zoho-token-keeper-default-refresh',
        },
        encoding: 'utf8',
      },
    );
    return JSON.parse(output) as Record<string, unknown>;
  }

  it('returns the new token after one forced refresh, asking boto3 for one attempt per invoke', () => {
    const result = recoverWith({
      tokens: ['old', 'new'],
      answers: [
        { advance: true, body: { refreshed: true, connection_state: 'connected', reason: 'forced' } },
      ],
    });

    expect(result).toEqual({ token: 'new', invokes: 1, max_attempts: 1 });
  });

  it('waits and reads again while another container holds the refresh', () => {
    const result = recoverWith({
      tokens: ['old', 'new'],
      answers: [
        { body: { refreshed: false, connection_state: 'connected', reason: 'in-progress' } },
        { advance: true, body: { refreshed: true, connection_state: 'connected', reason: 'forced' } },
      ],
    });

    expect(result).toMatchObject({ token: 'new', invokes: 2 });
  });

  it('raises the refresh function error by its contract name instead of returning the rejected token', () => {
    const result = recoverWith({
      tokens: ['old'],
      answers: [
        {
          error: true,
          body: {
            errorType: 'RefreshTokenRevokedError',
            errorMessage: 'Generate a new grant code',
            trace: [],
          },
        },
      ],
    });

    expect(result).toMatchObject({ error: 'RefreshTokenRevokedError', invokes: 1 });
    expect(result.message).toContain('Generate a new grant code');
  });
});
