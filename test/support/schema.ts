import type { FieldSpec, FieldType } from '../../src/schema/types.js';

/** A fully spelled-out field spec for unit tests that build an IndexSchema literal by hand. */
export const fieldSpec = (type: FieldType, options: Partial<FieldSpec> = {}): FieldSpec => ({
  type,
  searchable: false,
  boost: 1,
  filterable: type !== 'text',
  facet: false,
  sortable: false,
  returned: true,
  required: false,
  ...options,
});
