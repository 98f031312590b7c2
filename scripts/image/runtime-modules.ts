/**
 * The packages a bundled application still loads from node_modules at run time, and copying just those: the ones
 * the bundle leaves external (native addons, packages that read files next to their own code), each with its
 * dependency closure as Node would resolve it, and nothing a package only needs to be installed or built.
 */
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

/** Where Node finds package `name` from a file in `fromDir`: the nearest node_modules/<name> up to `root`. */
export function resolvePackageDir(name: string, fromDir: string, root: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === dirname(dir)) return undefined;
  }
}

/**
 * The package directories (relative to `root`) that `roots` need at run time: each root, its dependencies and
 * those of its optional dependencies that are installed (a platform's prebuilt binary), recursively. `skip` names
 * packages needed only at install time (e.g. better-sqlite3's prebuild-install), left out with their own closure.
 */
export function runtimeClosure(
  root: string,
  roots: readonly string[],
  skip: readonly string[] = [],
): string[] {
  const found = new Set<string>();
  const visit = (name: string, fromDir: string, optional: boolean): void => {
    if (skip.includes(name)) return;
    const dir = resolvePackageDir(name, fromDir, root);
    if (!dir) {
      if (optional) return;
      throw new Error(`${name}, needed from ${relative(root, fromDir) || '.'}, is not installed`);
    }
    if (found.has(dir)) return;
    found.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    const optionals = new Set(Object.keys(pkg.optionalDependencies ?? {}));
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, optionals.has(dep));
    for (const dep of optionals) visit(dep, dir, true);
  };
  for (const name of roots) visit(name, root, false);
  return [...found].map((dir) => relative(root, dir)).sort();
}

/** Files no package runs: type declarations, source maps and documentation (licences stay). */
const NOT_RUN = /\.(d\.[mc]?ts|map|md)$/;

/**
 * Copies the packages `dirs` (relative to `root`, as runtimeClosure returns them) under `out`, at the same
 * relative paths so they resolve alike, without the files in NOT_RUN. A package's own node_modules is not copied
 * along: the nested packages it needs are in `dirs` themselves. `keepOnly` lists, per package name, the only paths of it to copy.
 */
export function copyPackages(
  root: string,
  dirs: readonly string[],
  out: string,
  keepOnly: Readonly<Record<string, readonly string[]>> = {},
): void {
  for (const rel of dirs) {
    const src = join(root, rel);
    const dest = join(out, rel);
    const name = rel.slice(rel.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const only = keepOnly[name];
    if (only) {
      for (const path of only) {
        mkdirSync(dirname(join(dest, path)), { recursive: true });
        cpSync(join(src, path), join(dest, path), { recursive: true });
      }
      continue;
    }
    cpSync(src, dest, {
      recursive: true,
      filter: (path) => path === src || (basename(path) !== 'node_modules' && !NOT_RUN.test(path)),
    });
  }
}
