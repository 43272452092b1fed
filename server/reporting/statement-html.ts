// A period's statement as a printable, self-contained HTML page (GET /api/tenants/:tenant/periods/:start
// with format=html or Accept: text/html): what an operator attaches to an invoice. It is rendered
// from the JSON statement itself, so its figures are the JSON's; money is printed exactly (Intl
// formats the decimal string, never a float), the total also rounded once to the currency's minor
// unit. No script, no external resource: one inline <style>, which the page's CSP allows by its hash.
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { z } from 'zod';
import { escapeHtml as esc } from '../core/html.ts';
import type { statementAnswer } from './schemas.ts';

export type Statement = z.infer<typeof statementAnswer>;

/** True when the caller asked for the printable page: format=html, or an Accept header that prefers text/html. */
export function wantsHtml(req: Request, format: string | undefined): boolean {
  if (format) return format === 'html';
  return req.accepts(['application/json', 'text/csv', 'text/html']) === 'text/html';
}

const STYLE = `
@page{size:A4;margin:16mm 14mm}
*{box-sizing:border-box}
body{font:10.5pt/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;margin:0 auto;max-width:60rem;padding:1.5rem}
h1{font-size:18pt;margin:0 0 .2rem}h2{font-size:12pt;margin:1.6rem 0 .4rem}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1.2rem;margin:.8rem 0 0}
.meta dt{color:#4b5563}.meta dd{margin:0}
.note{color:#4b5563;font-size:9.5pt;margin:.4rem 0}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:.28rem .5rem;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
thead th{border-bottom:1.5px solid #111827;font-weight:600;font-size:9.5pt}
.num{text-align:right;white-space:nowrap}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
tr.subtotal td{font-weight:600;border-bottom:1.5px solid #9ca3af}
tfoot td{font-weight:700;border-top:2px solid #111827;border-bottom:none}
.total{margin:1.2rem 0 0;display:flex;justify-content:flex-end;gap:2rem;font-size:12pt}
.total strong{font-size:14pt}
tr,.total{break-inside:avoid}thead{display:table-header-group}
@media print{body{padding:0;max-width:none}a{color:inherit;text-decoration:none}}
`;

/**
 * The statement page's Content-Security-Policy: nothing may load or run; only its own <style>
 * element applies (its hash), no style attribute, no script at all.
 */
export const STATEMENT_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const moneyFormats = new Map<string, Intl.NumberFormat>();
/** "$0.0000075", "$412.50": exact (every decimal the sum has), at least the currency's minor digits; `rounded`: to them. */
function money(amount: string, currency: string, rounded = false): string {
  const key = `${currency}|${rounded}`;
  let f = moneyFormats.get(key);
  if (!f) {
    const digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    f = new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: rounded ? digits : 12 });
    moneyFormats.set(key, f);
  }
  return f.format(amount as Intl.StringNumericLiteral);
}

const tokens = (n: number) => n.toLocaleString('en-US');

/** "1 Nov 2026" in the tenant's zone; the period end is exclusive, so its last day is the one before. */
function day(t: string | number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone }).format(new Date(t));
}

const KIND: Record<string, string> = { input: 'Input', output: 'Output', cached: 'Cached input', plain: 'Plain (no parts)' };

/** A row with its figures also as data-* attributes (the exact values), so a program can read the page back. */
const attrs = (data: Record<string, string | number>) => Object.entries(data).map(([k, v]) => ` data-${k}="${esc(String(v))}"`).join('');

function linesTable(s: Statement): string {
  if (!s.lines) {
    return `<p class="note">Per-kind lines are not available: this period's raw events are past retention. The totals and the usage by model below come from the rollups.</p>`;
  }
  if (s.lines.length === 0) return '<p class="note">No usage in this period.</p>';
  const byModel = new Map<string, NonNullable<Statement['lines']>>();
  for (const l of s.lines) byModel.set(l.model, [...(byModel.get(l.model) ?? []), l]);
  const body = [...byModel].map(([model, lines]) => {
    const rows = lines.map((l) => {
      const from = l.priceFrom ? `${esc(day(l.priceFrom, s.timezone))}${l.priceSource === 'tenant' ? ' (negotiated)' : ''}` : '';
      return `<tr class="line"${attrs({ model: l.model, kind: l.kind, tokens: l.tokens, price: l.price ?? '', cost: l.cost })}>`
        + `<td class="mono">${esc(model)}</td><td>${esc(KIND[l.kind] ?? l.kind)}</td><td class="num">${esc(tokens(l.tokens))}</td>`
        + `<td class="num">${l.price === null ? 'no price' : esc(money(l.price, s.currency))}</td><td>${from}</td><td class="num">${esc(money(l.cost, s.currency))}</td></tr>`;
    }).join('');
    if (lines.length < 2) return rows;
    const sumTokens = lines.reduce((a, l) => a + l.tokens, 0);
    const feature = s.features.find((f) => f.feature === model);
    // the model's cost as the rollups have it: the lines of one model add up to it
    const cost = feature?.cost;
    return `${rows}<tr class="subtotal"><td class="mono">${esc(model)}</td><td>Subtotal</td><td class="num">${esc(tokens(sumTokens))}</td><td></td><td></td>`
      + `<td class="num">${cost === undefined ? '' : esc(money(cost, s.currency))}</td></tr>`;
  }).join('');
  return `<table class="lines"><thead><tr><th scope="col">Model</th><th scope="col">Kind</th><th scope="col" class="num">Tokens</th>`
    + `<th scope="col" class="num">Price per 1M tokens</th><th scope="col">Price since</th><th scope="col" class="num">Cost</th></tr></thead>`
    + `<tbody>${body}</tbody><tfoot><tr><td colspan="2">Total</td><td class="num">${esc(tokens(s.totalTokens))}</td><td></td><td></td>`
    + `<td class="num" data-total-cost="${esc(s.totalCost)}">${esc(money(s.totalCost, s.currency))}</td></tr></tfoot></table>`;
}

function featuresTable(s: Statement): string {
  if (s.features.length === 0) return '';
  const rows = s.features.map((f) => {
    const plain = f.tokens - f.inputTokens - f.outputTokens - f.cachedTokens;
    return `<tr class="feature"${attrs({ model: f.feature, tokens: f.tokens, cost: f.cost })}><td class="mono">${esc(f.feature)}</td>`
      + [f.inputTokens, f.outputTokens, f.cachedTokens, plain, f.tokens, f.eventCount].map((n) => `<td class="num">${esc(tokens(n))}</td>`).join('')
      + `<td class="num">${esc(money(f.cost, s.currency))}</td></tr>`;
  }).join('');
  return `<h2>Usage by model</h2><table class="features"><thead><tr><th scope="col">Model</th><th scope="col" class="num">Input</th><th scope="col" class="num">Output</th>`
    + `<th scope="col" class="num">Cached</th><th scope="col" class="num">Plain</th><th scope="col" class="num">Tokens</th><th scope="col" class="num">Events</th><th scope="col" class="num">Cost</th></tr></thead>`
    + `<tbody>${rows}</tbody><tfoot><tr><td>Total</td><td></td><td></td><td></td><td></td><td class="num">${esc(tokens(s.totalTokens))}</td>`
    + `<td class="num">${esc(tokens(s.eventCount))}</td><td class="num">${esc(money(s.totalCost, s.currency))}</td></tr></tfoot></table>`;
}

/** The exact total beside the rounded one, when rounding changed it. */
function exactNote(s: Statement): string {
  const exact = money(s.totalCost, s.currency);
  return exact === money(s.totalCost, s.currency, true) ? '' : ` <span class="note">(exact: ${esc(exact)})</span>`;
}

/** The printable statement of `s`, generated at `generatedAt`. */
export function statementHtml(s: Statement, generatedAt: Date): string {
  const period = `${day(s.periodStart, s.timezone)} – ${day(new Date(s.periodEnd).getTime() - 1, s.timezone)}`;
  const title = `Statement ${s.tenant} ${s.periodStart.slice(0, 10)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><header><h1>Usage statement</h1>
<dl class="meta">
<dt>Tenant</dt><dd><strong data-field="tenantName">${esc(s.tenantName)}</strong> <span class="mono" data-field="tenant">${esc(s.tenant)}</span></dd>
<dt>Period</dt><dd data-field="period">${esc(period)} <span class="note">(${esc(s.timezone)}; ${esc(s.periodStart)} to ${esc(s.periodEnd)}, end exclusive)</span></dd>
<dt>Currency</dt><dd data-field="currency">${esc(s.currency)}</dd>
<dt>Generated</dt><dd data-field="generatedAt">${esc(generatedAt.toISOString())}</dd>
</dl>
${s.current ? '<p class="note"><strong>This period is still running:</strong> its figures grow until it ends.</p>' : ''}
</header>
<main><h2>Charges per model and kind</h2>
<p class="note">Each line: the tokens of one kind at the price in force when they were used (per million tokens). Costs are exact; only the total is rounded, once.</p>
${linesTable(s)}
${featuresTable(s)}
<div class="total"><span>Total tokens <strong>${esc(tokens(s.totalTokens))}</strong></span>
<span>Total cost <strong data-field="totalCost">${esc(money(s.totalCost, s.currency, true))}</strong>${exactNote(s)}</span></div>
</main></body></html>
`;
}
