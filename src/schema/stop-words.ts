/**
 * Stop-word lists shipped with Sift, by name. English is Lucene's default English set: short enough that no
 * content word is lost ("it", "will" and "no" are as far as it goes), common enough to stop "the react" from
 * demanding a "the" in every hit.
 */
export const STOP_WORD_LISTS = {
  english: [
    'a',
    'an',
    'and',
    'are',
    'as',
    'at',
    'be',
    'but',
    'by',
    'for',
    'if',
    'in',
    'into',
    'is',
    'it',
    'no',
    'not',
    'of',
    'on',
    'or',
    'such',
    'that',
    'the',
    'their',
    'then',
    'there',
    'these',
    'they',
    'this',
    'to',
    'was',
    'will',
    'with',
  ],
} as const satisfies Record<string, readonly string[]>;

export type StopWordList = keyof typeof STOP_WORD_LISTS;
