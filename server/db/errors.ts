// Telling apart "the database is away" (retry later, or buffer) from "the database refused these
// rows" (retrying the same rows cannot help).

/** Connection-level failures: the server is down, restarting, or unreachable. */
export function isDatabaseUnavailable(err: { code?: unknown; message?: unknown }): boolean {
  const code = typeof err.code === 'string' ? err.code : '';
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03'
    || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)
    || /Connection terminated|timeout exceeded when trying to connect/i.test(String(err.message ?? ''));
}

/** A row names a tenant that no longer exists (deleted while its events were in flight). */
export const isMissingTenant = (err: { code?: unknown }) => err.code === '23503';
