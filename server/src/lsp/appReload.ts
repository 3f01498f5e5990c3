import { loadConfig } from '../engine/config';
import type { Progress } from '../engine/model';
import { reloadApp } from '../engine/repair/reload';
import type { WorkspaceFolderRef } from './smokeRunner';

/**
 * Files written by fixes and rollbacks since a folder's last run. Before the next run, a Docker
 * app is restarted (or rebuilt, when allowed) so it serves the new code; a process app is started
 * afresh by every run anyway.
 */
export class PendingReloads {
  private readonly changed = new Map<string, Set<string>>();

  constructor(private readonly log: (message: string) => void) {}

  note(folderUri: string, files: string[]): void {
    const set = this.changed.get(folderUri) ?? new Set<string>();
    for (const f of files) set.add(f);
    this.changed.set(folderUri, set);
  }

  async beforeRun(folder: WorkspaceFolderRef, configFile: string, progress: Progress, signal: AbortSignal): Promise<void> {
    const files = this.changed.get(folder.uri);
    if (!files || files.size === 0) return;
    this.changed.delete(folder.uri);
    const loaded = await loadConfig(folder.path, configFile);
    if (!loaded.ok || !loaded.config.app.docker) return;
    progress.report('Reloading the app', 0);
    const done = await reloadApp(folder.path, loaded.config, [...files].sort(), progress, signal);
    this.log(`${folder.path}: ${done}`);
  }
}
