/** Stack traces: finding them in logs, and mapping their frames to workspace files. */
export { extractTraces, extractTracesFromLines } from './extract';
export { traceFromResponseBody } from './body';
export { TraceScanner, type ScannedTrace } from './scanner';
export { ParserRegistry, defaultRegistry } from './registry';
export { LIMITS, type TraceParser, type TraceReader, type Verdict } from './reader';
export { stripLogDecorations, stripAnsi, type LogLineParts } from './decorations';
export { pythonParser } from './python';
export { nodeParser, parseNodeFrame } from './node';
export {
  createPathMapper,
  mapTrace,
  normalizePath,
  isLibraryPath,
  topWorkspaceFrame,
  listWorkspaceFiles,
  SKIPPED_FOLDERS,
  type MappedPath,
  type PathMapOptions,
  type PathMapper,
} from './pathmap';
