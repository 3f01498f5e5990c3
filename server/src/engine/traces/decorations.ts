/**
 * What log plumbing adds around the lines a program writes: colour codes, the timestamps of
 * `docker logs -t` and `kubectl logs --timestamps`, the service prefixes of `docker compose`,
 * foreman/honcho, PM2, `kubectl logs --prefix` and the journal, and the timestamp and level a
 * logger puts before a record. Trace readers see the line as the program wrote it.
 */

/** A log line taken apart. */
export interface LogLineParts {
  /** The line as the program wrote it: colour codes and the recognised prefixes removed. */
  text: string;
  /** What was removed from the start of the line (without its colour codes). */
  prefix: string;
  /**
   * The service, container, pod or process the line came from, when its prefix names one
   * (`web-1` of `web-1  | ...`); '' otherwise. Lines of one trace share it, so two traces
   * interleaved by two services can be read apart.
   */
  source: string;
  /**
   * The kinds of decoration in the prefix, in order: `t` a timestamp, `l` a log level. The lines
   * inside one trace carry the same (usually none); a line that carries more starts a new log
   * record, so it is no part of the trace.
   */
  record: string;
}

// CSI (colours, cursor moves), OSC (titles, links) and the two-character escapes; C1 CSI too.
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]/g;

/** The line without its colour codes and other terminal escapes. */
export function stripAnsi(line: string): string {
  return line.indexOf('\x1b') < 0 && line.indexOf('\x9b') < 0 ? line : line.replace(ANSI, '');
}

const LEVEL_WORDS = 'TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|SEVERE|ALERT|EMERG|PANIC';

// Every pattern is sticky (tried at one position) and linear. A prefix ends with one space: what
// follows is the program's own (a frame's indentation under a per-line `[error] ` prefix).
/** RFC 3339 as `docker logs -t` and `kubectl logs --timestamps` write it. */
const RFC3339 = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d) /y;
/** `docker compose` (v2 `web-1`, v1 `web_1`), padded, then `| `. */
const COMPOSE = /([A-Za-z0-9][\w.-]{0,127}[-_]\d{1,4}) *\|(?: |$)/y;
/** foreman / honcho: `12:00:01 web.1  | `. */
const PROCFILE = /\d\d:\d\d:\d\d ([A-Za-z0-9][\w-]{0,63}\.\d{1,4}) *\|(?: |$)/y;
/** PM2: `0|api      | `. */
const PM2 = /(\d{1,4}\|[\w.-]{1,64}) *\|(?: |$)/y;
/** `kubectl logs --prefix`: `[pod/web-7d9f/app] `. */
const KUBECTL = /\[(pod\/[^\]\s]{1,253})\] /y;
/** The journal / syslog: `May 01 12:00:01 host app[123]: `. */
const SYSLOG = /[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d [\w.-]{1,253} ([\w./-]{1,64}(?:\[\d{1,10}\])?): /y;
/** A logger's timestamp: `2024-05-01 12:00:01,004`, `[2024-05-01T12:00:01.004+0000]`, `[12:00:01]`. */
const LOGGER_TIME =
  /(?:\[?\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?: ?(?:Z|[+-]\d\d:?\d\d|UTC))?\]?|\[\d\d\/[A-Z][a-z]{2}\/\d{4}[: ]\d\d:\d\d:\d\d(?: [+-]\d{4})?\]|\[\d\d:\d\d:\d\d(?:[.,]\d{1,6})?\]|\d\d:\d\d:\d\d[.,]\d{3,6})(?::| -|)[ \t]/y;
/** A level in brackets: `[ERROR] `, `[error]: `. */
const BRACKET_LEVEL = new RegExp(`\\[(?:${LEVEL_WORDS})\\]:?[ \\t]`, 'iy');
/**
 * uvicorn's padded level (`ERROR:    `, `INFO:     `: padded to column 9 or 10), unlike what a message
 * holds (`ERROR: disk full`, psql's `ERROR:  relation ...`).
 */
const PADDED_LEVEL = new RegExp(`(?:${LEVEL_WORDS}): {2,}`, 'y');
/** Python logging's default format: `ERROR:root:` / `WARNING:app.db:`. */
const PY_LOGGING = /(?:DEBUG|INFO|WARNING|ERROR|CRITICAL):[\w.<>-]{1,128}:/y;
/** After a logger's timestamp: a pid in brackets, a bare level word, ` - `. */
const AFTER_TIME = new RegExp(`(?:\\[\\d{1,10}\\][ \\t]|(?:${LEVEL_WORDS})(?::| -|)[ \\t]|- )`, 'y');

/** What a prefix tells: the source it names, and the decoration kinds it adds to `record`. */
interface Rule {
  re: RegExp;
  /** A further check on the match. */
  fits?: (m: RegExpExecArray) => boolean;
  /** Group 1 names the line's source. */
  source?: boolean;
  record: '' | 't' | 'l';
}

const RULES: readonly Rule[] = [
  { re: RFC3339, record: 't' },
  { re: COMPOSE, source: true, record: '' },
  { re: PROCFILE, source: true, record: '' },
  { re: PM2, source: true, record: '' },
  { re: KUBECTL, source: true, record: '' },
  // The journal stamps every line it stores, like `docker logs -t`.
  { re: SYSLOG, source: true, record: 't' },
  { re: LOGGER_TIME, record: 't' },
  { re: BRACKET_LEVEL, record: 'l' },
  { re: PADDED_LEVEL, record: 'l', fits: (m) => m[0].length >= 9 },
  { re: PY_LOGGING, record: 'l' },
];

/**
 * Takes a log line apart: colour codes are removed from the whole line, and from its start the
 * prefixes of log plumbing (transport timestamps, service prefixes) and of loggers (timestamps,
 * levels) are removed, in any order and nesting (`web-1  | 2024-05-01T12:00:01.123456789Z ...`).
 * What a message could hold itself is left alone: `ERROR: disk full` (one space) stays as it is.
 */
export function stripLogDecorations(line: string): LogLineParts {
  const s = stripAnsi(line);
  const c = s.charCodeAt(0);
  // Trace lines mostly start with white space, which no prefix does: answer at once.
  if (!(c >= 48 && c <= 57) && c !== 91 && !(c >= 65 && c <= 90) && !(c >= 97 && c <= 122)) {
    return { text: s, prefix: '', source: '', record: '' };
  }
  let pos = 0;
  let source = '';
  let record = '';
  let afterTime = false;
  for (let round = 0; round < 8; round++) {
    let hit: { m: RegExpExecArray; rule: Rule } | undefined;
    for (const rule of RULES) {
      rule.re.lastIndex = pos;
      const m = rule.re.exec(s);
      if (m && (!rule.fits || rule.fits(m))) {
        hit = { m, rule };
        break;
      }
    }
    if (hit) {
      if (hit.rule.source) source = source === '' ? hit.m[1]! : `${source}/${hit.m[1]!}`;
      record += hit.rule.record;
      afterTime = hit.rule.re === LOGGER_TIME;
      pos += hit.m[0].length;
      continue;
    }
    if (!afterTime) break;
    // Right after a logger's timestamp: `[pid] `, a bare level word, ` - `.
    AFTER_TIME.lastIndex = pos;
    const m = AFTER_TIME.exec(s);
    if (!m) break;
    if (m[0].charCodeAt(0) !== 91 && m[0].charCodeAt(0) !== 45) record += 'l';
    pos += m[0].length;
  }
  return pos === 0 ? { text: s, prefix: '', source: '', record: '' } : { text: s.slice(pos), prefix: s.slice(0, pos), source, record };
}
