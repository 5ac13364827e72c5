import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PromptCancelledError, terminalIo } from '../../cli/lib/io.js';

function terminal() {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const written = { stdout: '', stderr: '' };
  stdout.on('data', (chunk: Buffer) => {
    written.stdout += chunk.toString();
  });
  stderr.on('data', (chunk: Buffer) => {
    written.stderr += chunk.toString();
  });
  return { io: terminalIo({ stdin, stdout, stderr, env: {} }), stdin, written };
}

describe('terminalIo', () => {
  it('GIVEN a secret prompt WHEN the operator types THEN the answer is returned but never echoed', async () => {
    const { io, stdin, written } = terminal();

    const answer = io.prompt('Client secret (input hidden): ', { secret: true });
    stdin.write('s3cr3t-value-typed\n');

    expect(await answer).toBe('s3cr3t-value-typed');
    expect(written.stderr).toContain('Client secret (input hidden): ');
    expect(written.stderr).not.toContain('s3cr3t');
    expect(written.stdout).toBe('');
  });

  it('GIVEN a plain prompt WHEN the operator types THEN the typing is echoed on standard error', async () => {
    const { io, stdin, written } = terminal();

    const answer = io.prompt('Client ID: ');
    stdin.write('1000.VISIBLE\n');

    expect(await answer).toBe('1000.VISIBLE');
    expect(written.stderr).toContain('1000.VISIBLE');
  });

  it('GIVEN the input ends before an answer WHEN prompting THEN the prompt is cancelled', async () => {
    const { io, stdin } = terminal();

    const answer = io.prompt('Grant code (input hidden): ', { secret: true });
    stdin.end();

    await expect(answer).rejects.toBeInstanceOf(PromptCancelledError);
  });

  it('GIVEN a TTY on standard input THEN isTTY is true, and lines get a newline', () => {
    const { io, written } = terminal();

    io.stdout('hello');

    expect(io.isTTY).toBe(true);
    expect(written.stdout).toBe('hello\n');
  });
});
