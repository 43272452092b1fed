// The flat strategies' own fields (the toggle service's shape): a percentage with its bucket
// group, or allow and deny lists of user ids.
import type { FlagInput } from '../../api/types.ts';
import { Field, num } from '../Form.tsx';

export function FlatRule({ f, set, allow, setAllow, deny, setDeny, errors: e }: {
  f: FlagInput; set(patch: Partial<FlagInput>): void;
  allow: string; setAllow(s: string): void; deny: string; setDeny(s: string): void;
  errors: Record<string, string>;
}) {
  if (f.strategy === 'percentage') {
    return (
      <>
        <Field id="fe-percentage" name="percentage" label="Percentage" hint="0 to 100" error={e.percentage}>{(p) => (
          <input {...p} type="number" value={f.percentage ?? ''} onInput={(ev) => set({ percentage: num((ev.target as HTMLInputElement).value) })} />
        )}</Field>
        <Field id="fe-group" name="group" label="Bucket group" error={e.group}>{(p) => (
          <input {...p} value={f.group ?? ''} placeholder={f.key || 'the flag key'} onInput={(ev) => set({ group: (ev.target as HTMLInputElement).value || undefined })} />
        )}</Field>
      </>
    );
  }
  if (f.strategy === 'targeting') {
    return (
      <>
        <Field id="fe-allow" name="allow" label="Allowed users (one a line)" error={e.allow}>{(p) => <textarea {...p} rows={4} value={allow} onInput={(ev) => setAllow((ev.target as HTMLTextAreaElement).value)} />}</Field>
        <Field id="fe-deny" name="deny" label="Denied users (one a line)" error={e.deny}>{(p) => <textarea {...p} rows={3} value={deny} onInput={(ev) => setDeny((ev.target as HTMLTextAreaElement).value)} />}</Field>
      </>
    );
  }
  return null;
}
