// @services opensearch
import { clusterEngine } from '../../support/cluster.js';
import { runConformance } from '../../../src/engines/engine.conformance.js';

// The engine-neutral contract, unchanged, against a real OpenSearch node (scripts/services/opensearch.sh).
runConformance({
  name: 'opensearch (real OpenSearch node)',
  makeEngine: async () => clusterEngine('opensearch'),
});
