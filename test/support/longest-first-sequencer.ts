import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Orders the test files so the longest start first and the run does not end with one long file running alone
 * while the other workers sit idle.
 *
 * Vitest's own order uses the durations of the last run (its results cache) but puts failed files first and, for
 * a file without history (a fresh cache, a new file), only compares file sizes, which starts big unit-test files
 * before small integration files that spend minutes waiting on real servers. Here, by rank:
 *   1. integration and end-to-end files (test/integration, test/e2e) without history, larger first: they are the
 *      ones that may run for minutes;
 *   2. files with history, longest last run first;
 *   3. pure tests (beside the code) without history, larger first.
 */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const keyed = files.map((spec) => {
      const path = relative(config.root, spec.moduleId);
      const key = `${spec.project.name}:${path}`;
      const last = cache.getFileTestResults(key)?.duration;
      const size = cache.getFileStats(key)?.size ?? 0;
      const rank = last !== undefined ? 2 : /^test\/(integration|e2e)\//.test(path) ? 1 : 3;
      return { spec, rank, weight: last ?? size };
    });
    keyed.sort((a, b) => a.rank - b.rank || b.weight - a.weight);
    return keyed.map((k) => k.spec);
  }
}
