// Import a flags document (what Export writes: GET /api/flags/export, from this installation or
// another, or kept in git) into this tenant's flags of one environment: the dry run's outcome first,
// then apply, with promotion's conflict policies (POST /api/flags/import).
import { useState } from 'preact/hooks';
import { importFlags } from '../api/flags.ts';
import { describe } from '../api/http.ts';
import type { FlagsImportInput, FlagsImportResult } from '../api/types.ts';
import { DryRunButtons, Group, Outcome, PanelHead, PolicySelect, type ConflictPolicy } from './DryRun.tsx';

type Outcome = FlagsImportResult['flags'];

/** How many items an outcome names (an item both conflicting and updated or skipped counts twice: only zero matters). */
const size = (o: Outcome) => o.created.length + o.updated.length + o.conflicting.length + o.skipped.length + o.unchanged.length;

function Outcomes({ kind, o }: { kind: 'flags' | 'segments'; o: Outcome }) {
  if (size(o) === 0) return null;
  return (
    <div data-kind={kind}>
      <h3>{kind === 'flags' ? 'Flags' : 'Segments'}</h3>
      <Group title="created" items={o.created} />
      <Group title="updated" items={o.updated} />
      <Group title="conflicting" items={o.conflicting} />
      <Group title="skipped" items={o.skipped} />
      <Group title="unchanged" items={o.unchanged} />
    </div>
  );
}

export function ImportPanel({ tenant, env, onClose, onApplied }: { tenant: string; env: string; onClose(): void; onApplied(): void }) {
  const [text, setText] = useState('');
  const [policy, setPolicy] = useState<ConflictPolicy>('skip');
  const [preview, setPreview] = useState<FlagsImportResult | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const edit = (next: string) => { setText(next); setPreview(undefined); setDone(undefined); };
  const run = async (dryRun: boolean) => {
    setError(undefined);
    setDone(undefined);
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (err) {
      setError(`The document is not JSON: ${(err as Error).message}`);
      return;
    }
    try {
      const r = await importFlags({ tenant, env, dryRun, conflictPolicy: policy, document: document as FlagsImportInput['document'] });
      if (dryRun) setPreview(r);
      else {
        setPreview(undefined);
        setDone(`Imported: ${r.flags.created.length} flags created, ${r.flags.updated.length} updated, ${r.flags.skipped.length} skipped; ${r.segments.created.length + r.segments.updated.length} segments written.`);
        onApplied();
      }
    } catch (err) {
      setError(describe(err));
    }
  };
  const nothing = preview && size(preview.flags) + size(preview.segments) === 0;
  return (
    <section class="card" aria-labelledby="import-title">
      <PanelHead id="import-title" title={`Import into ${env}`} onClose={onClose} />
      <p class="muted">A document as Export writes it (format flagmeter.flags/1): flags and the segments they use, checked whole before anything is written.</p>
      <div class="flags__tools">
        <label>File <input type="file" accept="application/json,.json" onChange={(e) => {
          const file = (e.target as HTMLInputElement).files?.[0];
          if (file) file.text().then(edit, (err: Error) => setError(`Could not read ${file.name}: ${err.message}`));
        }} /></label>
        <PolicySelect value={policy} target={env} onChange={(p) => { setPolicy(p); setPreview(undefined); }} />
        <DryRunButtons apply="Import" canApply={!!preview} canPreview={!!text.trim()} onRun={(dryRun) => void run(dryRun)} />
      </div>
      <textarea aria-label="Document (JSON)" class="mono import__text" rows={8} spellcheck={false} value={text} placeholder="or paste the document here" onInput={(e) => edit((e.target as HTMLTextAreaElement).value)} />
      <Outcome error={error} done={done} />
      {preview && (
        <div class="diff" aria-label="Dry run">
          <Outcomes kind="flags" o={preview.flags} />
          <Outcomes kind="segments" o={preview.segments} />
          {nothing && <p class="muted">The document is empty.</p>}
        </div>
      )}
    </section>
  );
}
