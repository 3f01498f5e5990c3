/**
 * Log sources besides the runtime (`app.logs` of smoke-repair.yaml): a file the app writes, or a
 * command that prints its log. For an app the user started (a plain process, a container whose
 * log cannot be read), they are where the server-side traces of failing requests come from.
 */
import { homedir } from 'node:os';
import * as path from 'node:path';
import { CommandLogSource } from './commandSource';
import { FileLogSource } from './fileSource';
import type { LogSource, LogSourceConfig, LogSourceOptions } from './types';

export { LogSourceProblem, type LogSource, type LogSourceConfig, type LogSourceOptions } from './types';
export { FileLogSource } from './fileSource';
export { CommandLogSource } from './commandSource';

/** The source `app.logs` names; paths are relative to the workspace (`~/` is the home folder). */
export function createLogSource(config: LogSourceConfig, workspace: string, options: LogSourceOptions = {}): LogSource {
  if (config.file !== undefined) return new FileLogSource(resolvePath(workspace, config.file), options);
  if (config.command !== undefined) return new CommandLogSource(config.command, resolvePath(workspace, config.cwd ?? '.'), options);
  // The schema lets neither through; a caller that builds the config by hand gets told plainly.
  throw new Error('app.logs needs `file` or `command`');
}

function resolvePath(workspace: string, p: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(homedir(), p.slice(1));
  return path.resolve(workspace, p);
}
