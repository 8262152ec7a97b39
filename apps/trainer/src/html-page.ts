/**
 * The pieces of a self-contained HTML report: one page with its CSS inline, plots as inline SVG, no
 * script and nothing fetched (it opens from disk, offline, and on a phone).
 */

/** `s` with `& < > " '` escaped, for text and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escapes `s` and turns Markdown code spans (`` `x` ``) into `<code>` elements. */
export function inlineHtml(s: string): string {
  return escapeHtml(s).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** One argument as a POSIX shell word: as is when it has only safe characters, else single-quoted. */
export function shellWord(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command line `tnzip <argv…>` as it can be pasted into a shell. */
export function commandLine(argv: readonly string[]): string {
  return ['tnzip', ...argv.map(shellWord)].join(' ');
}

/** A table cell: text (escaped, code spans kept), whether it is a number (right-aligned) or wraps. */
export interface Cell {
  readonly text: string;
  readonly num?: boolean;
  /** Long text (an error message) that wraps instead of widening the table. */
  readonly wrap?: boolean;
}

/** A table in a horizontally scrolling box (wide tables stay readable on a phone). */
export function htmlTable(head: readonly Cell[], rows: readonly (readonly Cell[])[], caption?: string): string {
  const cell = (tag: 'th' | 'td', c: Cell): string =>
    `<${tag}${c.num === true ? ' class="num"' : c.wrap === true ? ' class="wrap"' : ''}>${inlineHtml(c.text)}</${tag}>`;
  return [
    '<div class="scroll"><table>',
    caption === undefined ? '' : `<caption>${inlineHtml(caption)}</caption>`,
    `<thead><tr>${head.map((c) => cell('th', c)).join('')}</tr></thead>`,
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => cell('td', c)).join('')}</tr>`).join('\n')}</tbody>`,
    '</table></div>',
  ].join('\n');
}

/**
 * An SVG document as a figure of the page: the XML prolog dropped, the root's fixed size replaced by
 * CSS (it scales to the page's width), a link to the file it came from.
 */
export function svgFigure(file: string, svg: string): string {
  const body = svg
    .replace(/^<\?xml[^>]*>\s*/, '')
    .replace(/<svg\b([^>]*)>/, (_, attrs: string) => `<svg${attrs.replace(/\s(width|height)="[^"]*"/g, '')}>`);
  return `<figure class="plot">${body}<figcaption><a href="${escapeHtml(file)}">${escapeHtml(file)}</a></figcaption></figure>`;
}

const CSS = `
:root { color-scheme: light; --fg: #1d2329; --muted: #5b6570; --line: #d8dde3; --bg-alt: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 75rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; line-height: 1.25; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid var(--line); padding-bottom: 0.25rem; }
p { margin: 0.5rem 0; }
.meta { color: var(--muted); font-size: 0.9rem; }
code, pre { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 0.85em; }
p code, td code, li code { background: var(--bg-alt); padding: 0 0.2em; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: var(--bg-alt); border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem; overflow-x: auto; margin: 0.5rem 0; }
pre.command { white-space: pre-wrap; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9.5rem, 1fr)); gap: 0.5rem; margin: 1rem 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 0.75rem; }
.card .label { color: var(--muted); font-size: 0.8rem; }
.card .value { font-size: 1.3rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .sub { color: var(--muted); font-size: 0.8rem; }
.scroll { overflow-x: auto; margin: 0.5rem 0; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); font-size: 0.85rem; padding-bottom: 0.25rem; }
th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; }
.num { text-align: right; }
td.wrap { white-space: normal; min-width: 16rem; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 26rem), 1fr)); gap: 1rem; }
figure.plot { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem; min-width: 0; }
figure.plot svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 0.8rem; color: var(--muted); text-align: right; }
details { margin: 0.5rem 0; }
summary { cursor: pointer; color: var(--muted); }
@media (max-width: 40rem) { main { padding: 0.5rem; } body { font-size: 15px; } h1 { font-size: 1.25rem; } }
`;

/** A whole page: `<title>`, the CSS and `body` (HTML) inside `<main>`. */
export function htmlPage(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body><main>',
    body,
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}
