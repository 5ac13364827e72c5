import { existsSync, realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { ExitCode } from './exit-codes.js';

export interface PromptOptions {
  /** Hide what is typed: for grant codes and client secrets. */
  readonly secret?: boolean;
}

/** Everything a command touches of its process, so tests can run it with a fake. */
export interface CliIo {
  /** Writes one line (a newline is added) to standard output. */
  stdout(line: string): void;
  /** Writes one line (a newline is added) to standard error. */
  stderr(line: string): void;
  /** True when a person can answer prompts. */
  readonly isTTY: boolean;
  /** Asks on the terminal; rejects with PromptCancelledError on Ctrl-C or end of input. */
  prompt(question: string, options?: PromptOptions): Promise<string>;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export class PromptCancelledError extends Error {
  override readonly name = 'PromptCancelledError';
}

export interface TerminalStreams {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The real process. Prompts go to standard error so that standard output stays parseable. */
export function terminalIo(
  streams: TerminalStreams = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  },
): CliIo {
  return {
    stdout: (line) => streams.stdout.write(`${line}\n`),
    stderr: (line) => streams.stderr.write(`${line}\n`),
    isTTY: streams.stdin.isTTY === true,
    prompt: (question, options = {}) => ask(streams, question, options.secret === true),
    env: streams.env,
  };
}

function ask(streams: TerminalStreams, question: string, secret: boolean): Promise<string> {
  let muted = false;
  // readline echoes what is typed through its output; muting that stream hides a secret while
  // line editing (backspace, Enter) keeps working.
  const echo = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (!muted) streams.stderr.write(chunk);
      done();
    },
  });
  const readline = createInterface({ input: streams.stdin, output: echo, terminal: true });
  return new Promise<string>((resolve, reject) => {
    let answered = false;
    readline.on('SIGINT', () => readline.close());
    readline.on('close', () => {
      if (!answered) {
        streams.stderr.write('\n');
        reject(new PromptCancelledError('Cancelled at the prompt.'));
      }
    });
    readline.question(question, (answer) => {
      answered = true;
      if (secret) streams.stderr.write('\n');
      readline.close();
      resolve(answer.trim());
    });
    // Set after question() has written the question itself, so only the typing is hidden.
    muted = secret;
  });
}

/** True when this module file is the script node (or tsx) was started with. */
export function isMainModule(importMetaUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  // npm runs a package's bin through a symlink in node_modules/.bin.
  const resolved = existsSync(script) ? realpathSync(script) : script;
  return importMetaUrl === pathToFileURL(resolved).href;
}

/**
 * Runs `command` with the process's arguments and terminal when this module is the script node was
 * started with. Without a top-level await, so that the command also runs compiled to CommonJS.
 */
export function runIfMain(
  importMetaUrl: string,
  command: (argv: readonly string[], io: CliIo) => Promise<ExitCode>,
): void {
  if (!isMainModule(importMetaUrl)) return;
  // The SDK's notice that Node 20 support ends in 2027 is for the operator's Node, not for this
  // command's output: nine lines before every answer. Set before the first client is created.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void command(process.argv.slice(2), terminalIo()).then((code) => {
    process.exitCode = code;
  });
}
