import * as path from 'node:path';
import { validationSchema } from '../config/schema';
import { silentProgress } from '../model';
import { redactorFor } from '../smoke/decorate';
import type { ValidationResult, ValidationStep } from '../contracts';
import { checkApplies } from './apply';
import { runChecks } from './commands';
import { formatProblem, moduleTypeResolver, parseFiles } from './parse';
import { createSandbox } from './sandbox';
import { runScenarioStep } from './scenarios';
import { skippedStep, timedStep } from './step';
import type { ValidateInput } from '../contracts';

/**
 * Sandbox validation of a patch (DESIGN step 7): apply → parse → checks → scenarios, each passed,
 * failed or skipped with its output and time. The workspace is only read; everything happens in a
 * sandbox under the OS temp folder, removed afterwards, and any container or image made for it is
 * removed too, also on failure or abort.
 */

export { createSandbox, checkRelativePath, KEEP_SANDBOX_ENV, UnsafePathError, type Sandbox, type SandboxFile } from './sandbox';
export { checkApplies } from './apply';
export { parseFiles, fileKind, formatProblem, type FileKind, type ParseProblem, type ParseOutcome } from './parse';
export { checkRequirements, type RequirementProblem } from './requirements';
export { runChecks, runCommand } from './commands';
export { replacePort, AppStartError } from './app';
export { VALIDATION_LABEL, VALIDATION_OF_LABEL, VALIDATION_OWNER_LABEL, copySources, filesTheImageCopies } from './dockerApp';
export { removeValidationLeftovers } from './leftovers';
export { madeValidationContainers } from './dockerApp';
export { withEarlierSteps } from '../smoke/scenarios';

/** What `validatePatch` needs: the repair pipeline's validator contract. */
export type ValidatePatchInput = ValidateInput;

/**
 * Validates a patch. What the steps print (the patched app's output, the checks' output, the
 * scenarios' results) is redacted with the configuration's secrets before it is kept.
 */
export async function validatePatch(input: ValidatePatchInput): Promise<ValidationResult> {
  const result = await validateSteps(input);
  const redactor = redactorFor(input.config);
  const steps = result.steps.map((s) => ({ ...s, output: redactor.text(s.output), ...(s.summary !== undefined ? { summary: redactor.text(s.summary) } : {}) }));
  return { ...result, steps };
}

async function validateSteps(input: ValidatePatchInput): Promise<ValidationResult> {
  const workspace = path.resolve(input.workspace);
  const progress = input.progress ?? silentProgress;
  const validation = validationSchema.parse(input.config.validation ?? {});
  const steps: ValidationStep[] = [];
  let fixed: string[] = [];
  let regressed: string[] = [];
  let afterApply: string[] | undefined;
  let progressMade: string | undefined;

  progress.report('Validating: does the patch apply?', 0);
  const apply = await timedStep('apply', async () => {
    const r = await checkApplies(workspace, input.patch);
    return { status: r.ok ? 'passed' : 'failed', output: r.output };
  });
  steps.push(apply);
  if (apply.status !== 'passed') {
    const why = 'the patch does not apply to the workspace';
    steps.push(skippedStep('parse', why), skippedStep('checks', why), skippedStep('scenarios', why));
    return { status: 'failed', steps, fixed, regressed };
  }

  input.signal?.throwIfAborted();
  const sandbox = await createSandbox({ workspace, files: input.patch.files });
  try {
    progress.report('Validating: do the changed files parse?', 0.1);
    const patched = new Map(input.patch.files.map((f) => [f.file, f.after]));
    const parse = await timedStep('parse', async () => {
      const r = await parseFiles(
        input.patch.files.map((f) => ({ file: f.file, path: sandbox.pathOf(f.file), text: f.after })),
        { scratch: path.join(sandbox.root, 'scratch'), workspace, isModule: moduleTypeResolver(workspace, patched), signal: input.signal },
      );
      const out = [
        ...r.problems.map(formatProblem),
        ...r.passed.map((f) => `${f}: parses`),
        ...r.skipped.map((f) => `${f}: skipped (no parser for this kind of file here; TypeScript needs esbuild in the workspace)`),
      ];
      return { status: r.problems.length ? 'failed' : r.passed.length ? 'passed' : 'skipped', output: out.join('\n') };
    });
    steps.push(parse);
    input.signal?.throwIfAborted();

    if (parse.status === 'failed') {
      steps.push(skippedStep('checks', 'the changed files do not parse'), skippedStep('scenarios', 'the changed files do not parse'));
    } else {
      progress.report('Validating: configured checks', 0.2);
      const checks = validation.commands.length
        ? await timedStep('checks', async () => {
            const r = await runChecks(validation.commands, { cwd: await sandbox.view(), timeoutMs: validation.commandTimeoutMs, signal: input.signal });
            return { status: r.ok ? 'passed' : 'failed', output: r.output };
          })
        : skippedStep('checks', 'no `validation.commands` are configured');
      steps.push(checks);
      input.signal?.throwIfAborted();

      if (checks.status === 'failed') {
        steps.push(skippedStep('scenarios', 'the configured checks failed'));
      } else {
        progress.report('Validating: scenarios against the patched app', 0.35);
        const scenarios = await timedStep('scenarios', async () => {
          const r = await runScenarioStep({ workspace, config: input.config, validation, report: input.report, violation: input.violation, sandbox, signal: input.signal, progress });
          fixed = r.fixed;
          regressed = r.regressed;
          afterApply = r.afterApply;
          progressMade = r.progress;
          return { status: r.status, output: r.output, summary: r.summary };
        });
        steps.push(scenarios);
      }
    }
  } finally {
    await sandbox.dispose();
  }
  input.signal?.throwIfAborted();
  progress.report('Validated', 1);
  return { status: overallStatus(steps), steps, fixed, regressed, ...(afterApply?.length ? { afterApply } : {}), ...(progressMade ? { progress: progressMade } : {}) };
}

/**
 * failed when a step failed; passed when the patch applied and parsed and the scenarios ran and
 * passed; checked when it applied and parsed but the scenarios did not run; otherwise skipped.
 */
export function overallStatus(steps: ValidationStep[]): ValidationResult['status'] {
  if (steps.some((s) => s.status === 'failed')) return 'failed';
  const of = (name: ValidationStep['name']) => steps.find((s) => s.name === name)?.status;
  if (of('apply') !== 'passed' || of('parse') !== 'passed') return 'skipped';
  return of('scenarios') === 'passed' ? 'passed' : 'checked';
}

/** Why a validation did not pass, in one line: the failed (or skipped) step and its reason. */
export function validationReason(v: ValidationResult): string {
  const step =
    v.steps.find((s) => s.status === 'failed') ??
    // Checked, not run: what kept the scenarios from running.
    (v.status === 'checked' ? v.steps.find((s) => s.name === 'scenarios') : undefined) ??
    (v.status !== 'passed' ? v.steps.find((s) => s.status === 'skipped') : undefined);
  if (!step) return `validation ${v.status}`;
  const why = step.summary ?? step.output.split('\n').find((l) => l.trim() !== '')?.trim() ?? step.status;
  return `${step.name} ${step.status}: ${why}`;
}
