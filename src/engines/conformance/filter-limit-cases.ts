/**
 * The largest filters the validators accept, run on every engine with their results checked: what the
 * validators allow must run everywhere (a wide OR once reached SQLite's expression depth limit, and the clusters
 * bound clause counts and nesting), never end in a 500.
 */
import { expect } from 'vitest';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from '../../query/filter-expression.js';
import { MAX_FILTER_CONDITIONS } from '../../query/filter-normalize.js';
import { MAX_TREE_DEPTH, MAX_TREE_NODES } from '../../query/filter-tree.js';
import type { EngineDriver } from './driver.js';
import { FIXTURE_DOCS } from './fixtures.js';

type Check = (title: string, fn: () => Promise<void>) => void;
type Doc = Record<string, unknown>;
type Tree = Record<string, unknown>;

const INDEX = 'conformance';

/** The reference semantics of a JSON filter over the fixture (numbers and keywords only): a missing field is false. */
function matches(node: Tree, doc: Doc): boolean {
  const [kind, body] = Object.entries(node)[0]!;
  switch (kind) {
    case 'and':
      return (body as Tree[]).every((c) => matches(c, doc));
    case 'or':
      return (body as Tree[]).some((c) => matches(c, doc));
    case 'not':
      return !matches(body as Tree, doc);
    case 'term': {
      const [field, value] = Object.entries(body as Tree)[0]!;
      return doc[field] === value;
    }
    case 'range': {
      const [field, b] = Object.entries(body as Record<string, Record<string, number>>)[0]!;
      const v = doc[field];
      if (typeof v !== 'number') return false;
      return (
        (b.gt === undefined || v > b.gt) &&
        (b.gte === undefined || v >= b.gte) &&
        (b.lt === undefined || v < b.lt) &&
        (b.lte === undefined || v <= b.lte)
      );
    }
    case 'exists':
      return doc[(body as { field: string }).field] !== undefined;
    default:
      throw new Error(`reference evaluator: unknown node ${kind}`);
  }
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const expected = (tree: Tree): string[] =>
  FIXTURE_DOCS.filter((d) => matches(tree, d))
    .map((d) => d.name as string)
    .sort(byName);

const downloads = FIXTURE_DOCS.map((d) => d.downloads as number);
const mitDownloads = FIXTURE_DOCS.filter((d) => d.license === 'MIT').map((d) => d.downloads as number);

/** A chain of connectives MAX_TREE_DEPTH deep (the leaf at the deepest level allowed), each with a leaf beside it. */
function chain(kinds: ('and' | 'or' | 'not')[]): Tree {
  let node: Tree = { term: { license: 'ISC' } };
  for (let i = MAX_TREE_DEPTH - 1; i >= 0; i--) {
    const kind = kinds[i % kinds.length]!;
    if (kind === 'not') node = { not: node };
    else if (kind === 'and') node = { and: [node, { range: { downloads: { gte: i * 1000 } } }] };
    else node = { or: [node, { term: { license: i % 2 ? 'BSD-3-Clause' : 'MIT' } }] };
  }
  return node;
}

export function filterLimitCases(check: Check, service: () => EngineDriver): void {
  const ids = async (input: Parameters<EngineDriver['search']>[1]) =>
    (await service().search(INDEX, { sort: 'name', size: 50, ...input })).hits.map((h) => h.id);

  check(`runs the widest legal OR: ${MAX_TREE_NODES - 1} equalities`, async () => {
    const values = [...mitDownloads, ...Array.from({ length: MAX_TREE_NODES }, (_, i) => -1 - i)];
    const oneField: Tree = {
      or: values.slice(0, MAX_TREE_NODES - 1).map((v) => ({ term: { downloads: v } })),
    };
    expect(await ids({ filter: oneField })).toEqual(expected(oneField));
    const twoFields: Tree = {
      or: Array.from({ length: MAX_TREE_NODES - 1 }, (_, i) =>
        i % 2 ? { term: { license: i === 1 ? 'ISC' : `L${i}` } } : { term: { downloads: values[i / 2]! } },
      ),
    };
    expect(await ids({ filter: twoFields })).toEqual(expected(twoFields));
  });

  check(
    `runs ${MAX_FILTER_CONDITIONS} distinct conditions under one OR and one AND, with a text query`,
    async () => {
      const picked = downloads.filter((_, i) => i % 3 === 0);
      const ranges = Array.from({ length: MAX_FILTER_CONDITIONS }, (_, i) =>
        i < picked.length
          ? { range: { downloads: { gte: picked[i]!, lte: picked[i]! } } }
          : { range: { downloads: { gt: -10 * i - 5, lt: -10 * i } } },
      );
      const or: Tree = { or: ranges };
      expect(await ids({ filter: or })).toEqual(expected(or));
      const and: Tree = {
        and: [
          { term: { license: 'MIT' } },
          ...Array.from({ length: MAX_FILTER_CONDITIONS - 1 }, (_, i) => ({
            range: { downloads: { gte: -i } },
          })),
        ],
      };
      expect(await ids({ filter: and })).toEqual(expected(and));
      // With text: the filter's conditions and the text query's clauses go to the cluster as one query.
      for (const q of ['react', 'react dom types node lodash merge express parser demo -zebra -stripes']) {
        const text = await ids({ q });
        expect(await ids({ q, filter: or })).toEqual(text.filter((id) => expected(or).includes(id)));
      }
    },
  );

  check('runs the deepest legal trees', async () => {
    for (const kinds of [
      ['or', 'not', 'and'],
      ['and', 'or'],
      ['not'],
      ['or', 'not'],
      ['and', 'not'],
    ] as const) {
      const tree = chain([...kinds]);
      expect(await ids({ filter: tree }), kinds.join(',')).toEqual(expected(tree));
    }
  });

  check('runs the longest and the deepest filter expressions', async () => {
    let expr = `downloads = ${mitDownloads[0]}`;
    const values = [...mitDownloads.slice(1), ...Array.from({ length: 2000 }, (_, i) => 1000 + i)];
    for (const v of values) {
      const next = `${expr} OR downloads = ${v}`;
      if (next.length > MAX_FILTER_LENGTH) break;
      expr = next;
    }
    const mit = expected({ term: { license: 'MIT' } });
    expect(await ids({ filter: expr })).toEqual(mit);
    // (license = "ISC" OR (downloads >= 0 AND (license = "ISC" OR ...))), MAX_FILTER_DEPTH parentheses deep.
    let deep = 'license = "ISC"';
    for (let i = 0; i < MAX_FILTER_DEPTH; i++)
      deep = i % 2 ? `(license = "BSD-3-Clause" OR ${deep})` : `(downloads >= ${i * 1000} AND ${deep})`;
    const tree: Tree = { or: [{ term: { license: 'BSD-3-Clause' } }, { term: { license: 'ISC' } }] };
    expect(await ids({ filter: deep })).toEqual(expected(tree));
  });

  check(
    'refuses a legal-sized tree with too many conditions as INVALID_FILTER, not an engine error',
    async () => {
      const tree = {
        and: Array.from({ length: MAX_TREE_NODES - 1 }, (_, i) => ({
          exists: { field: i % 2 ? 'license' : 'scope' },
        })),
      };
      await expect(service().search(INDEX, { filter: tree })).rejects.toMatchObject({
        code: 'INVALID_FILTER',
      });
    },
  );
}
