import type { Rule } from '../../contracts';
import { missingDependencyRule } from './dependency';
import { missingImportRule, unusedImportRule } from './imports';
import { routePathRule, routerNotIncludedRule, statusCodeRule } from './routing';

/**
 * The deterministic rules, in the order the rules planner asks them. An unused import of a module
 * that is not installed is removed before anyone thinks of installing it, so the unused-import
 * rule comes before the missing-dependency rule.
 */
export const RULES: Rule[] = [
  unusedImportRule,
  missingDependencyRule,
  missingImportRule,
  routerNotIncludedRule,
  statusCodeRule,
  routePathRule,
];
