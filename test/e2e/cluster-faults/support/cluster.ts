import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ROOT } from '../../../support/cli.js';

/**
 * A 3-node cluster of the fault tests, through scripts/services/cluster.sh (which starts, restarts and stops the
 * node processes), and the few cluster APIs the tests read directly: which node holds an index's primary, and
 * whether the cluster is back to a given health.
 */

const run = promisify(execFile);

export type Product = 'opensearch' | 'elasticsearch';

export interface ClusterNode {
  name: string;
  url: string;
  pid: number;
}

/** Starts the cluster, or the nodes of it that are not running; answers every node with its URL and pid. */
export async function startCluster(product: Product): Promise<ClusterNode[]> {
  const { stdout } = await run('bash', ['scripts/services/cluster.sh', 'start', product], {
    cwd: ROOT,
    timeout: 600_000,
  });
  return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { nodes: ClusterNode[] }).nodes;
}

export async function stopCluster(product: Product): Promise<void> {
  await run('bash', ['scripts/services/cluster.sh', 'stop', product], { cwd: ROOT, timeout: 180_000 });
}

async function getJson<T>(url: string): Promise<T | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return res.ok ? ((await res.json()) as T) : null;
  } catch {
    return null;
  }
}

/** Asks the nodes in turn (some may be down) and answers the first answer. */
export async function askAny<T>(nodes: ClusterNode[], path: string): Promise<T | null> {
  for (const n of nodes) {
    const body = await getJson<T>(`${n.url}${path}`);
    if (body !== null) return body;
  }
  return null;
}

/** The name of the node holding the primary of the indexes matching `pattern`. */
export async function primaryHolder(nodes: ClusterNode[], pattern: string): Promise<string> {
  const rows = await askAny<{ prirep: string; node: string | null; state: string }[]>(
    nodes,
    `/_cat/shards/${pattern}?format=json&h=prirep,node,state`,
  );
  const primary = rows?.find((r) => r.prirep === 'p' && r.state === 'STARTED');
  if (!primary?.node) throw new Error(`no started primary for ${pattern}: ${JSON.stringify(rows)}`);
  return primary.node;
}

/** Waits until some node reports the health (and node count); answers how long it took, in milliseconds. */
export async function awaitHealth(
  nodes: ClusterNode[],
  status: 'green' | 'yellow',
  nodeCount: number,
  withinMs: number,
): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < withinMs) {
    const h = await askAny<{ status: string; timed_out: boolean }>(
      nodes,
      `/_cluster/health?wait_for_status=${status}&wait_for_nodes=${nodeCount}&wait_for_no_relocating_shards=true&timeout=2s`,
    );
    if (h && !h.timed_out) return Math.round(performance.now() - start);
    await sleep(250);
  }
  throw new Error(`the cluster did not reach ${status} with ${nodeCount} nodes in ${withinMs} ms`);
}

/** Waits until the process is gone (after a TERM or KILL). */
export async function awaitExit(pid: number, withinMs: number): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < withinMs) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  throw new Error(`process ${pid} did not exit in ${withinMs} ms`);
}

/** The name of the elected cluster manager (master). */
export async function managerName(nodes: ClusterNode[]): Promise<string> {
  const rows = await askAny<{ name: string; m: string }[]>(nodes, '/_cat/nodes?format=json&h=name,m');
  const manager = rows?.find((r) => r.m === '*');
  if (!manager) throw new Error(`no elected manager: ${JSON.stringify(rows)}`);
  return manager.name;
}
