/**
 * Dependencies: manifests (requirements.txt, pyproject.toml, package.json) read and edited a line
 * at a time, import name → distribution, standard libraries, and the known-package check.
 */
export { normalizePythonName, normalizeNpmName } from './names';
export { isPythonStdlib, isNodeBuiltin } from './stdlib';
export { PYTHON_IMPORT_TO_DISTRIBUTION, pythonDistributionFor, npmPackageOf } from './importMap';
export { checkPackageName, popularityList, parsePopularityList, editDistance, imitation, type PackageVerdict, type Registry, type PopularityList } from './known';
export { parseRequirements, addRequirement, pinRequirement, findRequirement, pythonSpecifier, type Requirement, type RequirementsFile } from './requirements';
export { readPyprojectDependencies, addPyprojectDependency, pinPyprojectDependency, pyprojectTarget, declaresDependencies, type PyprojectDependencies } from './pyproject';
export { readPackageJsonDependencies, addPackageJsonDependency, pinPackageJsonDependency, npmRange, sectionFor, DEPENDENCY_SECTIONS, type DependencySection } from './packageJson';
export { findManifests, findDeclaration, lockedNpmVersion, kindOf, type ManifestRef, type ManifestKind, type Ecosystem, type WorkspaceReader, type Declaration } from './manifest';
export { ManifestEditError } from './text';
