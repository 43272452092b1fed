// The API's field errors by their full path ("strategies.0.constraints.1.value"), so each nested
// part of the flag editor shows the messages about itself, next to itself.
export type Errors = Readonly<Record<string, string>>;

/** Messages at `path` exactly (exact) or at it and anything inside it. */
export function messagesAt(errors: Errors, path: string, exact = true, skip: readonly string[] = []): string[] {
  return Object.entries(errors).filter(([k]) => !skip.includes(k) && (k === path || (!exact && k.startsWith(`${path}.`)))).map(([k, m]) => (k === path ? m : `${k.slice(path.length + 1)}: ${m}`));
}

/** The messages about `path` (and, not exact, about what is inside it but shown nowhere else: `skip`). */
export function FieldErrors({ errors, path, exact = true, skip }: { errors: Errors; path: string; exact?: boolean; skip?: readonly string[] }) {
  const list = messagesAt(errors, path, exact, skip);
  return list.length === 0 ? null : <div class="field__error" data-error-for={path}>{list.join('; ')}</div>;
}
