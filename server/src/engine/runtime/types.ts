import type { LogLine } from '../model';

/** A bind mount or a configured mapping: a path as the app sees it → a host path. */
export interface Mount {
  /** Path inside the container (or as the process sees it). */
  destination: string;
  /** Absolute host path. */
  source: string;
}

/**
 * Where the app under test runs. One adapter per kind (docker, process); each passes
 * the same contract test (test/integration/runtime-contract.test.ts).
 */
export interface Runtime {
  readonly kind: 'docker' | 'process';
  /** Human-readable, e.g. `docker container shop-api-api-1`. */
  describe(): string;
  /**
   * Make sure the app is there (process: start it if configured, and wait until it answers).
   * Throws AppStartFailure when the app's process or container has exited or crash-loops (with its
   * output), EnvironmentError with a remedy for everything else.
   */
  ensureRunning(signal?: AbortSignal): Promise<void>;
  /**
   * Rejects with AppStartFailure as soon as the app's process or container stops (exits, or
   * restarts in a loop); never resolves. Ends when `signal` aborts. Raced against the wait for the
   * app to answer, so that wait ends within moments of a crash.
   */
  watchExit(signal: AbortSignal): Promise<never>;
  /** The app's output since its (last) start: where a start-up trace is. */
  startupLog(): Promise<LogLine[]>;
  /** Log lines with timestamps between `since` and `until` (ms since epoch), stdout and stderr apart. */
  logs(since: number, until: number): Promise<LogLine[]>;
  /** Host paths the app's paths map to (bind mounts). */
  mounts(): Promise<Mount[]>;
  /**
   * Why the app under test does not run this workspace's code (a container started from another
   * checkout), or undefined when nothing says so.
   */
  foreignCode(): Promise<string | undefined>;
  restart(): Promise<void>;
  /** Rebuild the image; only attempted when a Dockerfile exists. Off unless asked. */
  rebuild?(): Promise<void>;
  /** Release what this adapter started (process mode stops its child). */
  dispose(): Promise<void>;
}
