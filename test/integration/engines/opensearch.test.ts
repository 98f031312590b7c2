// @services opensearch
import { clusterEngine } from '../../support/cluster.js';
import { runConformance } from '../../../src/engines/engine.conformance.js';

// The engine-neutral contract, unchanged, against a real OpenSearch node (scripts/services/opensearch.sh).
runConformance({
  name: 'opensearch (real OpenSearch node)',
  makeEngine: async () => clusterEngine('opensearch'),
  skips: {
    'stems English words when the schema asks for the english analyzer, after a rebuild':
      'stemming needs the analysis-common module, which the supported minimal distributions lack: the english analyzer is refused on the clusters (INVALID_SCHEMA)',
  },
});
