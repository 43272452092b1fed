// Text put into HTML the server writes (the /docs page, printable statements): every value that is
// not the page's own markup goes through escapeHtml, in element content and in quoted attributes alike.

/** & < > " ' as character references: safe in element content and in a quoted attribute value. */
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
