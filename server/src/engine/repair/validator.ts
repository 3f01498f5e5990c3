import type { SmokeConfig } from '../config/schema';
import type { Progress, SmokeReport, Violation } from '../model';
import type { Patch, ValidationResult } from './types';

/** What validates a patch in a sandbox before it may be applied. */
export interface ValidateInput {
  workspace: string;
  config: SmokeConfig;
  report: SmokeReport;
  violation: Violation;
  patch: Patch;
  signal?: AbortSignal;
  progress?: Progress;
}

export type Validator = (input: ValidateInput) => Promise<ValidationResult>;
