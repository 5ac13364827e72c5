/** Module resolution hook (see use-typescript-5.mjs): `typescript` resolves to `typescript-5`. */
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier === 'typescript' ? 'typescript-5' : specifier, context);
}
