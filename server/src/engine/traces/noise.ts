/**
 * Recognises the log lines a server writes between the lines of a trace: access-log lines and
 * structured (JSON, logfmt) log records. Readers skip them inside a trace and never take them
 * into a message or a frame. A line is only called foreign when its shape says so for sure: a
 * message line such as `ERROR: disk full` or `{"field": "name"}` is no log record.
 */
const METHODS = 'GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE';

const KOA = new RegExp(`^\\s*(?:<--|-->) (?:${METHODS}) \\/`);

const FOREIGN: readonly RegExp[] = [
  // uvicorn / hypercorn after their level: `127.0.0.1:53122 - "GET /items HTTP/1.1" 200 OK`.
  new RegExp(`^(?:\\d{1,3}(?:\\.\\d{1,3}){3}|\\[[\\da-fA-F:.]+\\]|[\\da-fA-F:]+):\\d{1,5} - "(?:${METHODS}) \\S+ HTTP\\/[\\d.]+" \\d{3}\\b`),
  // Common / combined log format (gunicorn, werkzeug, nginx, morgan `combined`/`common`).
  /^\S{1,255} \S{1,255} \S{1,255} \[[^\]]{1,64}\] "[^"]{0,8192}" \d{3} /,
  // morgan `dev` / `tiny` and express-style lines: `GET /users/7 200 3.112 ms - 341`, `GET /users/2 500`.
  new RegExp(`^(?:${METHODS}) \\/\\S* (?:[1-5]\\d\\d\\b|- )`),
  // morgan `short`: `::1 - GET /x HTTP/1.1 200 - - 1.2 ms`.
  new RegExp(`^\\S{1,255} - (?:${METHODS}) \\/\\S* HTTP\\/[\\d.]+ \\d{3} `),
  // koa-logger and the like: `<-- GET /x`, `--> GET /x 200 12ms`.
  KOA,
  // logfmt records: `time=... level=info msg=...`.
  /^[\w.-]{1,64}=(?:"[^"]{0,8192}"|\S*) (?:.* )?(?:level|lvl)=(?:trace|debug|info|warn|warning|error|fatal|critical)\b/i,
  /^(?:level|lvl)=(?:trace|debug|info|warn|warning|error|fatal|critical)\b/i,
];

/** A JSON log record names its level or time; a JSON value inside a message usually does not. */
const JSON_RECORD_KEY = /"(?:level|lvl|severity|levelname|log\.level|@timestamp|timestamp|time|ts)"\s*:/;

/** Whether a line (without its decorations) is a log record of its own rather than a trace's. */
export function isForeignLine(line: string): boolean {
  const c = line.charCodeAt(0);
  if (c === 32 || c === 9) {
    // Trace lines are indented: only koa-style `  <-- GET /` lines are foreign among them.
    let i = 1;
    while (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9) i++;
    return (line.startsWith('<-- ', i) || line.startsWith('--> ', i)) && KOA.test(line);
  }
  if (Number.isNaN(c)) return false;
  if (c === 123 /* { */) {
    return line.charCodeAt(1) === 34 && line.trimEnd().endsWith('}') && JSON_RECORD_KEY.test(line);
  }
  for (const re of FOREIGN) if (re.test(line)) return true;
  return false;
}

/** Whether a line is empty or holds only white space. */
export function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 12 && c !== 11 && c !== 160) return false;
  }
  return true;
}
