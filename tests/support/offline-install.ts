import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Fills a scratch project's node_modules with `packages` and everything they depend on, copied
 * from this repository's node_modules, so `npm install --offline <tarball>` finds every
 * dependency already in place and needs neither the registry nor npm's cache (a fresh `npm ci`
 * caches tarballs but not the registry's metadata that resolving a version range needs).
 * Copies, not links: npm may prune or rewrite what it finds there, never the repository's own.
 */
export function copyDependencies(fromModules: string, toModules: string, packages: readonly string[]): string[] {
  const copied = new Set<string>();
  const pending = [...packages];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (copied.has(name)) continue;
    const dir = join(fromModules, name);
    if (!existsSync(join(dir, 'package.json'))) throw new Error(`${name} is not in ${fromModules}: run npm install first`);
    copied.add(name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      // A version nested under the package travels with it; optional ones may be absent on this platform.
      if (existsSync(join(dir, 'node_modules', dep))) continue;
      if (existsSync(join(fromModules, dep)) || !(dep in (manifest.optionalDependencies ?? {}))) pending.push(dep);
    }
  }
  for (const name of copied) cpSync(join(fromModules, name), join(toModules, name), { recursive: true, dereference: true });
  return [...copied];
}
