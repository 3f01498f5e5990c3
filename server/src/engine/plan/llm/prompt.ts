import type { Frame, Trace, Violation } from '../../model';
import type { PlanningContext } from '../../contracts';
import { codeExcerpts, codeSpots, DEFAULT_EXCERPTS, type Excerpt, type ExcerptOptions } from './excerpts';
import { describePlanFormat } from './planFormat';
import type { ChatMessage } from './provider';

/**
 * The planning prompt: a system message with the rules and the FixPlan format, a user message
 * with the failure (violation, classification, trace, code around the frames). Repairs append the
 * previous answer and the exact errors found in it.
 */

export interface PromptOptions {
  maxOperations: number;
  excerpts?: ExcerptOptions;
  /** Frames listed per exception (the innermost ones). */
  maxFrames?: number;
  /** Workspace file paths listed. */
  maxFiles?: number;
}

const MAX_TRACE_FRAMES = 25;
const MAX_FILES_LISTED = 200;
const MAX_BODY = 1_000;
/** The most of a previous answer quoted back in a repair request. */
export const MAX_PREVIOUS_OUTPUT = 16_000;

export function systemPrompt(maxOperations: number): string {
  return [
    'You are the planning step of Smoke Repair, a tool that repairs web apps whose smoke tests fail.',
    'You get one failure: the request, what the app answered, the server stack trace and the code around it.',
    'You answer with ONE FixPlan: a JSON object that says what to change and why. Another program makes the edit from it.',
    '',
    'Rules:',
    '- Answer with the JSON object only: no prose, no markdown, no code fence.',
    '- Never write a diff, a patch or a whole file. To change code, use a "modify_code" operation: "find" is an exact snippet copied from the file (whole lines with their indentation, without the "  46 | " line-number prefix of the excerpts) that occurs exactly once in the file, and "replace" is its new text.',
    '- Prefer the specific operation types (add_import, add_dependency, remove_unused, include_router, set_status_code, update_route) when one fits; modify_code for anything else.',
    '- Make the smallest change that fixes the cause, not the symptom. Touch only files of the workspace; paths are relative to the workspace root, with forward slashes.',
    '- Every file named by an operation must exist, except a dependency manifest that add_dependency creates.',
    `- At most ${maxOperations} operations.`,
    '- When the evidence is thin, still answer with your best plan and a low "confidence".',
    '',
    describePlanFormat({ maxOperations }),
  ].join('\n');
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s;
}

function frameLine(f: Frame): string {
  const where = `${f.file}:${f.line}${f.column ? `:${f.column}` : ''}`;
  return `  ${f.inWorkspace ? '[workspace] ' : ''}${where} in ${f.function}${f.code ? `\n      ${f.code.trim()}` : ''}`;
}

function framesSection(frames: Frame[], limit: number): string[] {
  const shown = frames.slice(-limit);
  const out = shown.map(frameLine);
  if (frames.length > shown.length) out.unshift(`  (${frames.length - shown.length} outer frames left out)`);
  return out;
}

function traceSection(trace: Trace, limit: number): string[] {
  const out = ['## Stack trace', `Language: ${trace.language}`, `Exception: ${trace.exceptionClass}: ${trace.message}`];
  out.push('Frames, outermost first, innermost last ([workspace] marks files of the workspace):');
  out.push(...framesSection(trace.frames, limit));
  for (const c of trace.causes) {
    out.push(
      `Earlier exception (${c.relation === 'cause' ? 'the direct cause' : 'raised while handling it'}): ${c.exceptionClass}: ${c.message}`,
    );
    out.push(...framesSection(c.frames, Math.min(limit, 10)));
  }
  return out;
}

function violationSection(v: Violation): string[] {
  const out = ['## Failure', `Scenario: ${v.scenario}`, `Request: ${v.method} ${v.path}${v.request.path !== v.path ? ` (sent as ${v.request.method} ${v.request.path})` : ''}`];
  if (v.request.body !== undefined) out.push(`Request body: ${clip(JSON.stringify(v.request.body), MAX_BODY)}`);
  out.push(`Expected status: ${v.expectedStatus}; actual status: ${v.actualStatus}`);
  out.push(`Message: ${v.message}`);
  if (v.response.bodyExcerpt) out.push(`Response body (excerpt): ${clip(v.response.bodyExcerpt, MAX_BODY)}`);
  if (v.location) out.push(`Located at: ${v.location.file}:${v.location.line} (${v.locationKind})`);
  return out;
}

function classificationSection(v: Violation): string[] {
  return [
    '## Classification',
    `Failure type: ${v.failureType}; repair strategy: ${v.strategy}${v.retryable ? '; retryable' : ''}`,
    ...(v.signals.length ? ['Signals:', ...v.signals.map((s) => `- ${s}`)] : []),
  ];
}

export function excerptsSection(excerpts: Excerpt[]): string[] {
  if (excerpts.length === 0) return ['## Code', '(no workspace code could be located for this failure)'];
  const out = ['## Code around the failure (">" marks the line a frame points at; the "NN | " prefix is not part of the file)'];
  for (const e of excerpts) {
    out.push('', `### ${e.file}, lines ${e.from}-${e.to} (${e.labels.join('; ')})`, e.text);
  }
  return out;
}

/** The first messages of a planning conversation for `ctx`. */
export async function buildPlanPrompt(ctx: PlanningContext, opts: PromptOptions): Promise<ChatMessage[]> {
  const v = ctx.violation;
  const ex = opts.excerpts ?? DEFAULT_EXCERPTS;
  const excerpts = await codeExcerpts(codeSpots(v, ex.maxFrames), ctx.read, ex);
  const maxFiles = opts.maxFiles ?? MAX_FILES_LISTED;
  const files = [...ctx.files].sort();
  const sections: string[][] = [
    violationSection(v),
    classificationSection(v),
    v.trace ? traceSection(v.trace, opts.maxFrames ?? MAX_TRACE_FRAMES) : ['## Stack trace', '(none was logged for this request)'],
    excerptsSection(excerpts),
    [
      `## Workspace files${files.length > maxFiles ? ` (the first ${maxFiles} of ${files.length})` : ''}`,
      ...files.slice(0, maxFiles),
    ],
    ['Answer with ONE FixPlan as a JSON object and nothing else.'],
  ];
  return [
    { role: 'system', content: systemPrompt(opts.maxOperations) },
    { role: 'user', content: sections.map((s) => s.join('\n')).join('\n\n') },
  ];
}

/** The most lines of one file shown whole to a regeneration, and the most files. */
export const REGENERATE_FILE_LINES = 400;
export const REGENERATE_FILES = 3;

export function regenerateSystemPrompt(maxOperations: number): string {
  return [
    'You are the regeneration step of Smoke Repair, a tool that repairs web apps whose smoke tests fail.',
    'The repair loop has reached a plateau: its rules and the plans tried so far did not make this failure pass.',
    "Regenerate the code that fails: the request's handler and the functions its stack trace passes through.",
    'You answer with ONE FixPlan: a JSON object that says what to change and why. Another program makes the edit from it.',
    '',
    'Rules:',
    '- Answer with the JSON object only: no prose, no markdown, no code fence.',
    '- Every operation is "modify_code". For each function you rewrite, "find" is the whole function as it is now, copied exactly from the file shown (every line with its indentation and decorators, without the "  46 | " line-number prefix), and "replace" is its new version.',
    "- Keep each function's name, parameters and route decorator, so the app's routes and callers stay as they are; change what the function does so that the request gets the answer the scenario expects.",
    '- Do not repeat a change that was already tried (listed below).',
    '- Touch only the files shown; paths are relative to the workspace root, with forward slashes.',
    `- At most ${maxOperations} operations.`,
    '',
    describePlanFormat({ maxOperations }),
  ].join('\n');
}

/** Workspace files a regeneration sees whole: the handler's, then those of the trace's workspace frames, innermost first. */
export function regenerateFiles(v: Violation): string[] {
  const frames = v.trace ? [...v.trace.frames].reverse().filter((f) => f.inWorkspace).map((f) => f.file) : [];
  return [...new Set([...(v.location && v.locationKind !== 'scenario' ? [v.location.file] : []), ...frames])].slice(0, REGENERATE_FILES);
}

/** The first messages of a regeneration: the failure as for planning, what was tried, and the files it passes through, whole. */
export async function buildRegeneratePrompt(ctx: PlanningContext, opts: PromptOptions): Promise<ChatMessage[]> {
  const [, user] = await buildPlanPrompt(ctx, opts);
  const whole: string[] = ['## Files to regenerate from, whole (the "NN | " prefix is not part of the file)'];
  for (const file of regenerateFiles(ctx.violation)) {
    const text = await ctx.read(file);
    if (text === undefined) continue;
    const lines = text.split('\n');
    const shown = lines.slice(0, REGENERATE_FILE_LINES);
    const width = String(shown.length).length;
    whole.push('', `### ${file}${lines.length > shown.length ? ` (the first ${shown.length} of ${lines.length} lines)` : ''}`, ...shown.map((l, i) => `${String(i + 1).padStart(width)} | ${l}`));
  }
  if (whole.length === 1) whole.push('(no workspace file could be located for this failure: regenerate from the code around the failure above)');
  const tried = ctx.tried?.length ? ['## Tried already, without success', ...ctx.tried.map((t) => `- ${t}`)] : ['## Tried already, without success', '(nothing recorded)'];
  return [
    { role: 'system', content: regenerateSystemPrompt(opts.maxOperations) },
    { role: 'user', content: [user!.content.replace(/\n\nAnswer with ONE FixPlan as a JSON object and nothing else\.$/, ''), tried.join('\n'), whole.join('\n'), 'Answer with ONE FixPlan of modify_code operations as a JSON object and nothing else.'].join('\n\n') },
  ];
}

/** The conversation for a repair attempt: the first messages, the previous answer, and what was wrong with it. */
export function repairMessages(base: ChatMessage[], previousOutput: string, errors: string[]): ChatMessage[] {
  return [
    ...base,
    { role: 'assistant', content: clip(previousOutput, MAX_PREVIOUS_OUTPUT) },
    {
      role: 'user',
      content: [
        'Your previous answer (above) is not a valid FixPlan. These are the errors:',
        ...errors.map((e) => `- ${e}`),
        '',
        'Answer again with ONE corrected FixPlan as a JSON object and nothing else.',
      ].join('\n'),
    },
  ];
}
