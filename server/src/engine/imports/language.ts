export type ImportLanguage = 'python' | 'js';

/**
 * The import dialect of a file, by extension, or for a script without one (`bin/www`,
 * `manage`) by its `#!` line; undefined for files this module does not edit.
 */
export function importLanguage(file: string, text?: string): ImportLanguage | undefined {
  if (/\.pyi?$/.test(file)) return 'python';
  if (/\.(c|m)?[jt]sx?$/.test(file) && !file.endsWith('.d.ts')) return 'js';
  if (text !== undefined && !/\.[^/]+$/.test(file)) {
    const shebang = /^#!.*\b(node|python3?)\b/.exec(text.slice(0, 200));
    if (shebang) return shebang[1] === 'node' ? 'js' : 'python';
  }
  return undefined;
}
