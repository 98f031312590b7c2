import type { Config } from '../config/config.js';
import type { SearchService } from '../service/search-service.js';

/** What every command gets: its streams, the configuration and a service over the local data directory. */
export interface CliContext {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
  /** The configuration (environment, .env and --data-dir), loaded on first use. Throws ConfigError. */
  config(): Config;
  /**
   * Opens the configured engine, runs `fn` with a service over it, and closes the engine afterwards. A read-only
   * command passes `readOnly`: with no embedded database in the data directory it opens nothing (opening would
   * create one) and answers `whenNoData()`, or INDEX_NOT_FOUND naming the data directory.
   */
  withService<T>(
    fn: (service: SearchService, config: Config) => Promise<T>,
    opts?: { readOnly?: boolean; whenNoData?: () => T },
  ): Promise<T>;
  /** Set by a command that finished but wants a non-zero exit (e.g. an import with failed documents). */
  exitCode: number;
}
