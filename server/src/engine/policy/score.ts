import type { FixPlan, OperationType } from '../fixPlan';
import type { Patch } from '../contracts';

/**
 * The danger score's parts. Each part adds points and one reason; the parts are always evaluated
 * in the order of this file, so the reasons come out in the same order every time.
 */

/** Points per operation type: code edits weigh more than bookkeeping edits. */
export const OPERATION_WEIGHTS: Record<OperationType, number> = {
  add_import: 2,
  remove_unused: 3,
  set_status_code: 4,
  pin_dependency: 5,
  sync_lockfile: 2,
  add_dependency: 6,
  include_router: 6,
  update_route: 8,
  replace_pattern: 14,
  modify_code: 18,
};

/** Files whose change deserves a second look: auth, migrations, lockfiles, container definitions. */
const SENSITIVE: Array<{ re: RegExp; what: string; points?: number }> = [
  { re: /(^|\/)(auth|authn|authz|authentication|authorization|security|permissions?|login|session|oauth|jwt)[^/]*$/i, what: 'authentication or authorisation code' },
  { re: /(^|\/)(auth|security)\//i, what: 'authentication or authorisation code' },
  { re: /(^|\/)(migrations?|alembic|versions\/[^/]*\.py$)/i, what: 'a database migration' },
  { re: /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|Pipfile\.lock|uv\.lock|Cargo\.lock|go\.sum|composer\.lock|Gemfile\.lock)$/, what: 'a lockfile', points: 12 },
  { re: /(^|\/)(Dockerfile[^/]*|[^/]*\.Dockerfile|\.dockerignore)$/, what: 'a container definition' },
  { re: /(^|\/)(docker-)?compose[^/]*\.ya?ml$/, what: 'a compose file' },
];

/** Calls that run code or commands; counted when a patch adds them. */
export const DANGEROUS_CALLS: Array<{ name: string; re: RegExp }> = [
  { name: 'eval(', re: /\beval\s*\(/g },
  { name: 'exec(', re: /(?<![.\w])exec\s*\(/g },
  { name: 'subprocess', re: /\bsubprocess\b/g },
  { name: 'os.system', re: /\bos\.(system|popen|exec[lv]p?e?|spawn[lv]p?e?)\s*\(/g },
  { name: 'child_process', re: /\bchild_process\b/g },
  { name: 'execSync/spawn', re: /\b(execSync|execFileSync|spawnSync)\s*\(/g },
  { name: 'Function(', re: /\bnew\s+Function\s*\(|(?<![.\w])Function\s*\(/g },
  { name: 'pickle.loads', re: /\b(c?pickle|marshal|dill|shelve)\.loads?\s*\(/g },
  { name: 'yaml.load', re: /\byaml\.(unsafe_)?load\s*\((?![^)]*Loader\s*=\s*(yaml\.)?SafeLoader)/g },
  { name: '__import__', re: /\b__import__\s*\(/g },
  { name: 'shell=True', re: /\bshell\s*=\s*True\b/g },
  { name: 'vm.run', re: /\bvm\.run\w*\s*\(/g },
  { name: 'compile(', re: /(?<![.\w])compile\s*\([^)]*['"]exec['"]/g },
];

export interface ScorePart {
  points: number;
  reason: string;
}

export function sensitiveKind(file: string): { what: string; points: number } | undefined {
  const hit = SENSITIVE.find((s) => s.re.test(file));
  return hit && { what: hit.what, points: hit.points ?? 20 };
}

/** Score parts read from the plan alone. */
export function planScore(plan: FixPlan): ScorePart[] {
  const parts: ScorePart[] = [];
  const extraFiles = plan.files.length - 1;
  if (extraFiles > 0) parts.push({ points: 5 * extraFiles, reason: `${plan.files.length} files in the plan (+${5 * extraFiles})` });

  const byType = new Map<OperationType, number>();
  for (const op of plan.operations) byType.set(op.type, (byType.get(op.type) ?? 0) + 1);
  for (const [type, count] of [...byType.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const points = OPERATION_WEIGHTS[type] * count;
    parts.push({ points, reason: `${count} ${type} operation${count > 1 ? 's' : ''} (+${points})` });
  }

  for (const file of plan.files) {
    const kind = sensitiveKind(file);
    if (kind) parts.push({ points: kind.points, reason: `${file} is ${kind.what} (+${kind.points})` });
  }

  const unknown = new Set<string>();
  for (const op of plan.operations) {
    for (const e of op.evidence) if (/^unknown-package:/i.test(e)) unknown.add(e.replace(/^unknown-package:\s*/i, '').trim() || '(unnamed)');
  }
  for (const name of [...unknown].sort()) parts.push({ points: 35, reason: `dependency "${name}" is not a known package (+35)` });

  // A route whose path also serves other methods moves them too: never without a person's yes.
  const shared = plan.operations.flatMap((op) => op.evidence.filter((e) => /^shared-route:/i.test(e)));
  if (shared.length) parts.push({ points: 25, reason: `the route changed also serves other methods (${shared[0].replace(/^shared-route:\s*/i, '').slice(0, 120)}) (+25)` });
  const unguarded = plan.operations.flatMap((op) => op.evidence.filter((e) => /^unguarded-inclusion:/i.test(e)));
  if (unguarded.length) parts.push({ points: 25, reason: `a router is included without the guards its siblings have (${unguarded[0].replace(/^unguarded-inclusion:\s*/i, '').slice(0, 160)}) (+25)` });

  if (plan.confidence < 0.8) {
    const points = Math.round((0.8 - plan.confidence) * 25);
    if (points > 0) parts.push({ points, reason: `confidence ${plan.confidence} (+${points})` });
  }
  return parts;
}

function linesOf(diff: string, sign: '+' | '-'): string[] {
  const header = sign === '+' ? '+++ ' : '--- ';
  return diff.split('\n').filter((l) => l.startsWith(sign) && !l.startsWith(header)).map((l) => l.slice(1));
}

function count(lines: string[], re: RegExp): number {
  let n = 0;
  for (const line of lines) n += line.match(re)?.length ?? 0;
  return n;
}

/** Score parts read from the patch: size, deletions, dangerous calls it adds. */
export function patchScore(patch: Patch): ScorePart[] {
  const parts: ScorePart[] = [];
  // Lockfiles are written by the package manager, not by hand: their size says nothing of the
  // change's risk (the plan's score already counts them as sensitive files).
  const written = patch.files.filter((f) => sensitiveKind(f.file)?.what !== 'a lockfile');
  const added = written.reduce((n, f) => n + f.added, 0);
  const removed = written.reduce((n, f) => n + f.removed, 0);
  const changed = added + removed;
  if (changed > 4) {
    const points = Math.min(25, changed - 4);
    parts.push({ points, reason: `${added} lines added and ${removed} removed (+${points})` });
  }
  if (removed > 2) {
    const points = Math.min(20, 2 * (removed - 2));
    parts.push({ points, reason: `${removed} lines deleted (+${points})` });
  }
  for (const f of patch.files) {
    const added = linesOf(f.diff, '+');
    const removed = linesOf(f.diff, '-');
    for (const call of DANGEROUS_CALLS) {
      const n = count(added, call.re) - count(removed, call.re);
      if (n > 0) parts.push({ points: 40, reason: `${f.file}: adds ${call.name} (+40)` });
    }
  }
  return parts;
}
