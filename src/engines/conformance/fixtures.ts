/** A small, hand-checked corpus for the conformance suite: every expectation in suite.ts can be verified by eye. */
export const FIXTURE_SCHEMA = {
  id_field: 'name',
  fields: {
    name: { type: 'keyword', searchable: true, boost: 3, sortable: true },
    summary: { type: 'text', searchable: true },
    downloads: { type: 'integer', filterable: true, sortable: true, facet: true },
    scope: { type: 'keyword', facet: true },
    license: { type: 'keyword', facet: true, sortable: true },
    deprecated: { type: 'boolean' },
    published: { type: 'date', sortable: true },
  },
  ranking: { exact_match: { fields: ['name'], boost: 100 }, popularity: { field: 'downloads', weight: 1 } },
  suggest: { field: 'name' },
} as const;

export const FIXTURE_DOCS: Record<string, unknown>[] = [
  { name: 'react', summary: 'React is a JavaScript library for building user interfaces.', downloads: 90_000_000, license: 'MIT', published: '2013-05-29' },
  { name: 'react-dom', summary: 'React package for working with the DOM.', downloads: 80_000_000, license: 'MIT', published: '2013-05-29' },
  { name: '@types/react', summary: 'TypeScript definitions for react', downloads: 70_000_000, scope: '@types', license: 'MIT', published: '2016-05-17' },
  { name: '@types/react-dom', summary: 'TypeScript definitions for react-dom', downloads: 60_000_000, scope: '@types', license: 'MIT', published: '2016-05-17' },
  { name: '@types/node', summary: 'TypeScript definitions for node', downloads: 150_000_000, scope: '@types', license: 'MIT', published: '2016-05-17T10:00:00Z' },
  { name: '@babel/core', summary: 'Babel compiler core.', downloads: 50_000_000, scope: '@babel', license: 'MIT', published: '2017-01-01' },
  { name: 'preact', summary: 'Fast 3kb React-compatible Virtual DOM library.', downloads: 5_000_000, license: 'MIT', published: '2015-09-11' },
  { name: 'lodash', summary: 'A modern JavaScript utility library delivering modularity, performance and extras.', downloads: 120_000_000, license: 'MIT', published: '2012-04-23' },
  { name: 'lodash.merge', summary: 'The Lodash method _.merge exported as a module.', downloads: 40_000_000, license: 'MIT', published: '2013-09-23' },
  { name: 'express', summary: 'Fast, unopinionated, minimalist web framework', downloads: 70_000_000, license: 'MIT', published: '2010-12-29T00:00:00Z' },
  { name: 'request', summary: 'Simplified HTTP request client.', downloads: 20_000_000, license: 'BSD-3-Clause', deprecated: true, published: '2011-01-01' },
  { name: 'left-pad', summary: 'String left pad', downloads: 1_000_000, license: 'ISC', deprecated: true, published: '2014-03-18' },
  { name: 'semver', summary: 'The semantic version parser used by npm.', downloads: 300_000_000, license: 'ISC', published: '2011-02-11' },
  { name: 'c-plus-plus-parser', summary: 'Parses C++ headers', downloads: 100, published: '2020-01-01' },
  // Four identical documents: their relevance ties exactly, so only the id orders them.
  ...['tie-d', 'tie-b', 'tie-a', 'tie-c'].map((name) => ({ name, summary: 'zebra stripes', downloads: 7 })),
  { name: 'xss-demo', summary: 'Demo of <script>alert(1)</script> in JavaScript & HTML', downloads: 10 },
];
