/**
 * A package-lock.json for a test app, cut out of this project's lock. `npm install <name>` needs the
 * registry's metadata of every package, which the npm cache may not hold (`npm ci` keeps only what it
 * needed, in the abbreviated form); given a complete lock whose entries carry a tarball URL and its
 * integrity, `npm install --offline` reads each tarball from the cache by that integrity alone.
 */
interface LockEntry {
  readonly version?: string;
  readonly name?: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { optional?: boolean }>>;
  readonly [key: string]: unknown;
}

export interface Lock {
  readonly lockfileVersion: number;
  readonly packages: Readonly<Record<string, LockEntry>>;
}

// This project's lock may omit `resolved` (npm's omit-lockfile-registry-resolved); the URL is only a
// label here, as the tarball comes from the cache by its integrity.
function registryTarball(path: string, entry: LockEntry): string {
  const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const basename = name.slice(name.lastIndexOf('/') + 1);
  return `https://registry.npmjs.org/${name}/-/${basename}-${entry.version}.tgz`;
}

/** The lock path of the package `name` as seen from the package at `from` (node's lookup, upwards). */
function resolve(lock: Lock, from: string, name: string): string | undefined {
  let directory = from;
  for (;;) {
    const candidate = `${directory ? `${directory}/` : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!directory) return undefined;
    const parent = directory.lastIndexOf('/node_modules/');
    directory = parent === -1 ? '' : directory.slice(0, parent);
  }
}

/** The locked version of a top-level package, e.g. to pin it in the test app's package.json. */
export function lockedVersion(lock: Lock, name: string): string {
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version)
    throw new Error(`${name} is not in this project's package-lock.json: add it as a devDependency.`);
  return version;
}

/**
 * The entries `roots` (top-level names) and `extraDependencies` need, transitively, at the paths they
 * have in `lock`; dependency-type flags are dropped, since the test app's roots are its own.
 * `aliases` installs a package under another name: `{ typescript: 'typescript-5' }` gives the app,
 * and every package that depends on `typescript`, this project's `typescript-5` as `typescript`.
 */
export function lockSubset(
  lock: Lock,
  roots: readonly string[],
  extraDependencies: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): Record<string, LockEntry> {
  const picked: Record<string, LockEntry> = {};
  const pending: { from: string; name: string; optional: boolean }[] = [...roots, ...extraDependencies].map(
    (name) => ({ from: '', name, optional: false }),
  );
  for (let next = pending.pop(); next; next = pending.pop()) {
    const path = resolve(lock, next.from, aliases[next.name] ?? next.name);
    if (!path) {
      if (next.optional) continue;
      throw new Error(`${next.name} (needed by ${next.from || 'the test app'}) is not in package-lock.json.`);
    }
    if (picked[path]) continue;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = lock.packages[path] ?? {};
    picked[path] = { ...entry, resolved: entry.resolved ?? registryTarball(path, entry) };
    const optionalPeers = Object.entries(entry.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta.optional)
      .map(([name]) => name);
    for (const name of Object.keys(entry.dependencies ?? {}))
      pending.push({ from: path, name, optional: false });
    for (const name of Object.keys(entry.optionalDependencies ?? {}))
      pending.push({ from: path, name, optional: true });
    for (const name of Object.keys(entry.peerDependencies ?? {}))
      pending.push({ from: path, name, optional: optionalPeers.includes(name) });
  }
  return Object.fromEntries(Object.entries(picked).map(([path, entry]) => [unaliased(path, aliases), entry]));
}

function unaliased(path: string, aliases: Readonly<Record<string, string>>): string {
  for (const [name, alias] of Object.entries(aliases)) {
    const prefix = `node_modules/${alias}`;
    if (path === prefix || path.startsWith(`${prefix}/`))
      return `node_modules/${name}${path.slice(prefix.length)}`;
  }
  return path;
}
