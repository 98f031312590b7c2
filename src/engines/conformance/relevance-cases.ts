/**
 * Relevance controls every engine keeps: typo tolerance (exact hits first), prefix plus typos on the word being
 * typed, stop words, "did you mean" and the settings that govern them. The corpus is built so each expectation
 * holds by construction: the misspelt words have exactly one sensible correction in it.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { EngineDriver } from './driver.js';

type Check = (title: string, fn: () => Promise<void>) => void;

export const RELEVANCE_SCHEMA = {
  id_field: 'name',
  fields: {
    name: { type: 'keyword', searchable: true, boost: 3 },
    codename: { type: 'keyword', searchable: true },
    summary: { type: 'text', searchable: true },
    downloads: { type: 'integer', sortable: true },
  },
  ranking: { exact_match: { fields: ['name'], boost: 100 }, popularity: { field: 'downloads', weight: 1 } },
  typo_tolerance: { disable_on_fields: ['codename'] },
  stop_words: { lists: ['english'] },
  synonyms: [
    { words: ['js', 'javascript'] },
    { from: 'k8s', to: ['kubernetes'] },
    { words: ['ui', 'user interfaces'] },
  ],
};

export const RELEVANCE_DOCS: Record<string, unknown>[] = [
  { name: 'react', summary: 'A JavaScript library for building user interfaces', downloads: 90_000_000 },
  { name: 'react-dom', summary: 'React package for working with the DOM', downloads: 80_000_000 },
  { name: 'preact', summary: 'Fast alternative to React with the same API', downloads: 5_000_000 },
  { name: 'express', summary: 'Fast, unopinionated, minimalist web framework', downloads: 70_000_000 },
  { name: 'lodash', summary: 'Modular utilities for arrays and objects', downloads: 120_000_000 },
  { name: 'lodash.merge', summary: 'The merge method as a module', downloads: 40_000_000 },
  // "widget" as typed in an obscure package, "widgets" (one edit away) in a very popular one.
  { name: 'tiny-widget', summary: 'one small widget', downloads: 3 },
  { name: 'mega-widgets', summary: 'many large widgets', downloads: 500_000_000 },
  // A package named by the corrected word, and a far more popular one that only mentions it.
  { name: 'faker', summary: 'Generate fake data', downloads: 1000 },
  { name: 'mock-kit', summary: 'Wraps faker with extras', downloads: 50_000_000 },
  { name: 'kubectl-helper', summary: 'Deploy to kubernetes clusters', downloads: 10 },
  { name: 'k8s-tool', summary: 'k8s tooling', downloads: 5 },
  // A codename is matched only as written: typo tolerance is off for that field.
  { name: 'orbit-db', codename: 'falcon', summary: 'peer to peer database', downloads: 1000 },
];

export function relevanceCases(check: Check, svc: () => EngineDriver): void {
  const idx = 'conformance-relevance';
  const ids = async (input: Parameters<EngineDriver['search']>[1]) =>
    (await svc().search(idx, input)).hits.map((h) => h.id);

  beforeAll(async () => {
    await svc().engine.dropIndex(idx);
    await svc().putIndex(idx, RELEVANCE_SCHEMA);
    expect((await svc().importDocuments(idx, RELEVANCE_DOCS)).failed).toBe(0);
  });
  afterAll(async () => {
    await svc().engine.dropIndex(idx);
  });

  check('corrects typos: one edit from 5 characters, the intended package first', async () => {
    expect((await ids({ q: 'reakt' }))[0]).toBe('react');
    expect((await ids({ q: 'expres' }))[0]).toBe('express');
    expect((await ids({ q: 'lodsh' })).slice(0, 3)).toContain('lodash');
    // Transposed neighbours count as one edit.
    expect((await ids({ q: 'lodahs ' }))[0]).toBe('lodash');
    // The package the corrected word names comes first among corrected hits; the name as typed above it.
    expect(await ids({ q: 'fkaer' })).toEqual(['faker', 'mock-kit']);
    expect(await ids({ q: 'faker' })).toEqual(['faker', 'mock-kit']);
    // Shorter words are taken as typed.
    expect(await ids({ q: 'raect', typo: false })).toEqual([]);
    expect(await ids({ q: 'rect ' })).toEqual([]);
  });

  check(
    'ranks hits of the word as typed above corrected ones, and can turn typos off per request',
    async () => {
      const res = await ids({ q: 'widget ' });
      expect(res).toEqual(['tiny-widget', 'mega-widgets']);
      expect(await ids({ q: 'widget ', typo: false })).toEqual(['tiny-widget']);
      expect(await ids({ q: 'reakt', typo: 'false' })).toEqual([]);
      expect((await ids({ q: 'react' }))[0]).toBe('react');
    },
  );

  check('completes the word being typed and corrects it', async () => {
    expect((await ids({ q: 'expr' }))[0]).toBe('express');
    expect((await ids({ q: 'web framewrk' }))[0]).toBe('express');
  });

  check('leaves typo tolerance off on the fields the settings name', async () => {
    expect(await ids({ q: 'falcon' })).toEqual(['orbit-db']);
    expect(await ids({ q: 'falcn ' })).toEqual([]);
  });

  check('drops stop words unless the query has nothing else', async () => {
    const react = await svc().search(idx, { q: 'react', size: 50 });
    const theReact = await svc().search(idx, { q: 'the react', size: 50 });
    expect(theReact.hits[0]?.id).toBe('react');
    expect(theReact.total).toBe(react.total);
    expect(theReact.hits.map((h) => h.id)).toEqual(react.hits.map((h) => h.id));
    // Only stop words: searched as typed.
    expect(await ids({ q: 'the', sort: 'name', size: 50 })).toEqual(['lodash.merge', 'preact', 'react-dom']);
  });

  check('matches synonyms: multi-way, one-way and several words', async () => {
    expect(await ids({ q: 'js library' })).toEqual(['react']);
    expect(await ids({ q: 'javascript library' })).toEqual(['react']);
    expect(await ids({ q: 'k8s', sort: 'name' })).toEqual(['k8s-tool', 'kubectl-helper']);
    // One-way: kubernetes does not find k8s.
    expect(await ids({ q: 'kubernetes' })).toEqual(['kubectl-helper']);
    expect(await ids({ q: 'ui library' })).toEqual(['react']);
    expect(await ids({ q: 'building ui' })).toEqual(['react']);
  });

  check('offers a corrected query when nothing matched and the correction would', async () => {
    const none = await svc().search(idx, { q: 'reakt', typo: false });
    expect(none.total).toBe(0);
    expect(none.did_you_mean).toBe('react');
    const field = await svc().search(idx, { q: 'falcn' });
    expect(field.total).toBe(0);
    expect(field.did_you_mean).toBe('falcon');
    const found = await svc().search(idx, { q: 'reakt' });
    expect(found.did_you_mean).toBeUndefined();
    expect((await svc().search(idx, { q: 'qqqqqqq' })).did_you_mean).toBeUndefined();
  });

  check('reads and replaces the relevance settings, applied at once', async () => {
    const settings = await svc().getSettings(idx);
    expect(settings).toEqual({
      typo_tolerance: {
        enabled: true,
        min_word_size: { one_typo: 5, two_typos: 9 },
        disable_on_fields: ['codename'],
      },
      stop_words: { lists: ['english'], words: [] },
      synonyms: RELEVANCE_SCHEMA.synonyms,
    });
    try {
      await svc().putSettings(idx, {
        typo_tolerance: { enabled: false },
        stop_words: { words: ['package'] },
      });
      expect(await ids({ q: 'reakt' })).toEqual([]);
      // "the" is a word like any other now.
      expect((await ids({ q: 'the react', size: 50 })).sort()).toEqual(['preact', 'react-dom']);
      expect(await ids({ q: 'react package' })).toEqual(await ids({ q: 'react' }));
      await svc().putSettings(idx, { typo_tolerance: { min_word_size: { one_typo: 4, two_typos: 8 } } });
      expect((await ids({ q: 'rect ' }))[0]).toBe('react');
      await expect(
        svc().putSettings(idx, { typo_tolerance: { disable_on_fields: ['downloads'] } }),
      ).rejects.toMatchObject({ code: 'INVALID_SETTINGS' });
    } finally {
      await svc().putSettings(idx, {
        typo_tolerance: RELEVANCE_SCHEMA.typo_tolerance,
        stop_words: RELEVANCE_SCHEMA.stop_words,
        synonyms: RELEVANCE_SCHEMA.synonyms,
      });
    }
    expect((await ids({ q: 'reakt' }))[0]).toBe('react');
  });
}
