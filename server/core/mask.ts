// What people other than admins see of a secret.

/**
 * A secret URL as people other than admins may see it: scheme, host and the last four characters
 * (`https://hooks.slack.com/…wxyz`), enough to tell two webhooks apart, too little to post to one.
 */
export function maskUrl(url: string): string {
  const tail = url.length > 8 ? url.slice(-4) : '';
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…${tail}`;
  } catch {
    return `…${tail}`;
  }
}
