import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SiftError } from '../errors.js';
import type { CanaryStep } from './types.js';

/**
 * Canary steps come from flags (`--steps 10,50 --step-pause 60s [--manual]`) or from a YAML/JSON file:
 *   steps:
 *     - weight: 10
 *     - pause: { seconds: 60 }
 *     - analysis: true
 *     - pause: {}          # wait for `sift deploy promote`
 * Full promotion (100%) always follows the last step, so it need not be listed.
 */
const weight = z.number().int().min(0).max(100);
const stepSchema = z.union([
  z.strictObject({ weight }),
  z.strictObject({ pause: z.strictObject({ seconds: z.number().positive().max(86_400).optional() }) }),
  z.strictObject({ analysis: z.literal(true) }),
]);
const fileSchema = z.strictObject({ steps: z.array(stepSchema).min(1).max(100) });

export function stepsFromFile(path: string): CanaryStep[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SiftError('DEPLOY_INVALID', `--steps-file ${path}: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SiftError(
      'DEPLOY_INVALID',
      `--steps-file ${path}: ${issue.path.join('.') || 'document'}: ${issue.message}`,
    );
  }
  return parsed.data.steps as CanaryStep[];
}

/** `10,50` with a hold and an analysis after each weight; `manual` pauses for promote after the last one. */
export function stepsFromFlags(weights: string, holdSeconds: number, manual: boolean): CanaryStep[] {
  const steps: CanaryStep[] = [];
  let last = 0;
  for (const part of weights.split(',')) {
    const w = Number(part.trim());
    if (!Number.isInteger(w) || w < 1 || w > 100 || w <= last) {
      throw new SiftError(
        'DEPLOY_INVALID',
        `--steps: "${part.trim()}" must be a whole percentage 1..100, larger than the step before`,
      );
    }
    last = w;
    steps.push({ weight: w });
    if (holdSeconds > 0) steps.push({ pause: { seconds: holdSeconds } });
    steps.push({ analysis: true });
  }
  if (manual) steps.push({ pause: {} });
  return steps;
}
