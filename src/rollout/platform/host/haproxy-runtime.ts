import { createConnection } from 'node:net';
import { SiftError } from '../../../errors.js';

/**
 * HAProxy's runtime API on its stats socket, one command per connection (the non-interactive mode: HAProxy
 * answers and closes). A socket that is missing or refuses is DEPLOY_TARGET_UNAVAILABLE: HAProxy is not running.
 */
export class HaproxyRuntime {
  constructor(
    private readonly socket: string,
    private readonly timeoutMs: number,
  ) {}

  command(line: string): Promise<string> {
    if (/[\n;]/.test(line)) throw new Error(`one runtime command at a time, got ${JSON.stringify(line)}`);
    return new Promise((resolve, reject) => {
      const conn = createConnection(this.socket);
      const chunks: Buffer[] = [];
      const fail = (why: string) => {
        conn.destroy();
        reject(
          new SiftError('DEPLOY_TARGET_UNAVAILABLE', `HAProxy runtime API ${this.socket}: ${why}`, {
            socket: this.socket,
          }),
        );
      };
      conn.setTimeout(this.timeoutMs, () => fail(`no answer to "${line}" within ${this.timeoutMs} ms`));
      conn.on('connect', () => conn.end(`${line}\n`));
      conn.on('data', (c: Buffer) => chunks.push(c));
      conn.on('error', (err) => fail(`${err.message} (is HAProxy running with this stats socket?)`));
      conn.on('close', (hadError) => {
        if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
  }

  /**
   * A command that answers nothing when it succeeds (`set server ...`): any text is HAProxy's refusal.
   */
  async set(line: string): Promise<void> {
    const answer = (await this.command(line)).trim();
    if (answer) {
      throw new SiftError('DEPLOY_TARGET_UNAVAILABLE', `HAProxy refused "${line}": ${answer}`, {
        socket: this.socket,
      });
    }
  }
}
