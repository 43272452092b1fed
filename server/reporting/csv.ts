// RFC 4180 CSV straight from a cursor: a batch of rows at a time, written only as fast as the client
// reads, so memory stays flat however many rows there are; a client that goes away aborts the read,
// and one that stops reading is cut after an idle timeout, so it cannot hold its connection.
import type { Request, Response } from 'express';
import { stringify } from 'csv-stringify/sync';

/** True when the caller asked for CSV: format=csv, or an Accept header that prefers text/csv. */
export function wantsCsv(req: Request, format: string | undefined): boolean {
  if (format) return format === 'csv';
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

/** Aborted when the response closes before it finished: the client disconnected. */
export function clientGone(res: Response): AbortSignal {
  const ac = new AbortController();
  // it may have left already, while the query was being planned
  if (res.destroyed || res.socket?.destroyed !== false) ac.abort();
  else res.once('close', () => { if (!res.writableFinished) ac.abort(); });
  return ac.signal;
}

/** A file name without characters that would need quoting in Content-Disposition. */
export const safeName = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '_');

// CRLF between records (RFC 4180); a field holding a lone CR or LF is quoted too, so a name with a
// newline stays one field for every reader.
const csvOptions = { record_delimiter: '\r\n', quoted_match: /[\r\n]/, cast: { boolean: (b: boolean) => String(b) } } as const;

/** Cells a spreadsheet would run as a formula (OWASP's CSV injection list); the SQL twin is in db/reporting.ts. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell a spreadsheet would take for a formula gets a leading ' (numbers are left as they are). */
export const formulaSafe = (cell: unknown) => (typeof cell === 'string' && FORMULA_START.test(cell) ? `'${cell}` : cell);

/** Rows as CSV records (csv-stringify), for lists small enough to hold; `escapeFormulas` guards their text cells. */
export const csvRecords = (rows: unknown[][], escapeFormulas = false) =>
  stringify(escapeFormulas ? rows.map((r) => r.map(formulaSafe)) : rows, csvOptions);

/** How long a write may wait for the client to take data, and what to do when it waited that long. */
export interface CsvIdle { ms: number; onStall(): void }

/**
 * Streams a header row and then `batches` of chunks of records that PostgreSQL has already
 * formatted (see queryCsvStatement), each chunk as one write; the next batch is fetched only once
 * the socket has taken the last, so one batch is in memory however long the export. Returns the
 * number of chunks sent. The first batch is read before anything is sent, so a query that fails at once still gets
 * a proper error answer; a failure later can only cut the transfer short (the response is destroyed,
 * so the client sees an incomplete body, not a short file). A client that takes nothing for
 * `idle.ms` while a write waits (a stalled or very slow reader) is cut the same way, and
 * `idle.onStall` told: the caller then closes the cursor and releases the connection.
 */
export async function sendCsv(
  res: Response, filename: string, header: string[],
  batches: AsyncGenerator<string[][]>, signal: AbortSignal, idle: CsvIdle,
): Promise<number> {
  let first: IteratorResult<string[][]>;
  try {
    first = await batches.next();
  } catch (err) {
    // the client left while the query ran: its fetch was cancelled, nobody is there to answer
    if (signal.aborted) return 0;
    throw err;
  }
  if (signal.aborted) return 0;
  res.status(200);
  res.set({
    'Content-Type': 'text/csv; charset=utf-8; header=present',
    'Content-Disposition': `attachment; filename="${safeName(filename)}"`,
    'Cache-Control': 'no-store',
  });
  // a response that has closed fires neither 'drain' nor 'close' again: never wait on it
  const gone = () => signal.aborted || res.destroyed;
  const drained = () => new Promise<void>((resolve) => {
    const done = () => { clearTimeout(timer); res.off('drain', done); signal.removeEventListener('abort', done); resolve(); };
    // no 'drain' for idle.ms: the client has stopped taking data, and a connection waits with it
    const timer = setTimeout(() => { done(); if (!gone()) { idle.onStall(); res.destroy(); } }, idle.ms);
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
    if (gone()) done();
  });
  const send = async (chunk: string) => {
    if (gone()) return;
    if (!res.write(chunk)) await drained();
  };
  let chunks = 0;
  try {
    await send(csvRecords([header]));
    if (!first.done) {
      for (const [chunk] of first.value) await send(chunk!);
      chunks += first.value.length;
      for await (const batch of batches) {
        if (gone()) break;
        for (const [chunk] of batch) await send(chunk!);
        chunks += batch.length;
      }
    }
  } catch (err) {
    res.destroy();
    // a fetch cancelled because the client left is how an export is meant to stop
    if (signal.aborted) return chunks;
    throw err;
  } finally {
    await batches.return(undefined);
  }
  // left, or cut for stalling: there is nobody to end the file for
  if (gone()) return chunks;
  await ended(res, idle);
  return chunks;
}

/**
 * Ends the response and waits until it is flushed or closed. The last records may still wait in
 * Node's buffer (a write below the high-water mark does not ask to wait): a client that never takes
 * them is cut after `idle.ms` like one that stalls mid-file, or the caller would hold its
 * connection for as long as the socket stays open ('finish' never comes, nor end's callback).
 */
function ended(res: Response, idle: CsvIdle): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => { clearTimeout(timer); res.off('close', done); res.off('finish', done); resolve(); };
    const timer = setTimeout(() => { if (!res.writableFinished) { idle.onStall(); res.destroy(); } done(); }, idle.ms);
    res.once('finish', done);
    res.once('close', done);
    res.end();
  });
}
