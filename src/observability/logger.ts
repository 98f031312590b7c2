import { pino, type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config/config.js';

export type { Logger } from 'pino';

/** Header values that must never reach a log line, wherever a request or headers object is logged. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  'headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/**
 * The process logger, from configuration: LOG_LEVEL, and LOG_FORMAT `json` (one JSON object per line on stdout,
 * for log shippers) or `pretty` (human-readable, through the pino-pretty transport).
 */
export function createLogger(
  config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT' | 'ENVIRONMENT' | 'VERSION'>,
): Logger {
  const options: LoggerOptions = {
    level: config.LOG_LEVEL,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: 'sift', version: config.VERSION, environment: config.ENVIRONMENT },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // A silent logger needs no transport (and no worker thread).
  if (config.LOG_LEVEL === 'silent' || config.LOG_FORMAT === 'json') return pino(options);
  return pino({
    ...options,
    transport: {
      target: 'pino-pretty',
      options: {
        colorize: process.stdout.isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,service,version,environment',
      },
    },
  });
}
