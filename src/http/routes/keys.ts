import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiKeys } from '../../auth/api-keys.js';
import { EXPIRY_PATTERN, parseExpiry } from '../../auth/expiry.js';
import type { Principal } from '../../auth/principal.js';
import { deriveScopedKey } from '../../auth/scoped-keys.js';
import { SiftError } from '../../errors.js';
import { errorResponses } from '../plugins/errors.js';
import { DisplayName, IndexName, Timestamp, UrlText } from '../schemas.js';

const Scope = Type.Union([Type.Literal('search'), Type.Literal('write'), Type.Literal('admin')]);
const IndexList = Type.Array(IndexName('An index the key may use'), {
  minItems: 1,
  maxItems: 1000,
  description: 'Index allowlist',
});
const Expires = Type.String({
  description: 'A duration from now (90m, 8h, 30d, 2w) or an ISO-8601 date; must be in the future',
  maxLength: 64,
  pattern: EXPIRY_PATTERN,
});

const KeyView = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    scopes: Type.Array(Scope),
    indexes: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'null = every index' }),
    created_at: Timestamp(),
    expires_at: Type.Union([Timestamp(), Type.Null()]),
    revoked_at: Type.Union([Timestamp(), Type.Null()]),
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  },
  { additionalProperties: false },
);
const CreatedKey = Type.Object(
  { ...KeyView.properties, key: Type.String({ description: 'The secret key: shown once, never again' }) },
  { additionalProperties: false },
);
const CreateBody = Type.Object(
  {
    name: DisplayName(200),
    scopes: Type.Array(Scope, { minItems: 1, maxItems: 3 }),
    indexes: Type.Optional(IndexList),
    expires: Type.Optional(Expires),
  },
  { additionalProperties: false },
);
const ScopedBody = Type.Object(
  {
    parent: Type.String({ description: 'Id of the parent API key', maxLength: 64 }),
    filter: Type.Optional(
      Type.Union([
        Type.String({ maxLength: 4096 }),
        Type.Object({}, { additionalProperties: true, description: 'Filter tree' }),
      ]),
    ),
    indexes: Type.Optional(IndexList),
    expires: Expires,
  },
  { additionalProperties: false },
);
const ScopedKey = Type.Object(
  {
    key: Type.String(),
    parent: Type.String(),
    indexes: Type.Union([Type.Array(Type.String()), Type.Null()]),
    expires_at: Timestamp(),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object(
  { id: UrlText({ minLength: 1, maxLength: 64, description: 'API key id' }) },
  { additionalProperties: false },
);

/**
 * An admin limited to some indexes may only hand out keys limited to (some of) those indexes; otherwise an
 * allowlist could be escaped by minting a key without one.
 */
function allowlistFor(creator: Principal, asked: string[] | undefined): string[] | undefined {
  if (creator.indexes === null) return asked;
  if (!asked) return [...creator.indexes];
  const outside = asked.find((i) => !creator.indexes!.includes(i));
  if (outside)
    throw new SiftError('FORBIDDEN', `your credentials do not allow index "${outside}"`, { index: outside });
  return asked;
}

/** API key management (admin scope): create (secret shown once), list, show, revoke, derive scoped keys. */
export async function keyRoutes(fastify: FastifyInstance, { keys }: { keys: ApiKeys }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['keys'];

  app.post(
    '/api/keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Create an API key',
        description: 'Answers the secret key once; only its hash is stored.',
        body: CreateBody,
        response: { 201: CreatedKey, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { key, view } = await keys.create({
        name: req.body.name,
        scopes: req.body.scopes,
        indexes: allowlistFor(req.principal, req.body.indexes) ?? null,
        expiresAt: req.body.expires ? parseExpiry(req.body.expires, 'expires') : null,
      });
      return reply.code(201).send({ ...view, key });
    },
  );

  app.get(
    '/api/keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'List API keys (never their secrets)',
        response: { 200: Type.Object({ keys: Type.Array(KeyView) }), ...errorResponses },
      },
    },
    async () => ({ keys: await keys.list() }),
  );

  app.get(
    '/api/keys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Show an API key',
        params: IdParams,
        response: { 200: KeyView, ...errorResponses },
      },
    },
    async (req) => keys.get(req.params.id),
  );

  app.delete(
    '/api/keys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Revoke an API key',
        description: `Every process refuses it within AUTH_KEY_CACHE_SECONDS; its scoped keys stop working too.`,
        params: IdParams,
        response: { 200: KeyView, ...errorResponses },
      },
    },
    async (req) => keys.revoke(req.params.id),
  );

  app.post(
    '/api/keys/scoped',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Derive a scoped search key from a parent key',
        description:
          'The filter, index list and expiry are signed into the key: clients cannot change or remove them.',
        body: ScopedBody,
        response: { 201: ScopedKey, ...errorResponses },
      },
    },
    async (req, reply) => {
      const parent = await keys.store.get(req.body.parent);
      if (!parent)
        throw new SiftError('KEY_NOT_FOUND', `API key "${req.body.parent}" does not exist`, {
          id: req.body.parent,
        });
      const indexes = allowlistFor(req.principal, req.body.indexes) ?? null;
      const expiresAt = parseExpiry(req.body.expires, 'expires');
      const key = deriveScopedKey(parent, { filter: req.body.filter ?? null, indexes, expiresAt });
      return reply.code(201).send({
        key,
        parent: parent.id,
        indexes,
        expires_at: new Date(Math.floor(expiresAt / 1000) * 1000).toISOString(),
      });
    },
  );
}
