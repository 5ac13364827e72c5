import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The API reference under docs/api/ is generated from the TSDoc of the public types
 * (`npm run docs:api`). These tests regenerate it into a temporary folder with the same command and
 * fail when the checked-in copy differs, so a changed prop or comment cannot ship with stale docs.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHECKED_IN = join(ROOT, 'docs/api');
// TypeDoc type-checks the entry points with TypeScript 5: seconds alone, far longer on busy cores.
const GENERATION_TIMEOUT_MS = 300_000;

async function markdownFiles(dir: string): Promise<Map<string, string>> {
  const names = (await readdir(dir, { recursive: true })).filter((name) => name.endsWith('.md')).sort();
  return new Map(
    await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name), 'utf8')] as const)),
  );
}

/** The rows of the props table that follows `### <heading>` on a generated page. */
function propsTableRows(page: string, heading: string): string[] {
  const start = page.indexOf(`### ${heading}\n`);
  if (start === -1) throw new Error(`The reference has no section "${heading}"`);
  const next = page.slice(start + 1).search(/\n#{2,3} /);
  const section = next === -1 ? page.slice(start) : page.slice(start, start + 1 + next);
  return section.split('\n').filter((line) => line.startsWith('| <a id='));
}

describe('the API reference in docs/api', () => {
  let generatedDir: string;
  let generated: Map<string, string>;

  beforeAll(async () => {
    generatedDir = await mkdtemp(join(tmpdir(), 'zoho-api-reference-'));
    await promisify(execFile)('npm', ['run', '-s', 'docs:api', '--', '--out', generatedDir], {
      cwd: ROOT,
      timeout: GENERATION_TIMEOUT_MS,
    });
    generated = await markdownFiles(generatedDir);
  }, GENERATION_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    if (generatedDir) await rm(generatedDir, { recursive: true, force: true });
  });

  it('is what `npm run docs:api` generates from the sources today', async () => {
    const checkedIn = await markdownFiles(CHECKED_IN);
    const stale = 'docs/api is stale: run `npm run docs:api` and commit the result';

    expect([...checkedIn.keys()], stale).toEqual([...generated.keys()]);
    for (const [name, text] of generated) {
      expect(checkedIn.get(name), `${stale} (${name} differs)`).toBe(text);
    }
  });

  it('has a page for every entry point the package exports', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      name: string;
      exports: Record<string, unknown>;
    };
    const modules = Object.keys(pkg.exports)
      .filter((subpath) => subpath !== './package.json')
      .map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`));
    // The index page (README.md) is titled with the package name too: only module pages count.
    const titles = [...generated]
      .filter(([name]) => name !== 'README.md')
      .map(([, page]) => page.split('\n', 1)[0]);

    for (const module of modules) expect(titles).toContain(`# ${module}`);
  });

  it('states a default for every optional prop of ZohoConnectionProps', () => {
    const page = generated.get('zoho-token-keeper.md') ?? '';
    const rows = propsTableRows(page, 'ZohoConnectionProps');

    expect(rows.length).toBeGreaterThan(0);
    const optionalWithoutDefault = rows.filter((row) => row.includes('?` |') && !row.includes('**Default**'));
    expect(optionalWithoutDefault).toEqual([]);
  });
});
