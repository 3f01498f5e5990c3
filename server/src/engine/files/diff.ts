import { createTwoFilesPatch } from 'diff';

/** Lines of context around each change in the unified diffs. */
export const DIFF_CONTEXT = 3;

/** The unified diff of one file, `a/` and `b/` names (`/dev/null` for a created or deleted file). */
export function unifiedDiff(file: string, before: string | null, after: string | null): string {
  const text = createTwoFilesPatch(
    before === null ? '/dev/null' : `a/${file}`,
    after === null ? '/dev/null' : `b/${file}`,
    before ?? '',
    after ?? '',
    undefined,
    undefined,
    { context: DIFF_CONTEXT },
  );
  // The package starts each file with a line of "=" signs; git-style diffs have none.
  return text.replace(/^=+\n/, '');
}
