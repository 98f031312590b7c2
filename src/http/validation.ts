import AjvCompiler from '@fastify/ajv-compiler';
import type { ValidatorFactory } from '@fastify/ajv-compiler';

/**
 * Unknown keys stay in place (so closed schemas refuse them instead of dropping them silently) and the first error
 * is reported (collecting all of them costs time an attacker chooses).
 */
const SHARED = { removeAdditional: false, allErrors: false, useDefaults: true } as const;

/** JSON bodies carry real types: `"5"` is not an integer, `true` is not a string. Nothing is converted. */
export const BODY_AJV_OPTIONS = { ...SHARED, coerceTypes: false } as const;

/**
 * Query strings, path parameters and headers are text on the wire, so `size=5` has to become the integer 5 and
 * `stats=true` the boolean. Only these parts are converted.
 */
export const TEXT_AJV_OPTIONS = { ...SHARED, coerceTypes: true } as const;

// One pool for the process: Fastify asks for a validator compiler per encapsulation context, and the pool hands
// back the same Ajv instance for the same options and shared schemas.
const pool = AjvCompiler();

/**
 * Fastify's per-part validator compiler: two Ajv instances, a strict one for bodies and a converting one for the
 * text parts of a request, chosen by the `httpPart` each route schema is compiled for.
 */
export const buildValidator: ValidatorFactory = (externalSchemas) => {
  const forBody = pool(externalSchemas, { customOptions: { ...BODY_AJV_OPTIONS } });
  const forText = pool(externalSchemas, { customOptions: { ...TEXT_AJV_OPTIONS } });
  return (route) => (route.httpPart === 'body' ? forBody : forText)(route);
};

/**
 * A validator for a JSON value checked inside a handler rather than by the route (one entry of a multi-search,
 * refused in place while the others go on): the body instance, so it is as strict as a body. Returns Ajv's
 * errors, or null when the value is valid.
 */
export function bodyValidator(schema: object): (value: unknown) => object[] | null {
  const validate = pool(
    {},
    { customOptions: { ...BODY_AJV_OPTIONS } },
  )({
    schema,
    method: 'POST',
    url: '(in a handler)',
    httpPart: 'body',
  });
  return (value) => {
    if (validate(value) === true) return null;
    return ((validate as unknown as { errors?: object[] | null }).errors ?? []).slice();
  };
}
