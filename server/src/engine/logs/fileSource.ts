import { watch, type FSWatcher, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { LogLine } from '../model';
import { LineSplitter, LineStore } from './lines';
import { LogSourceProblem, type LogSource, type LogSourceOptions } from './types';

const READ_CHUNK = 64 * 1024;

/**
 * Follows a log file that another process writes, like `tail -F`: from its end at `start()` (its
 * history belongs to no request of this run), each new line kept with the time it was read.
 *
 * - Replaced (rotated: renamed away and created anew): the rest of the old file is read, then the
 *   new one from its start.
 * - Shortened in place (copytruncate, `> app.log`): read again from the start. A file truncated and
 *   written past the old end between two looks cannot be told from one that grew; `tail` has the
 *   same blind spot, and the poll interval keeps it short.
 * - Missing: followed from its start once it appears.
 *
 * Changes are noticed through a watch on the file's folder (at once) and a poll (the fallback
 * where watches do not work: network folders, bind mounts from a VM); `logs()` reads what is new
 * before it answers, so a line written before the call is never missed.
 */
export class FileLogSource implements LogSource {
  readonly kind = 'file' as const;
  private readonly store: LineStore;
  private readonly pollMs: number;
  private readonly partialLineMs: number;
  private handle: FileHandle | undefined;
  private identity: { dev: number; ino: number } | undefined;
  private position = 0;
  private decoder = new StringDecoder('utf8');
  private splitter = new LineSplitter();
  /** When the text of the partial line last grew. */
  private partialAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private reading: Promise<void> | undefined;
  private again = false;
  private started = false;
  private disposed = false;
  private seen = false;
  private asked = false;
  private failure: LogSourceProblem | undefined;

  constructor(
    /** Absolute path of the file. */
    readonly file: string,
    options: LogSourceOptions = {},
  ) {
    this.store = new LineStore(options.maxLines, options.maxChars);
    this.pollMs = options.pollMs ?? 100;
    this.partialLineMs = options.partialLineMs ?? 1000;
  }

  describe(): string {
    return `log file ${this.file}`;
  }

  async start(): Promise<void> {
    if (this.started || this.disposed) return;
    this.started = true;
    try {
      const st = await stat(this.file);
      if (st.isFile()) await this.openFile(true);
    } catch {
      // Missing or unreadable: the polls below report or pick it up.
    }
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
    try {
      const name = path.basename(this.file);
      this.watcher = watch(path.dirname(this.file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) void this.poll();
      });
      this.watcher.on('error', () => this.closeWatcher());
    } catch {
      // The folder does not exist (yet) or cannot be watched: the poll alone follows the file.
    }
    await this.poll();
  }

  async logs(since: number, until: number): Promise<LogLine[]> {
    if (!this.started) return [];
    this.asked = true;
    await this.poll();
    return this.store.between(since, until);
  }

  problem(): LogSourceProblem | undefined {
    if (this.failure) return this.failure;
    // A file the app creates lazily is not a problem at start; one still missing when its lines
    // are wanted is.
    if (this.asked && !this.seen) {
      return new LogSourceProblem(
        `The log file ${this.file} does not exist, so no server log was read from it.`,
        'Check `app.logs.file` in smoke-repair.yaml: it must name the file the app writes its log to (a relative path starts at the workspace).',
        this.describe(),
      );
    }
    return undefined;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.closeWatcher();
    await this.reading;
    await this.closeHandle();
  }

  /** One read at a time; a call during a read makes it go round once more and waits for that. */
  private poll(): Promise<void> {
    if (this.disposed && !this.reading) return Promise.resolve();
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.again = false;
          await this.readNew();
        } while (this.again && !this.disposed);
      } catch (err) {
        this.fail(err);
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  private async readNew(): Promise<void> {
    let st: Stats | undefined;
    try {
      st = await stat(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (st && !st.isFile()) {
      this.failure = new LogSourceProblem(
        `${this.file} is not a file, so no server log can be read from it.`,
        'Point `app.logs.file` in smoke-repair.yaml at the log file itself, not its folder.',
        this.describe(),
      );
      return;
    }
    if (this.handle && this.identity) {
      const same = st !== undefined && st.dev === this.identity.dev && st.ino === this.identity.ino;
      if (!same) {
        // Rotated or removed: what the writer added to the old file before it let go comes first.
        await this.drain();
        if (!st) return; // keep the old file open until a new one appears
        this.endLine();
        await this.closeHandle();
        await this.openFile(false);
      } else if (st!.size < this.position) {
        // Shortened in place: the new content starts at the beginning.
        this.endLine();
        this.position = 0;
      }
    } else if (st) {
      // Appeared after start (or was unreadable until now): everything in it is new.
      await this.openFile(false);
    }
    if (this.handle) await this.drain();
    this.flushStalePartial();
    // Read without trouble: an earlier failure (a permission since granted) no longer holds.
    this.failure = undefined;
  }

  private async openFile(fromEnd: boolean): Promise<void> {
    const handle = await open(this.file, 'r');
    try {
      const st = await handle.stat();
      this.identity = { dev: st.dev, ino: st.ino };
      this.position = fromEnd ? st.size : 0;
      this.decoder = new StringDecoder('utf8');
      this.splitter = new LineSplitter();
      if (fromEnd && st.size > 0) {
        // The history ends inside a line: its tail belongs to the history too.
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, st.size - 1);
        if (last[0] !== 0x0a) this.splitter.skipToNextLine();
      }
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    this.handle = handle;
    this.seen = true;
  }

  /** Read from the position to the current end of the open file. */
  private async drain(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, READ_CHUNK, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      const now = Date.now();
      for (const line of this.splitter.write(this.decoder.write(buf.subarray(0, bytesRead)))) this.store.push('stdout', line, now);
      if (this.splitter.hasPartial) this.partialAt = now;
      if (this.disposed) return;
    }
  }

  /** A line that waited too long for its newline is kept as it is (a writer that never ends it). */
  private flushStalePartial(): void {
    if (this.splitter.hasPartial && Date.now() - this.partialAt >= this.partialLineMs) this.endLine();
  }

  /** The partial line, if any, becomes a line: its file ended or was replaced. */
  private endLine(): void {
    const rest = this.splitter.write(this.decoder.end());
    this.decoder = new StringDecoder('utf8');
    for (const line of rest) this.store.push('stdout', line);
    const partial = this.splitter.flush();
    if (partial !== undefined) this.store.push('stdout', partial, this.partialAt || Date.now());
  }

  private fail(err: unknown): void {
    const e = err as NodeJS.ErrnoException;
    const why = e?.code === 'EACCES' || e?.code === 'EPERM' ? 'permission denied' : (e?.message ?? String(err));
    this.failure = new LogSourceProblem(
      `The log file ${this.file} cannot be read (${why}); the run goes on without its server log.`,
      e?.code === 'EACCES' || e?.code === 'EPERM'
        ? 'Let your user read the file (and its folders), or point `app.logs.file` at a copy you can read.'
        : 'Check `app.logs.file` in smoke-repair.yaml and that the file can be read.',
      this.describe(),
    );
  }

  private closeWatcher(): void {
    try {
      this.watcher?.close();
    } catch {
      /* already closed */
    }
    this.watcher = undefined;
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.identity = undefined;
    await handle?.close().catch(() => undefined);
  }
}
