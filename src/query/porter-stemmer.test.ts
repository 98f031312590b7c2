import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { porterStem } from './porter-stemmer.js';
import { tokenize } from './text-query.js';
import { seededRandom } from '../../test/support/seeded-random.js';

/** Each word's stem as FTS5's porter tokenizer (the embedded engine's english analyzer) indexes it. */
function fts5Stems(words: string[]): string[] {
  const db = new Database(':memory:');
  try {
    db.exec("CREATE VIRTUAL TABLE t USING fts5(w, tokenize = 'porter unicode61 remove_diacritics 2')");
    db.exec("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')");
    const insert = db.prepare('INSERT INTO t(rowid, w) VALUES (?, ?)');
    db.transaction(() => words.forEach((w, i) => insert.run(i + 1, w)))();
    const stems: string[] = new Array<string>(words.length);
    for (const row of db.prepare('SELECT term, doc FROM v').all() as { term: string; doc: number }[])
      stems[row.doc - 1] = row.term;
    return stems;
  } finally {
    db.close();
  }
}

// prettier-ignore
const BASES = [
  'run', 'hop', 'hope', 'fil', 'fail', 'sing', 'agree', 'feed', 'plaster', 'bled', 'motor', 'conflat', 'troubl',
  'siz', 'tann', 'fall', 'hiss', 'fizz', 'happ', 'sky', 'relat', 'condition', 'ration', 'valenc', 'hesitanc',
  'digitiz', 'conform', 'radic', 'different', 'vile', 'analog', 'vietnam', 'predic', 'operat', 'feudal',
  'decis', 'hope', 'callous', 'formal', 'sensitiv', 'sensibil', 'triplic', 'electr', 'hope', 'good', 'revival',
  'allow', 'infer', 'airlin', 'gyroscop', 'adjust', 'depend', 'adopt', 'homolog', 'communism', 'activ',
  'angular', 'homologous', 'effect', 'bowdler', 'control', 'roll', 'generaliz', 'caress', 'poni', 'ti', 'cat',
  'eed', 'ying', 'at', 'bl', 'iz', 'y', 'ss', 'e', 'javascript', 'react', 'typescript', 'lodash', 'express',
  'queue', 'cache', 'index', 'search', 'analyz', 'util', 'configur', 'compil', 'bundl', 'test',
];
// prettier-ignore
const SUFFIXES = [
  '', 's', 'es', 'ies', 'sses', 'ss', 'ed', 'eed', 'ing', 'ings', 'y', 'ly', 'ily', 'ational', 'tional', 'enci',
  'anci', 'izer', 'logi', 'bli', 'alli', 'entli', 'eli', 'ousli', 'ization', 'ation', 'ator', 'alism', 'iveness',
  'fulness', 'ousness', 'aliti', 'iviti', 'biliti', 'icate', 'ative', 'alize', 'iciti', 'ical', 'ful', 'ness',
  'al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent', 'sion', 'tion', 'ou', 'ism',
  'ate', 'iti', 'ous', 'ive', 'ize', 'e', 'll', 'ers', 'ations', 'izations', 'ables',
];

describe('the Porter stemmer', () => {
  it("stems the paper's examples as FTS5 does", () => {
    const cases: Record<string, string> = {
      caresses: 'caress',
      ponies: 'poni',
      cats: 'cat',
      running: 'run',
      runs: 'run',
      run: 'run',
      runner: 'runner',
      hopping: 'hop',
      hoping: 'hope',
      agreed: 'agre',
      conflated: 'conflat',
      happy: 'happi',
      relational: 'relat',
      generalization: 'gener',
      electrical: 'electr',
      adjustment: 'adjust',
      controll: 'control',
      // FTS5's revisions and its limits: bli -> ble, too short or too long tokens untouched.
      sensibility: 'sensibl',
      is: 'is',
      [`${'a'.repeat(62)}ing`]: `${'a'.repeat(62)}ing`,
    };
    for (const [word, stem] of Object.entries(cases)) expect(porterStem(word), word).toBe(stem);
  });

  it('agrees with FTS5 on built words, random words and words of other scripts', () => {
    const words = new Set<string>();
    for (const base of BASES) for (const suffix of SUFFIXES) words.add(base + suffix);
    const next = seededRandom(16);
    // Letters weighted toward those the rules look at, so most branches are reached by chance too.
    const letters = 'aeiouyyssseeddinglltbcmnprvzx';
    for (let i = 0; i < 20_000; i++) {
      const length = 1 + Math.floor(next() * 12);
      let w = '';
      for (let j = 0; j < length; j++) w += letters[Math.floor(next() * letters.length)];
      words.add(w);
    }
    // Lengths around FTS5's 64-byte limit, digits, and tokens of other scripts (stemmed byte-wise by FTS5).
    for (const n of [61, 62, 63, 64, 65]) words.add(`${'b'.repeat(n - 3)}ing`);
    for (const text of [
      '2nd',
      '1990s',
      'naïve',
      'crèmes',
      'zählungen',
      'данные',
      'ключей',
      'αβγing',
      'éééing',
    ])
      for (const t of tokenize(text)) words.add(t);
    words.add(`${'ж'.repeat(30)}ing`);
    words.add(`${'ж'.repeat(31)}ing`);
    const list = [...words];
    const expected = fts5Stems(list);
    const differing = list.filter((w, i) => porterStem(w) !== expected[i]);
    expect(differing.map((w) => `${w}: ${porterStem(w)} != ${expected[list.indexOf(w)]}`)).toEqual([]);
    expect(list.length).toBeGreaterThan(20_000);
  });
});
