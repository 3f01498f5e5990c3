import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * A long-lived Python process per interpreter that answers `analyse(source)` requests, so the
 * interpreter's start-up (60–80 ms) is paid once instead of on every call.
 *
 * Protocol, one JSON document a line: the request `{"id": n, "source": "..."}` on the helper's
 * stdin; the answer `{"id": n, "result": ...}` on its stdout, or `{"id": n, "error": "..."}` when
 * `analyse` raised (the helper keeps serving). Answers are matched by id, so several calls may be
 * in flight.
 *
 * The helper never keeps Node alive: it and its pipes are unref'd while no call is pending. It
 * exits when its stdin closes: when Node exits, on `close()`, or after `idleMs` without a call. If
 * it dies, its pending calls fail and the next call starts a new one; a call over its time limit
 * fails alone, the helper is replaced and the other pending calls are sent to the new one.
 */

/** Appended to the caller's script, which defines `analyse(source) -> JSON-serialisable`. */
const SERVE = String.raw`
import json as _json, sys as _sys, traceback as _traceback, warnings as _warnings
_warnings.simplefilter('ignore')

def _serve():
    out = _sys.stdout
    for line in _sys.stdin.buffer:
        rid = None
        try:
            request = _json.loads(line)
            rid = request['id']
            answer = {'id': rid, 'result': analyse(request['source'])}
        except Exception:
            answer = {'id': rid, 'error': _traceback.format_exc(limit=-4)[-2000:]}
        out.write(_json.dumps(answer) + '\n')
        out.flush()

_serve()
`;

/** How long a helper stays without calls before it exits. */
export const DEFAULT_IDLE_MS = 60_000;
const STDERR_TAIL = 2000;
const EXIT_GRACE_MS = 1000;

export interface HelperCallOptions {
  timeoutMs: number;
  idleMs?: number;
}

export interface PythonHelperPoolOptions {
  /** Python source defining `analyse(source)`. */
  script: string;
  /** What the helper does, for error messages ("analyse imports"). */
  purpose: string;
  /** Builds the error every failed call rejects with. */
  error: (message: string) => Error;
}

interface Call {
  id: number;
  line: string;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  timeoutMs: number;
  idleMs: number;
  /** The helper the call was last sent to. */
  owner?: Helper;
}

class Helper {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pending = new Map<number, Call>();
  /** Set once the helper takes no more calls (closing, dead, or replaced). */
  retired = false;
  readonly exited: Promise<void>;
  private out = '';
  private stderr = '';
  private idle: NodeJS.Timeout | undefined;
  private idleMs = DEFAULT_IDLE_MS;

  constructor(
    readonly python: string,
    private readonly pool: PythonHelperPool,
  ) {
    this.child = spawn(python, ['-I', '-S', '-c', pool.source], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL);
    });
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.die(`cannot run ${python} to ${pool.purpose}: ${e.message}; install Python 3, or set SMOKE_REPAIR_PYTHON to an interpreter's path`);
        resolve();
      });
      this.child.on('exit', (code, signal) => {
        const why = signal ? `was stopped (${signal})` : `exited with ${code}`;
        const tail = this.stderr.trim().slice(-500);
        this.die(`${python} ${why} before it could ${pool.purpose}${tail ? `: ${tail}` : ''}; the next call starts it again`);
        resolve();
      });
    });
    this.hold(false);
  }

  send(call: Call): void {
    clearTimeout(this.idle);
    this.idle = undefined;
    this.idleMs = call.idleMs;
    call.owner = this;
    this.pending.set(call.id, call);
    this.hold(true);
    this.child.stdin.write(call.line);
  }

  /** A call's time limit passed: it fails, this helper is replaced, the others move to the new one. */
  expire(call: Call): void {
    if (this.pending.get(call.id) !== call) return;
    this.pending.delete(call.id);
    call.reject(this.pool.error(`${this.python} took longer than ${call.timeoutMs} ms to ${this.pool.purpose}; it was stopped and starts afresh on the next call`));
    const others = [...this.pending.values()];
    this.pending.clear();
    this.stop();
    for (const other of others) this.pool.resend(this.python, other);
  }

  /** Takes no more calls; exits once it has answered the pending ones. */
  close(): void {
    this.retire();
    this.child.stdin.end();
  }

  /** Ends the process now; its pending calls fail when it exits. */
  stop(): void {
    this.retire();
    this.child.kill('SIGKILL');
  }

  private retire(): void {
    if (this.retired) return;
    this.retired = true;
    clearTimeout(this.idle);
    this.idle = undefined;
    this.pool.forget(this);
  }

  private onData(chunk: string): void {
    this.out += chunk;
    let nl: number;
    while ((nl = this.out.indexOf('\n')) >= 0) {
      const line = this.out.slice(0, nl);
      this.out = this.out.slice(nl + 1);
      this.onAnswer(line);
    }
  }

  private onAnswer(line: string): void {
    let answer: { id?: unknown; result?: unknown; error?: unknown };
    try {
      answer = JSON.parse(line) as typeof answer;
    } catch {
      this.die(`${this.python} printed something other than an answer when asked to ${this.pool.purpose}: ${line.slice(0, 200)}`);
      this.stop();
      return;
    }
    const call = typeof answer.id === 'number' ? this.pending.get(answer.id) : undefined;
    if (!call) return;
    this.pending.delete(call.id);
    clearTimeout(call.timer);
    if (answer.error !== undefined) call.reject(this.pool.error(`${this.python} failed to ${this.pool.purpose}: ${String(answer.error).trim().slice(-500)}`));
    else call.resolve(answer.result);
    this.settled();
  }

  /** Fails every pending call with `message`; the helper is of no further use. */
  private die(message: string): void {
    this.retire();
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) {
      clearTimeout(call.timer);
      call.reject(this.pool.error(message));
    }
    this.hold(false);
    this.child.stdout.destroy();
    this.child.stderr.destroy();
  }

  private settled(): void {
    if (this.pending.size > 0) return;
    this.hold(false);
    if (this.retired) return;
    this.idle = setTimeout(() => this.close(), this.idleMs);
    this.idle.unref();
  }

  /** Keeps Node alive (while calls are pending) or lets it exit (when none is). */
  private hold(on: boolean): void {
    // The pipes are sockets; the process handle and each pipe would otherwise keep Node running.
    const pipes = [this.child.stdin, this.child.stdout, this.child.stderr] as Socket[];
    for (const h of [this.child, ...pipes]) {
      if (on) h.ref();
      else h.unref();
    }
  }
}

/**
 * The source as UTF-8 carries it: each lone surrogate becomes U+FFFD, as writing the string to a
 * pipe would make it (JSON would otherwise pass it on escaped).
 */
function wellFormed(source: string): string {
  return /[\uD800-\uDFFF]/.test(source) ? Buffer.from(source, 'utf8').toString('utf8') : source;
}

/** The helpers for one script, one per interpreter path, started on first use. */
export class PythonHelperPool {
  readonly source: string;
  readonly purpose: string;
  readonly error: (message: string) => Error;
  private readonly helpers = new Map<string, Helper>();
  private readonly all = new Set<Helper>();
  private nextId = 1;

  constructor(options: PythonHelperPoolOptions) {
    this.source = `${options.script}\n${SERVE}`;
    this.purpose = options.purpose;
    this.error = options.error;
  }

  /** `analyse(source)` in the helper for `python`; rejects with `error(...)` when it cannot answer. */
  call(python: string, source: string, options: HelperCallOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const call: Call = {
        id,
        line: `${JSON.stringify({ id, source: wellFormed(source) })}\n`,
        resolve,
        reject,
        timeoutMs: options.timeoutMs,
        idleMs: options.idleMs ?? DEFAULT_IDLE_MS,
        timer: setTimeout(() => call.owner?.expire(call), options.timeoutMs),
      };
      this.helper(python).send(call);
    });
  }

  /** Ends every helper: each answers its pending calls, then exits (or is killed after a grace period). */
  async close(): Promise<void> {
    const helpers = [...this.all];
    for (const h of helpers) h.close();
    await Promise.all(
      helpers.map(async (h) => {
        const grace = setTimeout(() => h.stop(), EXIT_GRACE_MS);
        await h.exited;
        clearTimeout(grace);
      }),
    );
  }

  resend(python: string, call: Call): void {
    this.helper(python).send(call);
  }

  forget(helper: Helper): void {
    if (this.helpers.get(helper.python) === helper) this.helpers.delete(helper.python);
    void helper.exited.then(() => this.all.delete(helper));
  }

  private helper(python: string): Helper {
    let h = this.helpers.get(python);
    if (!h) {
      h = new Helper(python, this);
      this.helpers.set(python, h);
      this.all.add(h);
    }
    return h;
  }
}
