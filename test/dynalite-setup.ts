import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A DynamoDB endpoint (dynalite, in memory, on 127.0.0.1) that every test file may create tables in. */
    dynamoEndpoint: string;
  }
}

/**
 * One DynamoDB implementation for the whole run: dynalite keeps DynamoDB's semantics for conditional
 * writes, and each test creates tables of its own names, so no test reads another's data.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  project.provide('dynamoEndpoint', `http://127.0.0.1:${port}`);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
