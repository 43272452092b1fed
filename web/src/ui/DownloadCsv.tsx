// Buttons that fetch a file from the API with the page's key (api/http.ts): a CSV (or another file) to download, or
// a page (the printable statement) to open in a new tab. Busy while it runs; a refusal is shown beside.
import { useState } from 'preact/hooks';
import { download, openPage } from '../api/http.ts';

function FetchButton({ path, label, busyLabel, title, run }: { path: string; label: string; busyLabel: string; title?: string | undefined; run: () => Promise<void> }) {
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  return (
    <span class="download">
      <button type="button" class="btn" disabled={state.busy} title={title} data-download={path}
        onClick={() => {
          setState({ busy: true });
          run().then(() => setState({ busy: false }), (err: Error) => setState({ busy: false, error: err.message }));
        }}>
        {state.busy ? busyLabel : label}
      </button>
      {state.error && <span class="download__error" role="alert">{state.error}</span>}
    </span>
  );
}

/** Downloads a file of the API (asking for `accept`), named as its Content-Disposition says, else `filename`. */
export function DownloadFile({ path, filename, label, title, accept }: { path: string; filename: string; label: string; title?: string | undefined; accept: string }) {
  return <FetchButton path={path} label={label} busyLabel="Preparing…" title={title} run={() => download(path, filename, accept)} />;
}

export function DownloadCsv({ path, filename, label = 'Download CSV', title }: { path: string; filename: string; label?: string; title?: string }) {
  return <DownloadFile path={path} filename={filename} label={label} title={title} accept="text/csv" />;
}

/** Opens an HTML page of the API (format=html) in a new tab. */
export function OpenPage({ path, label, title }: { path: string; label: string; title?: string }) {
  return <FetchButton path={path} label={label} busyLabel="Opening…" title={title} run={() => openPage(path)} />;
}
