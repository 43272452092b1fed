// The spill journal: every event track() accepts is appended (JSON lines) to a segment file in a
// folder before track()'s promise resolves, and a segment is deleted once each of its events is
// delivered, refused for good or dropped. On start the folder's segments are read back and their
// events queued again. An event delivered just before a crash is sent again on the next start and
// the server counts it once: its idempotency id was written with it.
import fs from 'node:fs';
import path from 'node:path';

export interface JournalOptions {
  /** the folder (created if missing); one process per folder */
  dir: string;
  /** fsync after each write: survives an OS crash or power loss too, at a disk flush per write (default false) */
  fsync?: boolean;
  /** events per segment file before a new one is started (default 10,000) */
  segmentEvents?: number;
}

class Segment {
  pending = 0;
  written = 0;
  sealed = false;
  readonly file: string;
  readonly fd: number;
  private journal: Journal;
  constructor(file: string, fd: number, journal: Journal) {
    this.file = file;
    this.fd = fd;
    this.journal = journal;
  }
  done(): void {
    this.pending--;
    this.journal.settled(this);
  }
}

export class Journal {
  private current: Segment | null = null;
  private buffer: string[] = [];
  private waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private seq = 0;
  private readonly segmentEvents: number;

  private opts: JournalOptions;
  get dir(): string {
    return this.opts.dir;
  }

  constructor(opts: JournalOptions) {
    this.opts = opts;
    fs.mkdirSync(opts.dir, { recursive: true });
    this.segmentEvents = opts.segmentEvents ?? 10_000;
  }

  /** Events left by an earlier process (deduplicated by id), and the files they came from. */
  recover(): { events: Record<string, unknown>[]; files: string[] } {
    const files = fs.readdirSync(this.opts.dir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => path.join(this.opts.dir, f));
    const seen = new Set<string>();
    const events: Record<string, unknown>[] = [];
    for (const file of files) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        let e: Record<string, unknown>;
        try {
          e = JSON.parse(line);
        } catch {
          continue; // a line cut short by the crash: its track() had not resolved
        }
        const id = String(e.id);
        if (seen.has(id)) continue;
        seen.add(id);
        events.push(e);
      }
    }
    return { events, files };
  }

  /** Deletes files whose events have been re-journaled into the current segment. */
  forget(files: string[]): void {
    for (const f of files) fs.rmSync(f, { force: true });
  }

  /** Appends the event; the promise resolves once it is written (one write per tick for all events of that tick). */
  append(event: object): { segment: Segment; written: Promise<void> } {
    const segment = this.segment();
    segment.pending++;
    segment.written++;
    this.buffer.push(JSON.stringify(event) + '\n');
    if (segment.written >= this.segmentEvents) segment.sealed = true;
    const written = new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.write());
    }
    return { segment, written };
  }

  /** Writes what is buffered now; false when the write failed (those events' track() rejects). */
  write(): boolean {
    this.scheduled = false;
    if (this.buffer.length === 0) return true;
    const text = this.buffer.join('');
    const waiting = this.waiting;
    const fd = this.current!.fd;
    this.buffer = [];
    this.waiting = [];
    try {
      fs.writeSync(fd, text);
      if (this.opts.fsync) fs.fsyncSync(fd);
    } catch (err) {
      // track() rejects for these events: they are still queued in memory, just not on disk
      for (const w of waiting) w.reject(err);
      return false;
    }
    for (const w of waiting) w.resolve();
    this.sweep();
    return true;
  }

  private retired: Segment[] = [];

  private segment(): Segment {
    if (this.current && !this.current.sealed) return this.current;
    if (this.current) {
      void this.write(); // the buffer holds only the current segment's lines
      if (this.current) this.retired.push(this.current);
    }
    const file = path.join(this.opts.dir, `${Date.now().toString().padStart(15, '0')}-${process.pid}-${String(this.seq++).padStart(6, '0')}.jsonl`);
    const fd = fs.openSync(file, 'a');
    this.current = new Segment(file, fd, this);
    return this.current;
  }

  /** A segment's event is finished: delete the segment when nothing in it is pending and nothing is left to write. */
  settled(segment: Segment): void {
    if (segment.pending === 0 && !this.scheduled) this.remove(segment);
  }

  private sweep(): void {
    for (const s of [...this.retired, ...(this.current ? [this.current] : [])]) if (s.pending === 0) this.remove(s);
  }

  private remove(segment: Segment): void {
    if (segment === this.current) {
      this.current = null;
    } else {
      const i = this.retired.indexOf(segment);
      if (i < 0) return;
      this.retired.splice(i, 1);
    }
    fs.closeSync(segment.fd);
    fs.rmSync(segment.file, { force: true });
  }

  /** Events still pending in the journal's segments. */
  get pending(): number {
    return [...this.retired, ...(this.current ? [this.current] : [])].reduce((n, s) => n + s.pending, 0);
  }

  close(): void {
    void this.write();
    for (const s of [...this.retired, ...(this.current ? [this.current] : [])]) {
      try { fs.closeSync(s.fd); } catch { /* already closed */ }
    }
    this.retired = [];
    this.current = null;
  }
}
