/**
 * Sends the global `fetch` calls meant for the sandbox to its in-process transport. The consumer library
 * calls Zoho's APIs with the global `fetch` and takes no other, so this is how its calls in a
 * simulation stay off the network. Anything else goes to the fetch that was there before.
 * Returns the function that puts that fetch back.
 */
export function routeGlobalFetch(origin: string, transport: typeof fetch): () => void {
  const previous = globalThis.fetch;
  const routed: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return new URL(url).origin === origin ? transport(input, init) : previous(input, init);
  };
  globalThis.fetch = routed;
  return () => {
    if (globalThis.fetch === routed) globalThis.fetch = previous;
  };
}
