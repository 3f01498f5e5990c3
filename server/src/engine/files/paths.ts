import { lstat, realpath } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Paths a repair may never write, whatever the score: outside the workspace (after `..` and
 * symbolic links), version-control internals, env and secret files, CI definitions, and the
 * product's own state folder.
 */

const SECRET_NAMES: RegExp[] = [
  /^\.env(\..*)?$/i,
  /\.env$/i,
  /\.(pem|key|p12|pfx|jks|keystore|crt|cer|der|asc|gpg|kdbx)$/i,
  /^id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$/i,
  /^secrets?(\..*)?$/i,
  /^credentials?(\..*)?$/i,
  /^\.(npmrc|pypirc|netrc|htpasswd|pgpass|git-credentials|dockercfg)$/i,
  /^(known_hosts|authorized_keys)$/i,
  /\.tfvars$/i,
  /^service[-_]?account.*\.json$/i,
];

const CI_FILES: RegExp[] = [
  /^\.github\/workflows\//,
  /^\.github\/actions\//,
  /(^|\/)\.gitlab-ci\.ya?ml$/,
  /^\.gitlab\//,
  /^\.circleci\//,
  /(^|\/)Jenkinsfile$/,
  /(^|\/)azure-pipelines\.ya?ml$/,
  /^\.travis\.ya?ml$/,
  /^\.buildkite\//,
  /^bitbucket-pipelines\.ya?ml$/,
  /^\.drone\.ya?ml$/,
  /^\.woodpecker(\.ya?ml|\/)/,
  /^appveyor\.ya?ml$/,
  /^cloudbuild\.ya?ml$/,
  /^\.teamcity\//,
];

/** Why this workspace-relative path is off limits by its name alone, or undefined. */
export function blockedByName(file: string): string | undefined {
  const segments = file.split('/');
  if (segments.includes('.git')) return `${file}: inside .git/ (version-control internals)`;
  if (segments[0] === '.smoke-repair') return `${file}: inside .smoke-repair/ (the repair tool's own records)`;
  const base = segments[segments.length - 1];
  if (SECRET_NAMES.some((re) => re.test(base))) return `${file}: an env or secret file`;
  if (CI_FILES.some((re) => re.test(file))) return `${file}: a CI definition`;
  return undefined;
}

function inside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Why writing `file` (as given by a plan: relative to the workspace) would leave the workspace,
 * or undefined. Resolves `..`, then the real path of the deepest part of it that exists, so a
 * symbolic link anywhere on the way that leads out is caught.
 */
export async function escapesWorkspace(workspace: string, file: string): Promise<string | undefined> {
  const root = path.resolve(workspace);
  if (path.isAbsolute(file) || /^[A-Za-z]:/.test(file)) return `${file}: an absolute path (plans name files relative to the workspace)`;
  const target = path.resolve(root, file);
  if (!inside(root, target)) return `${file}: outside the workspace`;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return `${file}: the workspace ${root} does not exist`;
  }
  let probe = target;
  for (;;) {
    try {
      await lstat(probe);
      break;
    } catch {
      const parent = path.dirname(probe);
      if (parent === probe) break;
      probe = parent;
    }
  }
  let real: string;
  try {
    real = await realpath(probe);
  } catch {
    // A dangling link: realpath fails although lstat found it.
    return `${file}: ${path.relative(root, probe) || '.'} is a symbolic link that leads nowhere`;
  }
  if (!inside(realRoot, real)) return `${file}: ${path.relative(root, probe) || '.'} is a symbolic link that leads out of the workspace (to ${real})`;
  return undefined;
}
