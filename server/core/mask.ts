// What people other than admins see of a secret, and what logs and the audit log keep of one.
// The one place that masks: every secret URL answered to a non-admin, logged or audited goes
// through maskUrl (the URL alone) or maskUrlIn (a text that may quote it: an HTTP client's error,
// a remote body, an audit entry).

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

/** Shorter forms are too common to be the secret part (`/`, `/hook`), and masking them would garble the text. */
const MIN_FORM = 8;

/**
 * Every form in which a text may quote the URL, longest first: as stored and as parsed (the
 * client normalises: lower-case host, default port dropped, percent-encoding), without its
 * credentials or its query, host and path alone, the path alone (`POST /services/T0/B0/xyz`), the
 * password and the query alone, and each of them percent-decoded.
 */
function urlForms(url: string): string[] {
  const forms = new Set<string>([url]);
  try {
    const u = new URL(url);
    const bare = new URL(u.href);
    bare.username = '';
    bare.password = '';
    const path = `${u.pathname}${u.search}`;
    for (const f of [u.href, bare.href, `${bare.origin}${u.pathname}`, `${u.host}${path}`, `${u.host}${u.pathname}`, path, u.pathname,
      decodeURIComponent(u.password), u.search.slice(1)]) forms.add(f);
  } catch { /* not a URL: the text is masked where it quotes it as given */ }
  for (const f of [...forms]) {
    try { forms.add(decodeURIComponent(f)); } catch { /* a malformed escape: the form as it is */ }
  }
  return [...forms].filter((f) => f.length >= MIN_FORM).sort((a, b) => b.length - a.length);
}

/** A text with every quotation of the secret URL (in any of its forms) replaced by maskUrl(url). */
export function maskUrlIn(text: string, url: string): string {
  if (!url) return text;
  const masked = maskUrl(url);
  let out = text;
  for (const form of urlForms(url)) out = out.replaceAll(form, masked);
  return out;
}
