import type { StepStatus, ValidationStep } from '../contracts';

/** Longest output kept per step; the rest is cut in the middle so the start and the end stay. */
export const MAX_STEP_OUTPUT = 16 * 1024;

export function boundOutput(text: string, max = MAX_STEP_OUTPUT): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 40) / 2);
  return `${text.slice(0, half)}\n… ${text.length - 2 * half} characters left out …\n${text.slice(-half)}`;
}

/** Run one step, timing it; an exception becomes a failed step with its message. */
export async function timedStep(
  name: ValidationStep['name'],
  run: () => Promise<{ status: StepStatus; output: string; summary?: string }>,
): Promise<ValidationStep> {
  const started = performance.now();
  let result: { status: StepStatus; output: string; summary?: string };
  try {
    result = await run();
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    result = { status: 'failed', output: `${(err as Error).name}: ${(err as Error).message}` };
  }
  return {
    name,
    status: result.status,
    ...(result.summary ? { summary: result.summary } : {}),
    output: boundOutput(result.output),
    durationMs: Math.round(performance.now() - started),
  };
}

export function skippedStep(name: ValidationStep['name'], why: string): ValidationStep {
  return { name, status: 'skipped', summary: why, output: why, durationMs: 0 };
}
