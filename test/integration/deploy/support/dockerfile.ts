/** A small Dockerfile reader: enough to check the instructions Sift's image relies on. */
export interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Joins continuation lines, drops comments and splits the file into stages of instructions. */
export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line === '') {
      if (current === '') continue;
      if (line.startsWith('#')) continue;
    }
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    logical.push((current + line).trim());
    current = '';
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const l of logical.filter(Boolean)) {
    const m = /^(\w+)\s+([\s\S]*)$/.exec(l);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (keyword === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      stages.push({ from: f?.[1] ?? rest, name: f?.[2], instructions: [] });
      continue;
    }
    if (keyword === 'ARG' && stages.length === 0) {
      const [k, v = ''] = rest.split('=');
      args[k!] = v;
      continue;
    }
    stages.at(-1)?.instructions.push({ keyword, args: rest, stage: stages.length - 1 });
  }
  return { args, stages };
}

/** The JSON array of an exec-form instruction, or null when it is the shell form. */
export function execForm(args: string): string[] | null {
  const json = args.replace(/^CMD\s+/, '');
  if (!json.startsWith('[')) return null;
  const parsed = JSON.parse(json) as unknown;
  return Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') ? parsed : null;
}

/** ENV instructions (`ENV A=1 B=2`) of a stage as a map. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.keyword === 'ENV')) {
    for (const m of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return env;
}
