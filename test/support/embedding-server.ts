import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OpenAI-compatible embedding server (`POST /v1/embeddings`) over real HTTP, for the embedder tests. Its
 * embeddings are deterministic: every word (lower-cased letters and digits) is hashed to one of `dimensions`
 * positions with a sign, and the sum is scaled to unit length, so texts sharing words are close and a text is
 * always embedded the same way. It can be told to fail (500), hang (never answer), or answer vectors of the wrong
 * length, and it records what it was sent.
 */
export type EmbeddingMode = 'ok' | 'fail' | 'hang' | 'wrong-dimensions';

export interface EmbeddingServer {
  /** The base URL an embedder is configured with. */
  url: string;
  /** How it answers from now on. */
  mode: EmbeddingMode;
  /** Answers this many next requests with 500 before answering as `mode` says. */
  failNext(count: number): void;
  /** Every request received: its texts and its Authorization header. */
  readonly requests: { input: string[]; authorization: string | undefined; model: unknown }[];
  /** The embedding this server gives a text. */
  embed(text: string): number[];
  close(): Promise<void>;
}

/** FNV-1a, 32 bits: a stable hash of a word. */
function fnv1a(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function hashEmbedding(text: string, dimensions: number): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const h = fnv1a(word);
    v[h % dimensions]! += h & 0x80000000 ? -1 : 1;
  }
  const norm = Math.hypot(...v);
  // A text without words still gets a unit vector (cosine cannot compare zeros).
  if (norm === 0) return v.map((_, i) => (i === 0 ? 1 : 0));
  return v.map((x) => x / norm);
}

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return JSON.parse(text) as unknown;
}

export async function startEmbeddingServer(dimensions: number): Promise<EmbeddingServer> {
  let failures = 0;
  const requests: EmbeddingServer['requests'] = [];
  const state: { mode: EmbeddingMode } = { mode: 'ok' };
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
        res.writeHead(404).end();
        return;
      }
      const body = (await bodyOf(req)) as { model?: unknown; input?: unknown };
      const input = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
      requests.push({ input, authorization: req.headers.authorization, model: body.model });
      if (failures > 0 || state.mode === 'fail') {
        failures = Math.max(0, failures - 1);
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"overloaded"}');
        return;
      }
      // Hang: read the request, never answer; close() drops the connection.
      if (state.mode === 'hang') return;
      const size = state.mode === 'wrong-dimensions' ? dimensions + 1 : dimensions;
      const data = input.map((text, index) => ({
        object: 'embedding',
        index,
        embedding: hashEmbedding(text, size),
      }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', model: body.model, data }));
    })();
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(m: EmbeddingMode) {
      state.mode = m;
    },
    failNext(count) {
      failures = count;
    },
    requests,
    embed: (text) => hashEmbedding(text, dimensions),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
