// RFC 4180 CSV straight from a cursor: a batch of rows at a time, written only as fast as the client
// reads, so memory stays flat however many rows there are; a client that goes away aborts the read.
import type { Request, Response } from 'express';
import { stringify } from 'csv-stringify';

/** True when the caller asked for CSV: format=csv, or an Accept header that prefers text/csv. */
export function wantsCsv(req: Request, format: 'json' | 'csv' | undefined): boolean {
  if (format) return format === 'csv';
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

/** Aborted when the response closes before it finished: the client disconnected. */
export function clientGone(res: Response): AbortSignal {
  const ac = new AbortController();
  res.once('close', () => { if (!res.writableFinished) ac.abort(); });
  return ac.signal;
}

/** A file name without characters that would need quoting in Content-Disposition. */
const safeName = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '_');

/**
 * Streams `batches` as CSV with a header row. The first batch is read before anything is sent, so a
 * query that fails at once still gets a proper error answer; a failure later can only cut the
 * transfer short (the response is destroyed, so the client sees an incomplete body, not a short file).
 */
export async function sendCsv<T extends object>(
  res: Response, filename: string, columns: (keyof T & string)[],
  batches: AsyncGenerator<T[]>, signal: AbortSignal,
): Promise<number> {
  const first = await batches.next();
  res.status(200);
  res.set({
    'Content-Type': 'text/csv; charset=utf-8; header=present',
    'Content-Disposition': `attachment; filename="${safeName(filename)}"`,
    'Cache-Control': 'no-store',
  });
  // CRLF between records (RFC 4180); a field holding a lone CR or LF is quoted too, so a name with
  // a newline stays one field for every reader.
  const csv = stringify({ header: true, columns, record_delimiter: '\r\n', quoted_match: /[\r\n]/, cast: { boolean: (b) => String(b) } });
  csv.pipe(res);
  const writable = () => new Promise<void>((resolve) => {
    const done = () => { csv.off('drain', done); signal.removeEventListener('abort', done); resolve(); };
    csv.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
  let rows = 0;
  try {
    if (!first.done) {
      for (const row of first.value) if (!csv.write(row)) await writable();
      rows += first.value.length;
      for await (const batch of batches) {
        if (signal.aborted) break;
        for (const row of batch) {
          if (!csv.write(row)) await writable();
          if (signal.aborted) break;
        }
        rows += batch.length;
      }
    }
  } catch (err) {
    csv.unpipe(res);
    res.destroy();
    // a fetch cancelled because the client left is how an export is meant to stop
    if (signal.aborted) return rows;
    throw err;
  } finally {
    await batches.return(undefined);
  }
  if (signal.aborted) {
    csv.unpipe(res);
    csv.destroy();
    return rows;
  }
  await new Promise<void>((resolve) => {
    res.once('finish', resolve);
    res.once('close', resolve);
    csv.end();
  });
  return rows;
}
