// A tenant's segments and the global ones (#/tenant/<slug>/segments): each with its constraints in
// words and the flags that use it; create, edit (every flag using it changes at once) and delete
// (refused while flags use it, naming them).
import { useEffect, useState } from 'preact/hooks';
import { describe, type ApiError } from '../api/http.ts';
import { deleteSegment, fetchSegments } from '../api/segments.ts';
import type { SegmentItem, SegmentList } from '../api/types.ts';
import { whoWords } from '../flags-words.ts';
import { can, me } from '../me.ts';
import { FlagsHead } from '../ui/flags/FlagsHead.tsx';
import { SegmentForm } from '../ui/flags/SegmentForm.tsx';
import { EmptyState } from '../ui/States.tsx';

type Load = { state: 'loading' } | { state: 'ready'; list: SegmentList } | { state: 'error'; error: ApiError };
type Panel = { segment: SegmentItem | undefined } | undefined;

export function SegmentsPage({ tenant }: { tenant: string }) {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [version, setVersion] = useState(0);
  const [panel, setPanel] = useState<Panel>();
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | undefined>();
  useEffect(() => {
    let live = true;
    fetchSegments(tenant).then((list) => live && setLoad({ state: 'ready', list }), (err: ApiError) => live && setLoad({ state: 'error', error: err }));
    return () => { live = false; };
  }, [tenant, version]);
  const canWrite = load.state === 'ready' && load.list.canWrite;
  const mayGlobal = can('admin') && !me.value?.tenant;
  const remove = async (s: SegmentItem) => {
    if (!confirm(`Delete the segment ${s.name}?`)) return;
    setNotice(undefined);
    try {
      await deleteSegment(s.global ? undefined : tenant, s.name);
      setNotice({ tone: 'ok', text: `Deleted ${s.name}.` });
      setVersion((v) => v + 1);
    } catch (err) {
      setNotice({ tone: 'error', text: describe(err) });
    }
  };
  return (
    <>
      <FlagsHead tenant={tenant} title="Segments" />
      <section class="card" aria-labelledby="segments-title">
        <div class="card__head">
          <h2 id="segments-title">Segments <span class="muted">— reusable sets of constraints; a change reaches every flag that uses one</span></h2>
          {canWrite && <button type="button" class="btn btn--primary" onClick={() => setPanel({ segment: undefined })}>New segment</button>}
        </div>
        {notice && <div class={notice.tone === 'ok' ? 'form__ok' : 'banner banner--error'} role={notice.tone === 'ok' ? 'status' : 'alert'}>{notice.text}</div>}
        {load.state === 'loading' && <EmptyState tone="loading" title="Loading segments…" />}
        {load.state === 'error' && <EmptyState tone="error" title="Could not load the segments">{describe(load.error)}</EmptyState>}
        {load.state === 'ready' && load.list.items.length === 0 && <EmptyState title="No segments yet.">{canWrite ? 'Create one with “New segment”, then pick it in a strategy.' : null}</EmptyState>}
        {load.state === 'ready' && load.list.items.length > 0 && (
          <table class="flags">
            <thead><tr><th>Segment</th><th>Who</th><th>Used by</th><th><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {load.list.items.map((s) => (
                <tr key={`${s.global}/${s.name}`} data-segment={s.name}>
                  <th scope="row">
                    <span class="mono">{s.name}</span>
                    {s.global && <span class="badge badge--skipped" title="Every tenant's flags may use it; a tenant's own segment of this name replaces it">global</span>}
                    {s.description && <div class="muted flags__desc">{s.description}</div>}
                  </th>
                  <td>{whoWords({ constraints: s.constraints })}</td>
                  <td data-used-by>{s.usedBy.length === 0 ? <span class="muted">no flag</span> : s.usedBy.map((u) => <div key={`${u.env}/${u.key}`} class="mono">{u.env}/{u.key}{u.tenant === null ? ' (global)' : ''}</div>)}</td>
                  <td class="num">
                    {canWrite && (!s.global || mayGlobal) && <button type="button" class="btn btn--quiet" onClick={() => setPanel({ segment: s })}>Edit</button>}
                    {canWrite && (!s.global || mayGlobal) && (
                      <button type="button" class="btn btn--quiet" onClick={() => void remove(s)} title={s.usedBy.length > 0 ? 'Flags use it: the API refuses until they no longer do' : undefined}>Delete</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {panel && (
        <SegmentForm key={panel.segment?.name ?? '(new)'} tenant={tenant} segment={panel.segment} mayGlobal={mayGlobal} onClose={() => setPanel(undefined)}
          onSaved={(text) => { setPanel(undefined); setNotice({ tone: 'ok', text }); setVersion((v) => v + 1); }} />
      )}
    </>
  );
}
