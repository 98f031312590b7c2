/**
 * `{name}` placeholders in the host config's command, env and cwd. Unknown names are refused when the config is
 * read, so a typo fails the deploy before any process starts, not when an instance cannot find its data.
 */
export const PLACEHOLDERS = ['image', 'port', 'color', 'id', 'stateDir'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Readonly<Record<Placeholder, string>>;

const PATTERN = /\{([A-Za-z]+)\}/g;

export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(PATTERN)]
    .map((m) => m[1]!)
    .filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
}

export function expand(template: string, values: TemplateValues): string {
  return template.replace(PATTERN, (whole, name: string) =>
    (PLACEHOLDERS as readonly string[]).includes(name) ? values[name as Placeholder] : whole,
  );
}
