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
  // "momemt" is one edit from moment, and only the beginning of a word of a far more popular package.
  { name: 'moment', summary: 'Parse, validate and format dates', downloads: 20_000_000 },
  { name: 'momemtum-internal', summary: 'Internal build tools', downloads: 900_000_000 },
  // "quartz" in one name and in another summary, equally popular: the weights a request gives decide.
  { name: 'quartz-cli', summary: 'Command line tool', downloads: 1000 },
  { name: 'clock-kit', summary: 'quartz clock utilities', downloads: 1000 },
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

  check('ranks a corrected name above a word the query only begins', async () => {
    // Whole words as typed come first; a prefix completion competes with the corrections on score, where the
    // corrected name's share of the exact-name boost outweighs the other package's popularity.
    expect(await ids({ q: 'momemt' })).toEqual(['moment', 'momemtum-internal']);
    expect(await ids({ q: 'momemt', typo: false })).toEqual(['momemtum-internal']);
    expect((await ids({ q: 'momemtum' }))[0]).toBe('momemtum-internal');
  });

  check('searches only the fields a request names, with the weights it gives', async () => {
    expect(await ids({ q: 'quartz', search_fields: 'name^10,summary' })).toEqual(['quartz-cli', 'clock-kit']);
    expect(await ids({ q: 'quartz', search_fields: 'name,summary^10' })).toEqual(['clock-kit', 'quartz-cli']);
    expect(await ids({ q: 'quartz', search_fields: ['summary'] })).toEqual(['clock-kit']);
    expect(await ids({ q: 'quartz', search_fields: { name: 2 } })).toEqual(['quartz-cli']);
    // Exclusions look at the chosen fields only.
    expect(await ids({ q: 'quartz -clock', search_fields: 'name' })).toEqual(['quartz-cli']);
    // Corrections too.
    expect(await ids({ q: 'quarzt ', search_fields: 'summary' })).toEqual(['clock-kit']);
    for (const bad of ['downloads', 'nope', 'name,name'])
      await expect(svc().search(idx, { q: 'quartz', search_fields: bad })).rejects.toMatchObject({
        code: 'INVALID_FIELD',
      });
    await expect(svc().search(idx, { q: 'quartz', search_fields: 'name^0' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  check('stems English words when the schema asks for the english analyzer, after a rebuild', async () => {
    const words = 'conformance-stemming';
    const schema = {
      id_field: 'id',
      fields: { id: { type: 'keyword' }, body: { type: 'text', searchable: true } },
    };
    const found = async (q: string) => (await svc().search(words, { q, sort: 'id' })).hits.map((h) => h.id);
    await svc().engine.dropIndex(words);
    try {
      await svc().putIndex(words, schema);
      const docs = [
        { id: 'a', body: 'I run every morning' },
        { id: 'b', body: 'Running shoes' },
        { id: 'c', body: 'A runner' },
      ];
      expect((await svc().importDocuments(words, docs)).failed).toBe(0);
      expect(await found('running ')).toEqual(['b']);
      // The analyzer decides how the text index is built: changing it rebuilds the index with the documents.
      await svc().putIndex(words, { ...schema, analyzer: 'english' });
      expect(await found('running ')).toEqual(['a', 'b']);
      expect(await found('runs ')).toEqual(['a', 'b']);
      expect(await found('run ')).toEqual(['a', 'b']);
      expect(await found('"running shoes"')).toEqual(['b']);
      await expect(
        Promise.resolve().then(() => svc().putIndex(words, { ...schema, analyzer: 'klingon' })),
      ).rejects.toMatchObject({
        code: 'INVALID_SCHEMA',
      });
    } finally {
      await svc().engine.dropIndex(words);
    }
  });

  check('keeps typos, the word being typed, highlights and suggestions working over stems', async () => {
    const words = 'conformance-stemmed-relevance';
    await svc().engine.dropIndex(words);
    try {
      await svc().putIndex(words, {
        id_field: 'id',
        fields: { id: { type: 'keyword' }, body: { type: 'text', searchable: true } },
        suggest: { field: 'body' },
        analyzer: 'english',
      });
      const docs = [
        { id: 'a', body: 'I run every morning' },
        { id: 'b', body: 'Running shoes' },
        { id: 'c', body: 'A runner' },
        { id: 'd', body: 'Connected devices' },
      ];
      expect((await svc().importDocuments(words, docs)).failed).toBe(0);
      const found = async (q: string) => (await svc().search(words, { q, sort: 'id' })).hits.map((h) => h.id);
      // The word being typed is stemmed, then taken as a prefix of the stems: run, runner.
      expect(await found('run')).toEqual(['a', 'b', 'c']);
      expect(await found('runn')).toEqual(['c']);
      // Typos are corrected among the stems, the word's stem first: "shoez" is one edit from "shoe" (the stem of
      // "shoes"), "runing" stems to "rune" and "runnning" to "runn", each one edit from "run".
      expect(await found('shoez ')).toEqual(['b']);
      expect(await found('runing ')).toEqual(['a', 'b']);
      expect(await found('runnning ')).toEqual(['a', 'b']);
      expect(await found('connecting ')).toEqual(['d']);
      expect(await found('device connection ')).toEqual(['d']);
      expect(await found('running -shoe ')).toEqual(['a']);
      // The highlight marks the word of the document, whatever form the query used.
      const hl = await svc().search(words, { q: 'runs ', highlight: 'body', sort: 'id' });
      expect(hl.hits.map((h) => h.highlights?.body?.[0])).toEqual([
        'I <mark>run</mark> every morning',
        '<mark>Running</mark> shoes',
      ]);
      const suggested = await svc().suggest(words, 'running sh', 5);
      expect(suggested.suggestions.map((s) => s.id)).toEqual(['b']);
    } finally {
      await svc().engine.dropIndex(words);
    }
  });

  check('finds a CJK word inside text written without spaces', async () => {
    const cjk = 'conformance-cjk';
    await svc().engine.dropIndex(cjk);
    try {
      await svc().putIndex(cjk, {
        id_field: 'id',
        fields: { id: { type: 'keyword' }, body: { type: 'text', searchable: true } },
      });
      const docs = [
        { id: 'a', body: '今日は天気がいい' },
        { id: 'b', body: '東京の天気予報' },
        { id: 'c', body: '天気' },
        { id: 'd', body: '오늘 날씨가 좋다' },
        { id: 'e', body: 'weather in Tokyo' },
      ];
      expect((await svc().importDocuments(cjk, docs)).failed).toBe(0);
      const found = async (q: string) => (await svc().search(cjk, { q, sort: 'id' })).hits.map((h) => h.id);
      expect(await found('天気')).toEqual(['a', 'b', 'c']);
      expect(await found('天気 ')).toEqual(['a', 'b', 'c']);
      expect(await found('東京')).toEqual(['b']);
      expect(await found('날씨')).toEqual(['d']);
      expect(await found('天気 -東京')).toEqual(['a', 'c']);
      // The word standing alone ranks first.
      expect((await svc().search(cjk, { q: '天気' })).hits[0]?.id).toBe('c');
    } finally {
      await svc().engine.dropIndex(cjk);
    }
  });

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
