export type ImportLanguage = 'python' | 'js';

/** The import dialect of a file, by extension; undefined for files this module does not edit. */
export function importLanguage(file: string): ImportLanguage | undefined {
  if (/\.pyi?$/.test(file)) return 'python';
  if (/\.(c|m)?[jt]sx?$/.test(file) && !file.endsWith('.d.ts')) return 'js';
  return undefined;
}
