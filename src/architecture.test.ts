import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { KNOWN_CYCLES, LAYERS, type Room } from './layers.js';

const SRC = dirname(fileURLToPath(import.meta.url));

/** file (relative to src/, with `/`) -> the files it imports (same form; outside src/ they start with `../`). */
type Graph = Map<string, string[]>;

const isTest = (file: string) => file.endsWith('.test.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every relative module a file names: static imports and re-exports (types included) and dynamic import(). */
export function importsOf(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      found.push(node.moduleSpecifier.text);
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    )
      found.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found
    .filter((s) => s.startsWith('./') || s.startsWith('../'))
    .map((s) => posix.normalize(posix.join(posix.dirname(file), s)).replace(/\.js$/, '.ts'));
}

function readGraph(): Graph {
  const graph: Graph = new Map();
  for (const path of sourceFiles(SRC)) {
    const file = relative(SRC, path).split('\\').join('/');
    graph.set(file, importsOf(file, readFileSync(path, 'utf8')));
  }
  return graph;
}

/** The room of a file: the one with the longest path containing it, with its rank; undefined when none. */
export function roomOf(
  file: string,
  layers: readonly (readonly Room[])[],
): { room: Room; rank: number } | undefined {
  let best: { room: Room; rank: number; length: number } | undefined;
  layers.forEach((rooms, rank) => {
    for (const room of rooms)
      for (const p of room.paths)
        if ((p.endsWith('/') ? file.startsWith(p) : file === p) && p.length > (best?.length ?? -1))
          best = { room, rank, length: p.length };
  });
  return best && { room: best.room, rank: best.rank };
}

/** Imports that break the layering, as readable lines naming both files and their rooms. */
export function layerViolations(graph: Graph, layers: readonly (readonly Room[])[]): string[] {
  const problems: string[] = [];
  for (const [file, imports] of graph) {
    if (isTest(file)) continue;
    const from = roomOf(file, layers);
    if (!from) {
      problems.push(`${file} belongs to no layer (declare it in src/layers.ts)`);
      continue;
    }
    for (const target of imports) {
      if (target.startsWith('../')) {
        problems.push(`${file} (${from.room.name}) imports ${target}, outside src/`);
        continue;
      }
      const to = roomOf(target, layers);
      if (!to || to.room === from.room) continue;
      if (to.rank > from.rank)
        problems.push(`${file} (${from.room.name}) imports up: ${target} (${to.room.name})`);
      else if (to.rank === from.rank)
        problems.push(`${file} (${from.room.name}) imports sideways: ${target} (${to.room.name})`);
    }
  }
  return problems;
}

/** Every import cycle among the files that are not tests, each as its files sorted (Tarjan's components). */
export function importCycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w) || isTest(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!isTest(v) && !index.has(v)) visit(v);
  return cycles;
}

const key = (files: readonly string[]) => [...files].sort().join(' <-> ');

describe('the layers of src/', () => {
  const graph = readGraph();

  it('has no import up or sideways between the layers of src/layers.ts', () => {
    expect(layerViolations(graph, LAYERS)).toEqual([]);
  });

  it('has no import cycle beyond the known ones, and every known one still exists', () => {
    const found = importCycles(graph).map(key);
    const known = KNOWN_CYCLES.map((c) => key(c.files));
    expect(
      found.filter((c) => !known.includes(c)),
      'import cycles',
    ).toEqual([]);
    expect(
      known.filter((c) => !found.includes(c)),
      'known cycles that are gone: remove them from KNOWN_CYCLES',
    ).toEqual([]);
  });

  it('declares every room of src/layers.ts over files that exist', () => {
    const files = [...graph.keys()];
    const empty = LAYERS.flat().filter(
      (room) =>
        !files.some((f) => {
          const found = roomOf(f, LAYERS);
          return found?.room === room;
        }),
    );
    expect(empty.map((r) => r.name)).toEqual([]);
  });
});

describe('the import reader and its checks', () => {
  const layers: Room[][] = [
    [{ name: 'low', paths: ['low/'] }],
    [
      { name: 'mid', paths: ['mid/'] },
      { name: 'side', paths: ['side/', 'top/side.ts'] },
    ],
    [{ name: 'top', paths: ['top/'] }],
  ];

  it('reads static, type-only, re-exported and dynamic imports, relative ones only', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../low/b.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "const e = await import('../side/e.js');",
      "import { readFileSync } from 'node:fs';",
      "import ts from 'typescript';",
    ].join('\n');
    expect(importsOf('mid/x.ts', text)).toEqual([
      'mid/a.ts',
      'low/b.ts',
      'mid/c.ts',
      'mid/d.ts',
      'side/e.ts',
    ]);
  });

  it('names an upward, a sideways and an outside import, and a file of no layer', () => {
    const graph: Graph = new Map([
      ['low/a.ts', ['mid/b.ts']],
      ['mid/b.ts', ['low/a.ts', 'side/c.ts', 'mid/d.ts']],
      ['top/side.ts', ['mid/b.ts']],
      ['top/e.ts', ['../test/support/x.ts', 'top/side.ts', 'low/a.ts']],
      ['stray.ts', []],
      ['low/a.test.ts', ['top/e.ts']],
    ]);
    expect(layerViolations(graph, layers)).toEqual([
      'low/a.ts (low) imports up: mid/b.ts (mid)',
      'mid/b.ts (mid) imports sideways: side/c.ts (side)',
      'top/side.ts (side) imports sideways: mid/b.ts (mid)',
      'top/e.ts (top) imports ../test/support/x.ts, outside src/',
      'stray.ts belongs to no layer (declare it in src/layers.ts)',
    ]);
  });

  it('finds every cycle, tests left out', () => {
    const graph: Graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts']],
      ['e.ts', ['e.test.ts']],
      ['e.test.ts', ['e.ts']],
      ['f.ts', ['a.ts']],
    ]);
    expect(importCycles(graph).map(key).sort()).toEqual(['a.ts <-> b.ts <-> c.ts', 'd.ts']);
  });
});
