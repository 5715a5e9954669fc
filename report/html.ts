// report.html: one self-contained file that works offline. The charts are the compiled Vega specs
// with their data, drawn by the Vega runtime inlined in the page (no CDN, no fetch), so tooltips
// work (the verdict reasons live there). Tables, run metadata and links to the raw outputs
// (relative paths inside the run folder) are plain HTML.
import { tailText } from '../core/tail.js';
import { basename } from 'node:path';
import type { Spec } from 'vega';
import type { Verdict } from '../analysis/selective-win.js';
import type { TrialRecord } from '../core/trial.js';
import { fmtNum, fmtPct, fmtPps, fmtUs, MISSING, pathDisplay, rateLabel, sizeLabel, sortVerdicts, verdictKernelCells, verdictRowLabel } from './format.js';
import { KERNEL_SIDE_BY_SIDE_HEADER, kernelSideBySide, kernelSideBySideCells } from './kernel-compare.js';
import { haltpollText } from './metadata.js';
import type { ReportModel } from './model.js';
import { VERDICT_COLORS, type ChartSpec } from './charts/index.js';
import { chartScripts, esc, pageHead } from './page.js';
import {
  SERVICE_VERDICT_HEADER,
  SERVICE_VERDICT_NOTE,
  SERVICE_VERDICT_NUMERIC,
  serviceVerdictCells,
  serviceVerdicts,
  TRACE_OVERHEAD_NOTE,
  traceOverheadLines,
} from './service-verdicts.js';
import { achievedText } from './table.js';

export { esc } from './page.js';

export interface HtmlChart {
  chart: ChartSpec;
  /** null when compiling failed (error says why). */
  vega: Spec | null;
  /** Relative paths of the files written for this chart. */
  files: { svg: string | null; png: string | null; pdf?: string | null; vl: string };
  error: string | null;
}

export interface HtmlOptions {
  charts: HtmlChart[];
  /** The Vega runtime source (vega.min.js) and its licence, inlined. */
  vegaRuntime: string;
  vegaLicense: string;
  vegaVersion: string;
  /** Other documents of the run folder to link, relative paths. */
  documents: string[];
}

function table(header: string[], rows: string[][], className = ''): string {
  const head = `<tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.join('')}</tr>`).join('\n');
  return `<div class="scroll"><table${className ? ` class="${className}"` : ''}><thead>${head}</thead><tbody>\n${body}\n</tbody></table></div>`;
}

const td = (text: string, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${text}</td>`;
const num = (text: string) => td(esc(text), 'num');

function kv(pairs: [string, string | null | undefined][]): string {
  return `<dl class="kv">${pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v === null || v === undefined || v === '' ? MISSING : esc(v)}</dd>`).join('')}</dl>`;
}

function verdictBadge(kind: Verdict['verdict']): string {
  return `<span class="badge${kind === 'insufficient-data' ? ' light' : ''}" style="background:${VERDICT_COLORS[kind]}">${esc(kind)}</span>`;
}

function verdictSection(model: ReportModel, charts: HtmlChart[]): string {
  const parts = ['<section id="verdicts"><h2>Does bypass pay?</h2>'];
  if (!model.verdicts || model.verdicts.length === 0) {
    parts.push('<p class="empty">no verdicts in this run</p>');
  } else {
    const chart = charts.find((c) => c.chart.name === 'verdicts');
    if (chart) parts.push(figure(chart));
    const rows = sortVerdicts(model.verdicts).map((v) => [
      td(esc(verdictRowLabel(v))),
      td(esc(rateLabel(v.offeredPps))),
      td(verdictBadge(v.verdict)),
      td(
        esc(v.reason) +
          (v.reasons.filter((r) => r !== v.reason).length ? `<div class="also">also: ${esc(v.reasons.filter((r) => r !== v.reason).join('; '))}</div>` : ''),
      ),
      td(esc(v.bestBypassPath ?? MISSING)),
      num(fmtUs(v.kernelP99Us)),
      td(esc(verdictKernelCells(v).bestKernel)),
      num(fmtUs(v.bypassP99Us)),
      num(verdictKernelCells(v).savingVsDefault),
      num(verdictKernelCells(v).savingVsBest),
      num(verdictKernelCells(v).cores),
      td(esc(v.excludedPaths.map((e) => `${e.pathLabel}: ${e.why}`).join('; ') || MISSING)),
    ]);
    parts.push(
      table(
        [
          'size',
          'offered',
          'verdict',
          'reason',
          'best bypass path',
          'default kernel p99 µs',
          'best kernel (p99)',
          'bypass p99 µs',
          'saving vs default',
          'saving vs best kernel',
          'cores default / best kernel / bypass',
          'left out',
        ],
        rows,
        'verdicts',
      ),
    );
  }
  const services = serviceVerdicts(model.verdicts);
  if (services.length) {
    parts.push('<h3>Per service</h3>', `<p>${esc(SERVICE_VERDICT_NOTE)}</p>`);
    const rows = services.map((v) =>
      serviceVerdictCells(v).map((c, i) => (i === 3 ? td(verdictBadge(v.verdict)) : SERVICE_VERDICT_NUMERIC[i] ? num(c) : td(esc(c)))),
    );
    parts.push(table([...SERVICE_VERDICT_HEADER], rows, 'services'));
  }
  const overhead = traceOverheadLines(model.traceOverhead);
  if (overhead.length)
    parts.push('<h4>Tracing overhead</h4>', `<p>${esc(TRACE_OVERHEAD_NOTE)}</p>`, `<ul>${overhead.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`);
  if (model.thresholds) {
    parts.push('<h3>Thresholds</h3>');
    parts.push(kv(Object.entries(model.thresholds).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)])));
  }
  parts.push('</section>');
  return parts.join('\n');
}

function figure(c: HtmlChart): string {
  const links = [
    c.files.svg && `<a href="${esc(c.files.svg)}">SVG</a>`,
    c.files.png && `<a href="${esc(c.files.png)}">PNG</a>`,
    c.files.pdf && `<a href="${esc(c.files.pdf)}">PDF</a>`,
    `<a href="${esc(c.files.vl)}">Vega-Lite spec</a>`,
  ]
    .filter(Boolean)
    .join(' · ');
  const body = c.vega
    ? `<div class="chart" id="chart-${esc(c.chart.name)}" data-chart="${esc(c.chart.name)}" role="img" aria-label="${esc(c.chart.title)}"></div>` +
      (c.files.svg ? `<noscript><img src="${esc(c.files.svg)}" alt="${esc(c.chart.title)}"></noscript>` : '')
    : `<p class="error">chart not drawn: ${esc(c.error ?? 'unknown error')}</p>`;
  return `<figure>${body}<figcaption>${esc(c.chart.caption)} <span class="links">${links}</span></figcaption></figure>`;
}

function summarySection(model: ReportModel): string {
  const rows = model.rows.map((r) => [
    td(esc(pathDisplay(r.pathLabel, r.emulated)), r.emulated ? 'emulated' : ''),
    num(r.msgSizeBytes === null ? MISSING : String(r.msgSizeBytes)),
    num(r.offeredPps === null ? 'closed loop' : fmtPps(r.offeredPps)),
    num(esc(achievedText(r))),
    num(fmtPct(r.lossRatio)),
    num(fmtUs(r.p50Us)),
    num(esc(tailText(r.p99Us, r.latencySamples, 99, fmtUs))),
    num(r.p99RangeUs ? `${fmtUs(r.p99RangeUs.min)}–${fmtUs(r.p99RangeUs.max)}` : MISSING),
    num(esc(tailText(r.p999Us, r.latencySamples, 99.9, fmtUs))),
    num(fmtNum(r.coresBusy)),
    num(fmtUs(r.nsPerPacket)),
    td(`${r.ok}/${r.repetitions}${r.ok < r.repetitions ? ` <span class="bad">${esc(r.statuses.filter((s) => s !== 'ok').join(', '))}</span>` : ''}`),
  ]);
  const parts = [
    '<section id="results"><h2>Results</h2>',
    '<p>Medians over the repetitions that finished ok; latency is round-trip time in µs. The p99 range is the lowest and highest repetition.</p>',
    table(
      ['path', 'size B', 'offered pps', 'achieved pps', 'loss', 'p50 µs', 'p99 µs', 'p99 range µs', 'p99.9 µs', 'cores busy', 'CPU ns/packet', 'ok/reps'],
      rows,
      'results',
    ),
  ];
  const kernels = kernelSideBySide(model.rows);
  if (kernels.length) {
    parts.push('<h3>Kernel, default vs tuned</h3>', '<p>The default kernel path next to its busy-polling reference at each size and rate.</p>');
    parts.push(
      table(
        KERNEL_SIDE_BY_SIDE_HEADER,
        kernels.map((e) => kernelSideBySideCells(e).map((c, i) => ([0, 1, 2, 6].includes(i) ? td(esc(c)) : num(c)))),
        'results',
      ),
    );
  }
  const failures = model.trials.filter((t) => t.status !== 'ok');
  if (failures.length) {
    parts.push('<h3>Not measured / failed</h3>');
    parts.push(
      table(
        ['trial', 'path', 'size', 'offered', 'status', 'error'],
        failures.map((t) => [
          td(trialLink(t)),
          td(esc(t.pathLabel)),
          td(esc(sizeLabel(t.msgSizeBytes))),
          td(esc(rateLabel(t.offeredPps))),
          td(esc(t.status), 'bad'),
          td(esc(t.error ?? MISSING)),
        ]),
      ),
    );
  }
  if (model.attributionGaps.length) {
    parts.push('<h3>Attribution without a result</h3><ul>');
    for (const g of model.attributionGaps)
      parts.push(`<li>${esc(g.trialId)} (${esc(sizeLabel(g.msgSizeBytes))}, ${esc(rateLabel(g.offeredPps))}): ${esc(g.reason)}</li>`);
    parts.push('</ul>');
  }
  parts.push('</section>');
  return parts.join('\n');
}

function trialLink(t: TrialRecord): string {
  return `<a href="#trial-${esc(t.trialId)}">${esc(t.trialId)}</a>`;
}

function trialsSection(model: ReportModel): string {
  const rows = model.trials.map((t) => {
    const raw = t.raw.map((f) => `<a href="${esc(f)}">${esc(basename(f).replace(`${t.trialId}-`, ''))}</a>`).join(' ');
    return [
      `<td id="trial-${esc(t.trialId)}">${esc(t.trialId)}</td>`,
      td(esc(pathDisplay(t.pathLabel, t.emulated)), t.emulated ? 'emulated' : ''),
      num(t.msgSizeBytes === null ? MISSING : String(t.msgSizeBytes)),
      num(t.offeredPps === null ? 'closed loop' : fmtPps(t.offeredPps)),
      num(String(t.repetition)),
      td(esc(t.status), t.status === 'ok' ? '' : 'bad'),
      num(fmtPps(t.achievedPps) + (t.rateReached === false ? ' (short)' : '')),
      num(fmtPct(t.lossRatio)),
      num(fmtUs(t.latencyUs?.p50)),
      num(esc(tailText(t.latencyUs?.p99, t.latencyUs?.samples, 99, fmtUs, t.latencyUs?.max))),
      num(esc(tailText(t.latencyUs?.p999, t.latencyUs?.samples, 99.9, fmtUs, t.latencyUs?.max))),
      num(t.latencyUs?.samples === null || t.latencyUs?.samples === undefined ? MISSING : String(t.latencyUs.samples)),
      td(raw || MISSING),
    ];
  });
  return [
    '<section id="trials"><h2>Trials</h2>',
    `<details><summary>All ${model.trials.length} trials, with links to each process's raw output (argv and exit code in the .json files)</summary>`,
    table(
      ['trial', 'path', 'size B', 'offered pps', 'rep', 'status', 'achieved pps', 'loss', 'p50 µs', 'p99 µs', 'p99.9 µs', 'samples', 'raw outputs'],
      rows,
      'trials',
    ),
    '</details></section>',
  ].join('\n');
}

function metadataSection(model: ReportModel, options: HtmlOptions): string {
  const m = model.meta;
  const e = m.env;
  const parts = ['<section id="run"><h2>Run</h2>'];
  parts.push(
    kv([
      ['run id', m.runId],
      ['status', m.status],
      ['suite', m.suiteName ? `${m.suiteName}${m.suiteFile ? ` (${m.suiteFile})` : ''}` : m.suiteFile],
      ['description', m.description],
      ['started', m.startedAt],
      ['ended', m.endedAt],
      [
        'trials',
        m.counts
          ? Object.entries(m.counts)
              .map(([k, v]) => `${v} ${k}`)
              .join(', ')
          : String(model.trials.length),
      ],
      ['per trial', m.durationS === null ? null : `${m.durationS} s measured, ${m.warmupS ?? 0} s warm-up, ${m.repetitions ?? '?'} repetitions`],
      ['command', m.command ? m.command.join(' ') : null],
      ['bypassbench', `${m.projectVersion ?? '?'}, git ${e.gitRevision ?? 'unknown'}${e.gitDirty ? ' (uncommitted changes)' : ''}`],
      ['error', m.error],
    ]),
  );
  parts.push('<h3>Host</h3>');
  parts.push(
    kv([
      ['hostname', e.hostname],
      ['CPU', e.cpuModel === null ? null : `${e.cpuModel} × ${e.cpuCount ?? '?'}`],
      ['kernel', e.kernelRelease],
      ['architecture', m.arch],
      ['haltpoll', haltpollText(e.haltpollNs)],
      ['governor', e.governor ?? 'none (no cpufreq)'],
      ['Node.js', e.nodeVersion],
      [
        'CPU plan',
        m.cpuPlan
          ? Object.entries(m.cpuPlan)
              .map(([k, v]) => `${k} → CPU ${v ?? '?'}`)
              .join(', ')
          : null,
      ],
    ]),
  );
  if (m.topology.length) {
    parts.push('<h3>Topology</h3>');
    parts.push(kv(m.topology));
  }
  if (m.binaries.length) {
    parts.push('<h3>Tools</h3>');
    parts.push(
      table(
        ['tool', 'version', 'path'],
        m.binaries.map((b) => [td(esc(b.name)), td(esc(b.version ?? MISSING)), td(esc(b.path ?? MISSING))]),
      ),
    );
  }
  if (m.packages.length) {
    parts.push('<details><summary>Debian packages</summary>');
    parts.push(
      table(
        ['package', 'version'],
        m.packages.map((p) => [td(esc(p.name)), td(esc(p.version ?? 'not installed'))]),
      ),
    );
    parts.push('</details>');
  }
  parts.push('<h3>Files</h3><ul class="files">');
  for (const f of options.documents) parts.push(`<li><a href="${esc(f)}">${esc(f)}</a></li>`);
  parts.push('</ul></section>');
  return parts.join('\n');
}

export function renderHtml(model: ReportModel, options: HtmlOptions): string {
  const m = model.meta;
  const title = `bypassbench · ${m.runId ?? 'run'}`;
  const chartsById = Object.fromEntries(options.charts.filter((c) => c.vega).map((c) => [c.chart.name, c.vega]));
  const otherCharts = options.charts.filter((c) => c.chart.name !== 'verdicts');
  const e = m.env;
  const tools = m.binaries.filter((b) => model.trials.some((t) => b.name.includes(t.driver))).map((b) => `${b.name} ${b.version ?? '?'}`);
  const parts = [
    pageHead(title),
    `<header><h1>bypassbench report</h1><p class="sub">${esc(m.runId ?? '')} · ${esc(m.status ?? 'unknown status')} · suite ${esc(m.suiteName ?? m.suiteFile ?? '?')} · ${esc(
      m.startedAt ?? '',
    )}${m.endedAt ? ` → ${esc(m.endedAt)}` : ''}</p>`,
    `<p class="sub">${esc(e.hostname ?? '?')}: ${esc(e.cpuModel ?? '?')} × ${esc(e.cpuCount ?? '?')}, kernel ${esc(e.kernelRelease ?? '?')}, haltpoll ${esc(
      haltpollText(e.haltpollNs),
    )}${tools.length ? `; ${esc(tools.join(', '))}` : ''}; git ${esc((e.gitRevision ?? 'unknown').slice(0, 12))}${e.gitDirty ? ' (dirty)' : ''}</p>`,
    '<nav><a href="#verdicts">Verdicts</a><a href="#charts">Charts</a><a href="#results">Results</a><a href="#trials">Trials</a><a href="#run">Run</a></nav></header>',
  ];
  if (model.anyEmulated) {
    parts.push('<p class="banner">Some results were measured under emulation (QEMU TCG), marked "(emulated)": they say nothing about real hardware.</p>');
  }
  if (m.status && m.status !== 'completed')
    parts.push(`<p class="banner">This run is ${esc(m.status)}${m.error ? `: ${esc(m.error)}` : ''}; the report covers the trials that finished.</p>`);
  parts.push(verdictSection(model, options.charts));
  parts.push('<section id="charts"><h2>Charts</h2>');
  if (otherCharts.length === 0 && model.chartNotes.length === 0) parts.push('<p class="empty">no measured trials to chart</p>');
  // Each chart carries its own title (the SVG/PNG files need it), so no heading repeats it.
  for (const c of otherCharts) parts.push(figure(c));
  for (const n of model.chartNotes) parts.push(`<p class="note chart-note" data-chart="${esc(n.name)}"><b>${esc(n.title)}</b>: not drawn, ${esc(n.note)}.</p>`);
  parts.push('</section>');
  parts.push(summarySection(model));
  parts.push(trialsSection(model));
  parts.push(metadataSection(model, options));
  parts.push(`<footer class="sub"><p>Charts drawn by Vega ${esc(options.vegaVersion)}, inlined below (BSD-3-Clause).</p></footer>`);
  parts.push(chartScripts(chartsById as Record<string, Spec>, { source: options.vegaRuntime, license: options.vegaLicense }));
  parts.push('</body></html>');
  return `${parts.join('\n')}\n`;
}
