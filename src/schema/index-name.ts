import { SiftError } from '../errors.js';

/** The one definition of a valid index name; the HTTP schemas and the OpenAPI document use its source. */
export const INDEX_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function checkIndexName(name: string): string {
  if (!INDEX_NAME.test(name)) {
    throw new SiftError(
      'INVALID_INDEX_NAME',
      `index name ${JSON.stringify(name).slice(0, 80)} is invalid: use 1-64 characters of a-z, 0-9, "-" and "_", starting with a letter or digit`,
    );
  }
  return name;
}
