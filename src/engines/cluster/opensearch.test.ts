// @services opensearch
import { clusterEngine } from '../../../test/support/cluster.js';
import { runConformance } from '../conformance/suite.js';

// The engine-neutral contract, unchanged, against a real OpenSearch node (scripts/services/opensearch.sh).
runConformance({
  name: 'opensearch (real OpenSearch node)',
  makeEngine: async () => clusterEngine('opensearch'),
});
