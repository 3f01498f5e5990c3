import type { OperationType } from '../fixPlan';
import type { Executor } from '../contracts';
import { includeRouter, modifyCode, replacePattern, setStatusCode, updateRoute } from './executors/code';
import { addDependency, pinDependency } from './executors/dependency';
import { addImport, removeUnused } from './executors/imports';
import { syncLockfile } from './executors/lockfile';

/** One executor per operation type. */
export type ExecutorMap = { [T in OperationType]?: Executor<T> };

/** The executors the product ships: one for every operation type. */
export const EXECUTORS: { [T in OperationType]: Executor<T> } = {
  add_dependency: addDependency,
  pin_dependency: pinDependency,
  sync_lockfile: syncLockfile,
  remove_unused: removeUnused,
  add_import: addImport,
  include_router: includeRouter,
  update_route: updateRoute,
  set_status_code: setStatusCode,
  replace_pattern: replacePattern,
  modify_code: modifyCode,
};
