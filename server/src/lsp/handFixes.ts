import { learningOf } from '../engine/learn';
import { describeHandFix, dismissHandFixes, learnHandFixes, observeRun, type HandFix } from '../engine/learn/handEdits';
import type { SmokeReport } from '../engine/model';

/**
 * A person's fixes, seen by the editor's smoke runs: a scenario that failed at the last run passes
 * after an edit of the files its failure pointed at. Under `learning.handEdits: ask` (the default)
 * the person is asked, once per fix, whether to learn it; `always` learns it and says so; `never`
 * keeps nothing. Learning never fails a run: a problem is logged.
 */

export interface HandFixHost {
  /** Ask with the answers given; the answer's title, or undefined when dismissed. */
  ask(message: string, answers: string[]): Promise<string | undefined>;
  info(message: string): void;
  log(message: string): void;
  /** Patterns were learned in this folder. */
  learned(folderPath: string): void;
}

export const LEARN = 'Learn This Fix';
export const DONT = "Don't Learn";

export class HandFixWatcher {
  constructor(private readonly host: HandFixHost) {}

  /** After a folder's smoke run. */
  async observe(folderPath: string, report: SmokeReport, configFile?: string): Promise<HandFix[]> {
    try {
      const learning = await learningOf(folderPath, configFile);
      const found = await observeRun(folderPath, report, learning);
      if (found.length === 0) return found;
      if (learning.handEdits === 'always') {
        const n = await learnHandFixes(folderPath, found, learning);
        for (const f of found) this.host.info(`Smoke Repair learned your fix: ${describeHandFix(f)}.`);
        if (n) this.host.learned(folderPath);
        return found;
      }
      // One question per fix; a person who does not answer is asked nothing more about it.
      for (const f of found) void this.ask(folderPath, f, learning);
      return found;
    } catch (err) {
      this.host.log(`${folderPath}: hand fixes not observed: ${(err as Error).message}`);
      return [];
    }
  }

  private async ask(folderPath: string, fix: HandFix, learning: Awaited<ReturnType<typeof learningOf>>): Promise<void> {
    try {
      const answer = await this.host.ask(`Smoke Repair: ${describeHandFix(fix)}. Learn this fix, so the next similar failure is offered it?`, [LEARN, DONT]);
      if (answer === LEARN) {
        if (await learnHandFixes(folderPath, [fix], learning)) this.host.learned(folderPath);
      } else if (answer === DONT) {
        await dismissHandFixes(folderPath, [fix.id]);
      }
    } catch (err) {
      this.host.log(`${folderPath}: the hand fix was not learned: ${(err as Error).message}`);
    }
  }
}
