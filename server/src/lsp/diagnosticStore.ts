import type { Diagnostic } from 'vscode-languageserver';

/**
 * Diagnostics by owner (a run of one folder, the live check of one config file) and URI.
 * A URI's published list is the union over owners, so a run's results and the live config check
 * can share the config file. Replacing an owner's set republishes every URI it touched before,
 * which clears stale diagnostics with an empty list.
 */
export class DiagnosticStore {
  private readonly byOwner = new Map<string, Map<string, Diagnostic[]>>();

  constructor(private readonly publish: (uri: string, diagnostics: Diagnostic[]) => void) {}

  /** Replaces everything `owner` had with `entries` and publishes every affected URI. */
  replace(owner: string, entries: ReadonlyMap<string, Diagnostic[]>): void {
    const before = this.byOwner.get(owner);
    const touched = new Set<string>([...(before?.keys() ?? []), ...entries.keys()]);
    const next = new Map<string, Diagnostic[]>();
    for (const [uri, list] of entries) if (list.length > 0) next.set(uri, list);
    if (next.size > 0) this.byOwner.set(owner, next);
    else this.byOwner.delete(owner);
    for (const uri of [...touched].sort()) this.publish(uri, this.union(uri));
  }

  clear(owner: string): void {
    this.replace(owner, new Map());
  }

  /** The union currently published for a URI. */
  union(uri: string): Diagnostic[] {
    const all: Diagnostic[] = [];
    for (const entries of this.byOwner.values()) all.push(...(entries.get(uri) ?? []));
    return all;
  }

  uris(owner: string): string[] {
    return [...(this.byOwner.get(owner)?.keys() ?? [])];
  }
}
