// Create or edit a segment: a name strategies refer to, a description, constraints that must all
// hold; a new one may be global (every tenant's flags may use it: admin only). The API's field
// errors show next to their fields, a constraint's next to its row.
import { useState } from 'preact/hooks';
import { ApiError } from '../../api/http.ts';
import { saveSegment } from '../../api/segments.ts';
import type { SegmentItem } from '../../api/types.ts';
import { constraintDraft, constraintOf, newConstraint, type ConstraintDraft } from '../../flags-draft.ts';
import { whoWords } from '../../flags-words.ts';
import { Field, FormActions, useForm } from '../Form.tsx';
import { ConstraintList, ContextFields } from './ConstraintRow.tsx';
import { type Errors } from './errors.tsx';

const FIELDS = ['tenant', 'name', 'description', 'constraints'] as const;

export function SegmentForm({ tenant, segment, mayGlobal, onSaved, onClose }: {
  tenant: string; segment: SegmentItem | undefined;
  /** whether the caller may write global segments (an admin not bound to a tenant) */
  mayGlobal: boolean; onSaved(message: string): void; onClose(): void;
}) {
  const [name, setName] = useState(segment?.name ?? '');
  const [description, setDescription] = useState(segment?.description ?? '');
  const [constraints, setConstraints] = useState<ConstraintDraft[]>(segment ? segment.constraints.map(constraintDraft) : [newConstraint()]);
  const [global, setGlobal] = useState(segment?.global ?? false);
  const [paths, setPaths] = useState<Errors>({});
  const form = useForm(FIELDS);
  const e = form.state.errors;
  const submit = (ev: Event) => {
    ev.preventDefault();
    setPaths({});
    void form.run(async () => {
      try {
        const written = await saveSegment({ ...(global ? {} : { tenant }), name: name.trim(), description, constraints: constraints.map(constraintOf) });
        onSaved(`Saved ${written.name}${written.usedBy.length > 0 ? `: it changed ${written.usedBy.map((u) => `${u.env}/${u.key}`).join(', ')}` : ''}.`);
      } catch (err) {
        if (err instanceof ApiError) setPaths(Object.fromEntries(err.details.map((d) => [d.field, d.message])));
        throw err;
      }
    });
  };
  return (
    <section class="card" aria-labelledby="segment-title">
      <div class="card__head">
        <h2 id="segment-title">{segment ? `Edit segment ${segment.name}` : 'New segment'}</h2>
        <button type="button" class="btn btn--quiet" onClick={onClose}>Close</button>
      </div>
      <form ref={form.form} noValidate onSubmit={submit} class="flag-form segment-form">
        <ContextFields />
        <div class="flag-form__row">
          <Field id="sg-name" name="name" label="Name" hint={segment ? undefined : 'lowercase letters, digits, . _ - (strategies refer to it by name)'} error={e.name}>{(p) => (
            <input {...p} value={name} disabled={!!segment} spellcheck={false} autocapitalize="none" onInput={(ev) => setName((ev.target as HTMLInputElement).value)} />
          )}</Field>
          <Field id="sg-description" name="description" label="Description" error={e.description}>{(p) => (
            <input {...p} value={description} onInput={(ev) => setDescription((ev.target as HTMLInputElement).value)} />
          )}</Field>
        </div>
        {mayGlobal && !segment && (
          <label class="flag-form__inline"><input type="checkbox" name="tenant" checked={global} onChange={(ev) => setGlobal((ev.target as HTMLInputElement).checked)} /> Global: every tenant's flags may use it</label>
        )}
        <fieldset>
          <legend>Constraints <span class="muted">— all must hold</span></legend>
          <ConstraintList list={constraints} onChange={setConstraints} path="constraints" errors={paths} label="Segment" />
        </fieldset>
        <p class="flag-form__words" data-segment-words><span class="muted">In words:</span> {whoWords({ constraints: constraints.map(constraintOf) })}</p>
        <FormActions state={form.state} label={form.state.busy ? 'Saving…' : 'Save segment'} />
      </form>
    </section>
  );
}
