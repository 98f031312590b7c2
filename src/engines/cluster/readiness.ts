/**
 * Whether a node's own view of the cluster health (`_cluster/health?local=true`) means Sift can serve. Green and
 * yellow serve every document. Red means a primary shard has no copy, except when the cluster answers red only
 * because no cluster manager is elected right now (the elected one was just killed or hangs, and the others are
 * electing a new one): every shard copy is still there and searches are served from the node's last cluster
 * state, only writes wait. OpenSearch says so with `discovered_cluster_manager: false`; Elasticsearch counts the
 * primaries that really are unassigned (`unassigned_primary_shards`, 0 in that case).
 */
export interface LocalHealth {
  status?: string;
  discovered_master?: boolean;
  discovered_cluster_manager?: boolean;
  unassigned_primary_shards?: number;
}

export function healthServes(health: LocalHealth | undefined): { ok: boolean; detail?: string } {
  const status = health?.status;
  if (status === 'green' || status === 'yellow') return { ok: true };
  if (status === 'red') {
    const noManager = health?.discovered_cluster_manager === false || health?.discovered_master === false;
    if (noManager || health?.unassigned_primary_shards === 0) {
      return {
        ok: true,
        detail: 'cluster health is red with every primary assigned: no elected manager yet, writes wait',
      };
    }
  }
  return { ok: false, detail: `cluster health is ${status ?? 'unknown'}` };
}
