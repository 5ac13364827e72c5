import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staleAssetsReason } from '../../infra/checkout-assets.js';
import { KEEPER_FUNCTIONS } from '../../infra/function-bundle.js';

// A checkout of its own in a temporary folder: this test never touches the assets other tests read.
let root: string;

function write(path: string, modifiedAt: Date): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, '');
  utimesSync(file, modifiedAt, modifiedAt);
}

const SOURCES_SAVED = new Date('2026-11-30T08:00:00Z');
const BUNDLED = new Date('2026-11-30T08:05:00Z');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'zoho-token-keeper-checkout-'));
  write('functions/refresh/handler.ts', SOURCES_SAVED);
  write('infra/function-bundle.ts', SOURCES_SAVED);
  write('package-lock.json', SOURCES_SAVED);
  for (const name of Object.keys(KEEPER_FUNCTIONS)) write(`assets/${name}/index.mjs`, BUNDLED);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('staleAssetsReason', () => {
  it('GIVEN bundles built after every source WHEN the app checks THEN they are deployed as they are', () => {
    expect(staleAssetsReason(root)).toBeUndefined();
  });

  it('GIVEN a source saved after the bundles WHEN the app checks THEN it names the bundle and the command that rebuilds it', () => {
    write('functions/lib/errors.ts', new Date('2026-11-30T08:10:00Z'));

    expect(staleAssetsReason(root)).toMatch(
      /^The exchange function's bundle \(assets\/exchange\/index\.mjs\) is older than its sources\. Run `npm run build:assets`/,
    );
  });

  it('GIVEN a fresh clone without bundles WHEN the app checks THEN it says the bundle is missing', () => {
    rmSync(join(root, 'assets'), { recursive: true });

    expect(staleAssetsReason(root)).toMatch(/bundle \(assets\/exchange\/index\.mjs\) is missing/);
  });
});
