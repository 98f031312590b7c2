// @services elasticsearch
import { clusterEngine } from '../../support/cluster.js';
import { runConformance } from '../../../src/engines/engine.conformance.js';

// The engine-neutral contract, unchanged, against a real Elasticsearch node (scripts/services/elasticsearch.sh).
runConformance({
  name: 'elasticsearch (real Elasticsearch node)',
  makeEngine: async () => clusterEngine('elasticsearch'),
  skips: {
    'stems English words when the schema asks for the english analyzer, after a rebuild':
      'stemming needs the analysis-common module, which the supported minimal distributions lack: the english analyzer is refused on the clusters (INVALID_SCHEMA)',
  },
});
