/**
 * TypeDoc reads the sources through TypeScript's compiler API, which the project's TypeScript 7 (the
 * native compiler) does not have. Loaded with `node --import`, this makes TypeDoc's `typescript` the
 * TypeScript 5 installed as `typescript-5`; nothing else in the process asks for `typescript`.
 */
import { register } from 'node:module';

register('./typescript-5-resolver.mjs', import.meta.url);
