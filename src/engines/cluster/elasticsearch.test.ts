// @services elasticsearch
import { clusterEngine } from '../../../test/support/cluster.js';
import { runConformance } from '../conformance/suite.js';

// The engine-neutral contract, unchanged, against a real Elasticsearch node (scripts/services/elasticsearch.sh).
runConformance({
  name: 'elasticsearch (real Elasticsearch node)',
  makeEngine: async () => clusterEngine('elasticsearch'),
});
