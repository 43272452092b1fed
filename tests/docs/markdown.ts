// Reading the project's Markdown the way GitHub renders it: fenced blocks, links and heading anchors.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../server/paths.ts';

/** README.md and every docs/*.md, as paths relative to the project root. */
export const markdownFiles = (): string[] =>
  ['README.md', ...readdirSync(path.join(projectRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

export const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');

export interface Fence { lang: string; body: string; line: number; note: string | undefined }

/** Fenced code blocks, each with the HTML comment on the line before it, if any. */
export function fences(markdown: string): Fence[] {
  const lines = markdown.split('\n');
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const before = lines.slice(0, start).reverse().find((l) => l.trim() !== '');
    const note = before && /^<!--.*-->$/.test(before.trim()) ? before.trim() : undefined;
    out.push({ lang: open[1]!, body: body.join('\n'), line: start + 1, note });
  }
  return out;
}

/** The text outside fenced blocks, inline code and HTML comments: where links and headings are. */
export function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```\s*$/gm, '').replace(/<!--[\s\S]*?-->/g, '').replace(/`[^`\n]*`/g, (m) => m.replace(/[[\]()]/g, ' '));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, -1, -2 … for repeats. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = markdown.replace(/^```[\s\S]*?^```\s*$/gm, '');
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!.replace(/<[^>]+>/g, '').toLowerCase().replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Every [text](target) and ![alt](target) in the prose. */
export const links = (markdown: string): string[] =>
  [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
