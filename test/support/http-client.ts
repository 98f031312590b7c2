import { Agent, request as httpRequest } from 'node:http';

/** host and port of a `redis://host:port` URL, as Sift's settings. */
export function redisEnv(url: string): Record<string, string> {
  const u = new URL(url);
  return { REDIS_HOST: u.hostname, REDIS_PORT: u.port, REDIS_DB: '0' };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request; `agent` keeps connections alive between calls. Network errors reject. */
export function send(
  url: string,
  opts: { method?: string; body?: unknown; headers?: Record<string, string>; agent?: Agent } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const req = httpRequest(
      url,
      {
        method: opts.method ?? 'GET',
        // Without an agent of the caller, a fresh connection per request (the global agent would keep one alive
        // and pin every request to one cluster worker).
        agent: opts.agent ?? false,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
            : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The value of one Prometheus sample (summed over series whose labels include `labels`), 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) total += Number(m[3]);
  }
  return total;
}

/** Runs `fn` over and over with `concurrency` loops until `stop()` is called; returns the collected results. */
export function steadyLoad<T>(concurrency: number, fn: () => Promise<T>) {
  let running = true;
  const results: (T | Error)[] = [];
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        results.push(await fn());
      } catch (err) {
        results.push(err as Error);
      }
    }
  });
  return {
    results,
    async stop() {
      running = false;
      await Promise.all(loops);
      return results;
    },
  };
}

export { setTimeout as sleep } from 'node:timers/promises';
