/**
 * Recognises ordinary log lines (access logs, levelled messages, timestamps) so that readers can
 * skip them when they are interleaved with a trace, and end a trace's message where they begin.
 */
const LOG_LINE =
  /^\s*(?:\[?(?:INFO|WARN|WARNING|ERROR|DEBUG|TRACE|FATAL|CRITICAL|NOTICE)\b|\[?\d{4}-\d\d-\d\d[T ]\d|\[?\d\d:\d\d:\d\d|\d{1,3}(?:\.\d{1,3}){3}[\s:-]|\{"|(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/)/;

/** Whether a line looks like an ordinary log line rather than part of a trace. */
export function isLogLine(line: string): boolean {
  return LOG_LINE.test(line);
}

/** Whether a line is empty or holds only white space. */
export function isBlank(line: string): boolean {
  return line.trim().length === 0;
}
