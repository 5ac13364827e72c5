import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleEntry } from '../../scripts/bench/bundle.js';
import { coldStartEnvironment, importInFreshProcess } from '../../scripts/bench/cold-start.js';

describe('the bench bundles a function as the construct does', () => {
  let outdir: string;

  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'zoho-token-keeper-bench-test-'));
  });

  afterAll(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  it('produces a minified ESM bundle of the refresh handler that a fresh node process can load', async () => {
    const bundle = await bundleEntry('refresh', 'functions/refresh/handler.ts', outdir);

    expect(bundle.bytes).toBeGreaterThan(10_000);
    expect(bundle.sourceMapBytes).toBeGreaterThan(0);
    const sample = importInFreshProcess(bundle.file, coldStartEnvironment());
    expect(sample.importMs).toBeGreaterThan(0);
  });

  it('reports a bundle whose cold start fails, naming the missing configuration', async () => {
    const bundle = await bundleEntry('refresh-misconfigured', 'functions/refresh/handler.ts', outdir);
    const { ZOHO_ACCOUNTS_URL: _unset, ...environment } = coldStartEnvironment();

    expect(() => importInFreshProcess(bundle.file, environment)).toThrow(/ZOHO_ACCOUNTS_URL/);
  });
});
