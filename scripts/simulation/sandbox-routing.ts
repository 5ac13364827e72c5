/**
 * Sends the global `fetch` calls meant for the sandbox (its accounts server and the API domain it
 * hands out) to its in-process transport. The consumer library calls Zoho's APIs with the global `fetch` and takes no other, so this is how its calls in a
 * simulation stay off the network. Anything else goes to the fetch that was there before.
 * Returns the function that puts that fetch back.
 */
export function routeGlobalFetch(origins: readonly string[], transport: typeof fetch): () => void {
  const previous = globalThis.fetch;
  const routed: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return origins.includes(new URL(url).origin) ? transport(input, init) : previous(input, init);
  };
  globalThis.fetch = routed;
  return () => {
    if (globalThis.fetch === routed) globalThis.fetch = previous;
  };
}
