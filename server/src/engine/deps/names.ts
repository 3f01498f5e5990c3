/**
 * Package-name spelling rules of the two registries.
 */

/** PEP 503: case-insensitive, runs of `-`, `_` and `.` are one `-` (`Flask_SQLAlchemy` → `flask-sqlalchemy`). */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** npm names are compared as written, case aside (the registry refuses new names with capitals). */
export function normalizeNpmName(name: string): string {
  return name.toLowerCase();
}

/** A name a requirement line, a pyproject array entry or a Poetry key may hold (PEP 508 name). */
export const PYTHON_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/** A name package.json may declare: lowercase, URL-safe, optionally scoped. */
export const NPM_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
