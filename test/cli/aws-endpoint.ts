import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local stand-in for AWS on 127.0.0.1, answering as the real services do on the wire, so that
 * tests run the real SDK clients (serializers, error parsing, HTTP handler and its timeouts) against
 * it with `endpoint: server.url`. Each service speaks its own protocol, as the installed clients do:
 * - Lambda: REST-JSON; errors carry `x-amzn-ErrorType` and a JSON body `{"Type", "Message"}`.
 * - CloudWatch: AWS JSON 1.0 in query-compatible mode (`x-amz-target: GraniteServiceVersion20100801.X`);
 *   errors carry `x-amzn-query-error: <query code>;<Sender|Receiver>` and a JSON body with `__type`.
 */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface AwsAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** An answer, or `'hang'`: accept the request and never answer it. */
export type Answer = AwsAnswer | 'hang';

export interface LambdaInvoke {
  readonly functionName: string;
  readonly event: unknown;
}

export interface AwsHandlers {
  /** Lambda Invoke; unhandled: 404 ResourceNotFoundException. */
  lambdaInvoke?: (invoke: LambdaInvoke) => Answer;
  /** CloudWatch, by operation name (e.g. DescribeAlarms) and its JSON input. */
  cloudWatch?: (operation: string, input: Record<string, unknown>) => Answer;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const CLOUDWATCH_TARGET = /^GraniteServiceVersion20100801\.(\w+)$/;
const REQUEST_ID = '0b6a5c1e-7f3d-4a1b-9c2e-5d8f0a1b2c3d';

export class LocalAws {
  readonly requests: ReceivedRequest[] = [];
  handlers: AwsHandlers = {};
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(handlers: AwsHandlers = {}): Promise<LocalAws> {
    let local: LocalAws | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        local?.answer(
          {
            method: request.method ?? '',
            path: decodeURIComponent(request.url ?? ''),
            headers: request.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          },
          response,
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    local = new LocalAws(server, `http://127.0.0.1:${port}`);
    local.handlers = handlers;
    return local;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(request: ReceivedRequest, response: ServerResponse): void {
    this.requests.push(request);
    const answer = this.route(request);
    if (answer === 'hang') return;
    response.writeHead(answer.status, { 'x-amzn-RequestId': REQUEST_ID, ...answer.headers });
    response.end(answer.body ?? '');
  }

  private route(request: ReceivedRequest): Answer {
    const invoke = INVOKE_PATH.exec(request.path);
    if (invoke) {
      const functionName = invoke[1] ?? '';
      const answer = this.handlers.lambdaInvoke?.({ functionName, event: parseJson(request.body) });
      return answer ?? lambdaFunctionMissing(functionName);
    }
    const target = CLOUDWATCH_TARGET.exec(String(request.headers['x-amz-target'] ?? ''));
    if (target) {
      const input = parseJson(request.body);
      const answer = this.handlers.cloudWatch?.(
        target[1] ?? '',
        typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {},
      );
      return answer ?? cloudWatchError(400, 'InvalidAction', 'Sender', 'InvalidAction', 'Unknown operation');
    }
    return { status: 404, body: 'Not an AWS API this stand-in answers.' };
  }
}

/** Lambda's synchronous Invoke answer: the function's result as the payload. */
export function lambdaResult(payload: unknown): AwsAnswer {
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' },
    body: JSON.stringify(payload),
  };
}

/** An AWS error of Lambda's REST-JSON protocol, e.g. 403 AccessDeniedException. */
export function lambdaError(
  status: number,
  errorType: string,
  message: string,
  extra: Readonly<Record<string, string>> = {},
): AwsAnswer {
  return {
    status,
    headers: {
      'Content-Type': 'application/json',
      'x-amzn-ErrorType': `${errorType}:http://internal.amazon.com/coral/com.amazonaws.lambda/`,
      ...extra,
    },
    body: JSON.stringify({ Type: status >= 500 ? 'Service' : 'User', Message: message }),
  };
}

export function lambdaFunctionMissing(functionName: string): AwsAnswer {
  return lambdaError(
    404,
    'ResourceNotFoundException',
    `Function not found: arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
  );
}

/** A successful CloudWatch answer in AWS JSON 1.0. */
export function cloudWatchResult(output: unknown): AwsAnswer {
  return {
    status: 200,
    headers: { 'Content-Type': 'application/x-amz-json-1.0' },
    body: JSON.stringify(output),
  };
}

/**
 * A CloudWatch error as its query-compatible JSON protocol sends it: the query error code (what the
 * SDK names the error) in x-amzn-query-error, the JSON shape name in `__type`.
 */
export function cloudWatchError(
  status: number,
  queryCode: string,
  fault: 'Sender' | 'Receiver',
  shapeName: string,
  message: string,
): AwsAnswer {
  return {
    status,
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'x-amzn-query-error': `${queryCode};${fault}`,
    },
    body: JSON.stringify({ __type: `com.amazonaws.cloudwatch#${shapeName}`, message }),
  };
}

function parseJson(body: string): unknown {
  try {
    return body === '' ? undefined : JSON.parse(body);
  } catch {
    return undefined;
  }
}
