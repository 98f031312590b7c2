import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1, picked by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true (errors count as false) or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

// Ports a test holds for a while without listening on them (a host's instance ports) come from below the kernel's
// ephemeral range (32768+ here), so no `listen(0)` or outgoing connection of another test can take them, and are
// claimed with a file per port, so two test processes never pick the same one.
const CLAIM_DIR = join(tmpdir(), 'sift-test-ports');
const CLAIM_LOW = 20_000;
const CLAIM_HIGH = 32_000;

const claimHolderAlive = (path: string): boolean => {
  try {
    process.kill(Number(readFileSync(path, 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
};

function tryClaim(port: number): boolean {
  const path = join(CLAIM_DIR, String(port));
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    if (claimHolderAlive(path)) return false;
    rmSync(path, { force: true });
    return tryClaim(port);
  }
}

const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });

/** `n` distinct free ports outside the ephemeral range, held for this process until `release()`. */
export async function claimPorts(n: number): Promise<{ ports: number[]; release(): void }> {
  mkdirSync(CLAIM_DIR, { recursive: true });
  const ports: number[] = [];
  const release = () => {
    for (const p of ports) rmSync(join(CLAIM_DIR, String(p)), { force: true });
  };
  for (let attempts = 0; ports.length < n; attempts++) {
    if (attempts > 10_000) {
      release();
      throw new Error(`no ${n} free ports between ${CLAIM_LOW} and ${CLAIM_HIGH}`);
    }
    const port = CLAIM_LOW + Math.floor(Math.random() * (CLAIM_HIGH - CLAIM_LOW));
    if (ports.includes(port) || !tryClaim(port)) continue;
    if (await portIsFree(port)) ports.push(port);
    else rmSync(join(CLAIM_DIR, String(port)), { force: true });
  }
  return { ports, release };
}
