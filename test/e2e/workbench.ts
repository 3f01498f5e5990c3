/** Addresses of the workbench: a folder, optionally with a development extension and a test entry. */
export interface WorkbenchTarget {
  /** code-server's base URL, ending in `/`. */
  url: string;
  /** Absolute path of the workspace folder. */
  workspace: string;
  /** Absolute folder of an extension loaded in development mode. */
  extensionDevelopmentPath?: string;
  /** Absolute path of a bundled test entry exporting `run()`. */
  extensionTestsPath?: string;
}

export function workbenchUrl(t: WorkbenchTarget): string {
  const base = new URL(t.url);
  const remote = (p: string) => `vscode-remote://${base.host}${p}`;
  const payload: [string, string][] = [];
  if (t.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(t.extensionDevelopmentPath)]);
  if (t.extensionTestsPath) payload.push(['extensionTestsPath', remote(t.extensionTestsPath)]);
  const u = new URL(base);
  u.searchParams.set('folder', t.workspace);
  if (payload.length) u.searchParams.set('payload', JSON.stringify(payload));
  return u.toString();
}
