import { type CliIo, PromptCancelledError, type PromptOptions } from '../../cli/lib/io.js';

export interface FakeIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
  readonly prompts: Array<{ question: string; secret: boolean }>;
  /** Everything written, both streams, for "never shows a secret" checks. */
  text(): string;
}

/** A terminal that answers prompts from a list, in order; an exhausted list cancels like Ctrl-D. */
export function fakeIo(
  options: { isTTY?: boolean; env?: Record<string, string>; answers?: string[] } = {},
): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const prompts: Array<{ question: string; secret: boolean }> = [];
  const answers = [...(options.answers ?? [])];
  return {
    out,
    err,
    prompts,
    isTTY: options.isTTY ?? false,
    env: options.env ?? {},
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    prompt: async (question: string, promptOptions: PromptOptions = {}) => {
      prompts.push({ question, secret: promptOptions.secret === true });
      const answer = answers.shift();
      if (answer === undefined) throw new PromptCancelledError('no answer');
      return answer;
    },
    text: () => [...out, ...err].join('\n'),
  };
}
