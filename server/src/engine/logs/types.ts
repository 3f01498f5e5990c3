import type { SmokeConfig } from '../config/schema';
import { EnvironmentError, type LogLine } from '../model';

/** `app.logs` of smoke-repair.yaml: exactly one of `file` or `command`. */
export type LogSourceConfig = NonNullable<SmokeConfig['app']['logs']>;

/**
 * A place the app's log is read from besides its runtime: a file it writes, or a command that
 * prints it. Lines are kept with the time they arrived, like the process runtime keeps its child's
 * output, so a request's time window selects the lines it caused.
 *
 * A source never fails the run: when it cannot read (a command that exits, a file that cannot be
 * opened), `problem()` says why and what to do, the lines read so far stay readable, and the run
 * goes on without the rest. Callers check `problem()` after `start()` (a source that cannot work at
 * all) and after `logs()` (one that stopped during the run) and show it as a warning.
 */
export interface LogSource {
  readonly kind: 'file' | 'command';
  /** Human-readable, e.g. `log file /srv/app/log/app.log`. */
  describe(): string;
  /** Begin following (the file from its current end; the command from its start). Never rejects. */
  start(): Promise<void>;
  /** Lines that arrived between `since` and `until` (ms since epoch, inclusive), oldest first. */
  logs(since: number, until: number): Promise<LogLine[]>;
  /** Why the source cannot give (more) lines, with a remedy; undefined while it works. */
  problem(): LogSourceProblem | undefined;
  /** Stop following; a command is ended with its whole process group. */
  dispose(): Promise<void>;
}

/** Why a log source gives no (more) lines: a warning for the run, with the source's last output. */
export class LogSourceProblem extends EnvironmentError {
  constructor(
    message: string,
    remedy: string,
    /** `describe()` of the source. */
    readonly source: string,
    /** The source's last output lines (a command's error message), oldest first. */
    readonly lastLines: readonly string[] = [],
  ) {
    super(message, remedy);
    this.name = 'LogSourceProblem';
  }
}

/** Tuning for tests; the defaults suit a smoke run. */
export interface LogSourceOptions {
  /** File: how often the file is looked at besides change notifications (ms). */
  pollMs?: number;
  /** File: a partial last line is kept as a line of its own after this long without its newline (ms). */
  partialLineMs?: number;
  /** Command: how long `start()` waits for a first line or an early exit (ms). */
  startGraceMs?: number;
  /** Command: time between SIGTERM and SIGKILL at dispose (ms). */
  killGraceMs?: number;
  /** Lines kept; the oldest are dropped first. */
  maxLines?: number;
  /** Characters kept over all lines; the oldest lines are dropped first. */
  maxChars?: number;
}
