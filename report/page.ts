// What report.html and compare.html share: escaping, the page style (light and dark, following
// the reader's prefers-color-scheme), and the script that draws the compiled Vega specs with the
// inlined Vega runtime, so each page is one self-contained file that works offline.
import type { Spec } from 'vega';

export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON safe inside a <script> element: no "</script>" or "<!--" can end it early. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

// Charts keep their light "paper" in the dark theme: they are the figures people copy into
// slides and papers, identical to the SVG/PNG/PDF files, so they sit on a light card there.
export const STYLE = `
:root { color-scheme: light dark; --fg:#1d1d1f; --muted:#5f6368; --line:#e0e0e0; --bg:#fff; --accent:#1f5fa8; --th:#f6f7f9; --bad:#b3261e; --emu:#9a5b00;
  --banner-bg:#fff4e5; --banner-line:#f0b35b; --card-line:transparent; }
@media (prefers-color-scheme: dark) {
  :root { --fg:#e8eaed; --muted:#a8adb4; --line:#3c4043; --bg:#17181a; --accent:#8ab4f8; --th:#23252a; --bad:#f28b82; --emu:#fdd663;
    --banner-bg:#3a2e12; --banner-line:#8a6d1f; --card-line:#3c4043; }
}
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1280px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: var(--muted); margin: 0 0 12px; }
nav a { margin-right: 14px; color: var(--accent); }
.banner { background: var(--banner-bg); border: 1px solid var(--banner-line); padding: 8px 12px; border-radius: 4px; margin: 12px 0; }
figure { margin: 16px 0 28px; } figcaption { color: var(--muted); max-width: 980px; margin-top: 6px; } .links { white-space: nowrap; }
.chart { overflow-x: auto; min-height: 40px; background: #fff; color: #1d1d1f; border: 1px solid var(--card-line); border-radius: 6px; padding: 6px; width: fit-content; max-width: 100%; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--th); position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.emulated { font-style: italic; color: var(--emu); }
tr.differs td { font-weight: 600; } tr.blocking td:first-child::after { content: " (blocking)"; color: var(--bad); font-weight: 400; }
.bad { color: var(--bad); } .empty, .note { color: var(--muted); font-style: italic; } .error { color: var(--bad); }
.badge { color: #fff; border-radius: 3px; padding: 1px 6px; font-size: 12px; white-space: nowrap; }
.badge.light { color: #1d1d1f; }
.also { color: var(--muted); font-size: 12px; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0; }
dl.kv dt { color: var(--muted); } dl.kv dd { margin: 0; word-break: break-word; }
a { color: var(--accent); }
@media print { nav, .links { display: none; } details { display: block; } }
`;

const RENDER_SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById('bb-chart-specs').textContent);
  var jobs = Object.keys(specs).map(function (name) {
    var el = document.getElementById('chart-' + name);
    try {
      var view = new vega.View(vega.parse(specs[name]), { renderer: 'svg', container: el, hover: true });
      return view.runAsync().then(function () { el.setAttribute('data-rendered', 'true'); }, function (err) {
        el.textContent = 'chart failed: ' + err.message; console.error(err);
      });
    } catch (err) {
      el.textContent = 'chart failed: ' + err.message; console.error(err);
      return Promise.resolve();
    }
  });
  Promise.all(jobs).then(function () { document.body.setAttribute('data-charts-ready', 'true'); });
})();
`;

/** The page's opening, up to and including <body>. */
export function pageHead(title: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark">',
    `<title>${esc(title)}</title><style>${STYLE}</style></head>`,
    '<body>',
  ].join('\n');
}

/** The compiled specs, the inlined Vega runtime with its licence, and the script that draws each spec into #chart-<name>. */
export function chartScripts(specs: Record<string, Spec>, runtime: { source: string; license: string }): string {
  return [
    `<script type="application/json" id="bb-chart-specs">${scriptJson(specs)}</script>`,
    `<script>/*!\n${runtime.license.replace(/\*\//g, '* /')}\n*/\n${runtime.source.replace(/<\/script/gi, '<\\/script')}</script>`,
    `<script>${RENDER_SCRIPT}</script>`,
  ].join('\n');
}
