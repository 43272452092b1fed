// What an audit entry changed, as rows a person reads: one per field that moved, before → after.

/** The fields that differ between two objects (one level deep), or the whole value when either is not an object. */
export function diff(before: unknown, after: unknown): { field: string; before: unknown; after: unknown }[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(before) || !isObj(after)) {
    if (isObj(after)) return Object.entries(after).map(([field, v]) => ({ field, before: undefined, after: v }));
    if (isObj(before)) return Object.entries(before).map(([field, v]) => ({ field, before: v, after: undefined }));
    return before === null && after === null ? [] : [{ field: '', before: before ?? undefined, after: after ?? undefined }];
  }
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return fields.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).map((field) => ({ field, before: before[field], after: after[field] }));
}
