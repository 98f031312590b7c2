// @services elasticsearch
import { clusterEngine } from '../../support/cluster.js';
import { runConformance } from '../../../src/engines/engine.conformance.js';

// The engine-neutral contract, unchanged, against a real Elasticsearch node (scripts/services/elasticsearch.sh).
runConformance({
  name: 'elasticsearch (real Elasticsearch node)',
  makeEngine: async () => clusterEngine('elasticsearch'),
});
