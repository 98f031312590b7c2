import type { DeployStatus } from '../../rollout/status.js';
import { COLORS } from '../../rollout/types.js';
import { colors, renderTable } from '../format.js';

/** A table a person reads at a glance: one row per colour, then the last release. */
export function printStatus(out: NodeJS.WriteStream, s: DeployStatus): void {
  const rows = COLORS.map((color) => {
    const t = s.target.tracks[color];
    return [
      color,
      t.image ?? '-',
      String(t.ready),
      String(t.desired),
      String(t.updated),
      `${s.traffic[color]}%`,
    ];
  });
  const table = renderTable(['colour', 'image', 'ready', 'desired', 'updated', 'traffic'], rows, {
    stream: out,
    alignRight: [2, 3, 4, 5],
  });
  out.write(`${s.target.kind}: ${s.target.where} (traffic by ${s.router})\n${table}\n`);
  const c = colors(out);
  for (const w of s.warnings) out.write(`${c.yellow(`warning: ${w}`)}\n`);
  const r = s.release;
  if (!r) {
    out.write('no release recorded yet\n');
    return;
  }
  out.write(
    `last release ${r.id}: ${r.strategy} of ${r.candidate.image} on ${r.candidate.color}, ${r.phase}\n` +
      `  ${r.message}\n  started ${r.startedAt} by ${r.owner}, updated ${r.updatedAt}\n`,
  );
  if (r.phase === 'paused')
    out.write('  next: `sift deploy promote` to continue, `sift deploy abort` to go back\n');
}
