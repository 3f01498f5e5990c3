/**
 * Import analysis for Python and JavaScript/TypeScript: unused bindings, their removal, who
 * provides an undefined name, and where a new import goes.
 */
export { analysePython, unusedPythonNames, removePythonNames, removePythonImports, addPythonImport, moduleOf, ImportEditError } from './python';
export type { PythonAnalysis, PythonImport, PythonImportName, PythonRemoval, KeepReason, ImportKind, AddPythonImport } from './python';
export { analyseJs, unusedJsNames, removeJsNames, addJsImport, jsImportStatement } from './js';
export type { JsAnalysis, JsImport, JsImportName, AddJsImport } from './js';
export { tokenize, type Token } from './js-tokens';
export { pythonProviders, jsProviders, jsExports, jsSyntaxOf, relativeSpecifier, type ImportCandidate, type ProviderContext } from './providers';
export { PythonAnalysisError, closePythonHelpers } from './python-ast';
export { undefinedPythonNames, closePythonNameHelpers, type UndefinedPythonName } from './python-names';
export { undefinedJsNames, type UndefinedJsName } from './js-names';
export { PYTHON_STDLIB_MODULES } from './python-stdlib';
export { importLanguage, type ImportLanguage } from './language';
