import { BASE_DEFAULTS, ENVIRONMENT_DEFAULTS, SETTING_DOCS, type SettingName } from './defaults.js';

const cell = (v: string | undefined) => (v === undefined ? '' : v === '' ? '`(empty)`' : `\`${v}\``);

/** The configuration table of the README: every setting, its default, the per-environment values, its meaning. */
export function configTable(): string {
  const rows = [
    '| variable | default | development | staging | production | meaning |',
    '|---|---|---|---|---|---|',
    '| `ENVIRONMENT` | `development` | | | | Selects the layered defaults: development, staging or production |',
  ];
  for (const key of Object.keys(BASE_DEFAULTS) as SettingName[]) {
    const envs = (['development', 'staging', 'production'] as const).map((e) =>
      cell(ENVIRONMENT_DEFAULTS[e][key]),
    );
    rows.push(`| \`${key}\` | ${cell(BASE_DEFAULTS[key])} | ${envs.join(' | ')} | ${SETTING_DOCS[key]} |`);
  }
  return rows.join('\n');
}
