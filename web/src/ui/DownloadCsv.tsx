// A button that downloads a CSV from the API with the page's key (download in api/http.ts).
import { useState } from 'preact/hooks';
import { download } from '../api/http.ts';

export function DownloadCsv({ path, filename, label = 'Download CSV', title }: { path: string; filename: string; label?: string; title?: string }) {
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  return (
    <span class="download">
      <button type="button" class="btn" disabled={state.busy} title={title} data-download={path}
        onClick={() => {
          setState({ busy: true });
          download(path, filename).then(() => setState({ busy: false }), (err: Error) => setState({ busy: false, error: err.message }));
        }}>
        {state.busy ? 'Preparing…' : label}
      </button>
      {state.error && <span class="download__error" role="alert">{state.error}</span>}
    </span>
  );
}
