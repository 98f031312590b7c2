import type { Command } from 'commander';
import { checkIndexList, checkScopes } from '../../auth/api-keys.js';
import { mintToken } from '../../auth/jwt.js';
import { SiftError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { collectList } from './keys.js';

export function registerTokenCommands(program: Command, ctx: CliContext): void {
  const token = program.command('token').description('mint JWT bearer tokens for operators');
  token
    .command('create')
    .description('mint an HS256 token signed with JWT_SECRET')
    .requiredOption('-s, --scope <scopes>', 'search, write, admin (repeat or comma-separate)', collectList)
    .option('--hours <n>', 'lifetime in hours (default JWT_EXPIRE_HOURS)')
    .option('--sub <subject>', 'who the token is for (the "sub" claim)', 'operator')
    .option('-i, --index <indexes>', 'allow only these indexes (repeat or comma-separate)', collectList)
    .option('--json', 'print the token and its expiry as JSON')
    .action(
      async (opts: { scope: string[]; hours?: string; sub: string; index?: string[]; json?: boolean }) => {
        const config = ctx.config();
        const hours = opts.hours === undefined ? config.JWT_EXPIRE_HOURS : Number(opts.hours);
        if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 365)
          throw new SiftError('INVALID_REQUEST', `--hours must be an integer from 1 to ${24 * 365}`);
        const scopes = checkScopes(opts.scope);
        const indexes = checkIndexList(opts.index);
        const jwt = await mintToken(config, { scopes, hours, subject: opts.sub, indexes });
        const expires_at = new Date(Date.now() + hours * 3_600_000).toISOString();
        ctx.stdout.write(
          (opts.json ? JSON.stringify({ token: jwt, scopes, indexes, expires_at }, null, 2) : jwt) + '\n',
        );
      },
    );
}
