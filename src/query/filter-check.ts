import { SiftError } from '../errors.js';
import type { FieldType, IndexSchema } from '../schema/types.js';
import { conditionCount, MAX_FILTER_CONDITIONS, normalizeFilter } from './filter-normalize.js';
import type { Filter, Scalar } from './types.js';

/**
 * Checks a parsed filter against the index schema and converts every value to its field's type, so engines
 * receive only known, filterable fields and values they can compare without guessing (dates as epoch ms).
 */

type Range = Extract<Filter, { kind: 'range' }>;

const NUMERIC_STRING = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Date, or date-time with optional seconds, fraction and offset; RFC 3339's space separator is accepted too. */
const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;
/** The range of a JavaScript Date, which is also what every engine can store. */
const MAX_EPOCH_MS = 8.64e15;

const fail = (field: string, problem: string): never => {
  throw new SiftError('INVALID_FILTER', `filter: ${problem}`, { field });
};

const show = (v: Scalar): string => {
  if (typeof v !== 'string') return String(v);
  const s = JSON.stringify(v);
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
};

function fieldType(field: string, schema: IndexSchema): FieldType {
  // hasOwn, not `in` or a plain lookup: "constructor" or "__proto__" must not resolve to Object.prototype.
  const spec = Object.hasOwn(schema.fields, field) ? schema.fields[field] : undefined;
  if (!spec) {
    if (field === schema.id_field) return 'keyword';
    return fail(field, `unknown field "${field}"`);
  }
  if (!spec.filterable && field !== schema.id_field) fail(field, `field "${field}" is not filterable`);
  return spec.type;
}

function toNumber(field: string, v: Scalar): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && NUMERIC_STRING.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n)) fail(field, `field "${field}" expects a number, got ${show(v)}`);
  return n;
}

/** Epoch ms of an ISO-8601 date; a date-time without an offset is UTC, so results never depend on the host zone. */
function parseIsoDate(s: string): number | undefined {
  const m = ISO_DATE.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', , sign, oh = '0', om = '0'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59 || Number(oh) > 23 || Number(om) > 59)
    return undefined;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC, which maps years 0-99 to 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCDate() !== day) return undefined;
  date.setUTCHours(Number(h), Number(mi), Number(sec), Number(frac.padEnd(3, '0').slice(0, 3)));
  const offset = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000 : 0;
  return date.getTime() - offset;
}

function toDate(field: string, v: Scalar): number {
  let ms: number | undefined;
  if (typeof v === 'number') ms = v;
  else if (typeof v === 'string') ms = NUMERIC_STRING.test(v) ? Number(v) : parseIsoDate(v);
  if (ms === undefined || !Number.isInteger(ms) || Math.abs(ms) > MAX_EPOCH_MS) {
    fail(
      field,
      `field "${field}" expects an ISO-8601 date (2024-01-31 or 2024-01-31T12:00:00Z) or epoch milliseconds, got ${show(v)}`,
    );
  }
  return ms as number;
}

function convert(field: string, type: FieldType, v: Scalar): Scalar {
  switch (type) {
    case 'integer': {
      const n = toNumber(field, v);
      if (!Number.isInteger(n)) fail(field, `field "${field}" expects an integer, got ${show(v)}`);
      if (!Number.isSafeInteger(n)) {
        fail(
          field,
          `field "${field}" expects an integer between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}, got ${show(v)}`,
        );
      }
      return n;
    }
    case 'float':
      return toNumber(field, v);
    case 'date':
      return toDate(field, v);
    case 'boolean': {
      if (typeof v === 'boolean') return v;
      const s = typeof v === 'string' ? v.toLowerCase() : '';
      if (s === 'true' || s === 'false') return s === 'true';
      return fail(field, `field "${field}" expects true or false, got ${show(v)}`);
    }
    default:
      return typeof v === 'string' ? v : String(v);
  }
}

/**
 * Returns a new filter with every value converted to its field's type, in the normalized shape engines run
 * (see filter-normalize.ts); throws SiftError INVALID_FILTER.
 */
export function checkFilter(filter: Filter, schema: IndexSchema): Filter {
  const out = normalizeFilter(convertFilter(filter, schema));
  const conditions = conditionCount(out);
  if (conditions > MAX_FILTER_CONDITIONS) {
    throw new SiftError(
      'INVALID_FILTER',
      `filter: ${conditions} conditions; at most ${MAX_FILTER_CONDITIONS} are allowed (equalities on one field joined by OR count once per 1,024 values, so list values with IN)`,
      { conditions, max_conditions: MAX_FILTER_CONDITIONS },
    );
  }
  return out;
}

function convertFilter(filter: Filter, schema: IndexSchema): Filter {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return { kind: filter.kind, children: filter.children.map((c) => convertFilter(c, schema)) };
    case 'not':
      return { kind: 'not', child: convertFilter(filter.child, schema) };
    case 'exists':
      fieldType(filter.field, schema);
      return { kind: 'exists', field: filter.field };
    case 'term': {
      const type = fieldType(filter.field, schema);
      return { kind: 'term', field: filter.field, value: convert(filter.field, type, filter.value) };
    }
    case 'terms': {
      const type = fieldType(filter.field, schema);
      // "1" and 1 are the same value once converted; duplicates only make engine queries longer.
      const values = [...new Set(filter.values.map((v) => convert(filter.field, type, v)))];
      return { kind: 'terms', field: filter.field, values };
    }
    case 'range': {
      const type = fieldType(filter.field, schema);
      if (type === 'boolean')
        fail(
          filter.field,
          `field "${filter.field}" is boolean; a range filter needs a number, date or keyword field`,
        );
      const out: Range = { kind: 'range', field: filter.field };
      for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
        const v = filter[bound];
        if (v !== undefined) out[bound] = convert(filter.field, type, v);
      }
      return out;
    }
  }
}
