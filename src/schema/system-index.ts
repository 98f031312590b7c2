import { SiftError } from '../errors.js';
import { checkIndexName } from './index-name.js';

/**
 * Indexes Sift keeps for itself inside the configured engine, so every replica sharing the engine sees the same
 * data. They never appear in listings, and user requests cannot read or write them.
 */
export const KEYS_INDEX = 'sift-keys';

const SYSTEM_INDEXES: ReadonlySet<string> = new Set([KEYS_INDEX]);

export const isSystemIndex = (name: string): boolean => SYSTEM_INDEXES.has(name);

/**
 * The index-name check for anything a user asks for: a valid name that is not a system index. System indexes
 * are refused as invalid names rather than "not found", so writes cannot create them either.
 */
export function checkUserIndex(name: string): string {
  checkIndexName(name);
  if (isSystemIndex(name))
    throw new SiftError('INVALID_INDEX_NAME', `index name "${name}" is reserved for Sift's own use`);
  return name;
}
