// compare.html and compare.md: what a lab publishes when it compares two NICs, two kernels or two
// configurations. Every difference with its interval and its test (p and Benjamini–Hochberg
// adjusted p, analysis/compare.ts), what each of those numbers is, and the two runs' environments
// side by side (analysis/run-environment.ts) with what differs marked. compare.html is one
// self-contained file (the chart drawn by the inlined Vega runtime, as in report.html).
import type { Spec } from 'vega';
import type { CompareResult, GroupComparison, MetricChange, RunEnvironment } from '../analysis/compare.js';
import { fmtRel, fmtUs, MISSING } from './format.js';
import { haltpollText } from './metadata.js';
import { chartScripts, esc, pageHead } from './page.js';
import { FLAG_COLORS, groupLabel } from './compare.js';

/** The environments of both runs, for the side-by-side table. */
export interface CompareSides {
  a: RunEnvironment;
  b: RunEnvironment;
}

export interface CompareChartFiles {
  vega: Spec | null;
  svg: string | null;
  png: string | null;
  vl: string | null;
}

const fmtP = (p: number | null | undefined) => (p === null || p === undefined ? MISSING : p < 0.001 ? p.toExponential(1) : Number(p.toPrecision(2)).toString());

/** What the numbers in the table are, said once, in the words of analysis/compare.ts. */
export function methodText(result: CompareResult): string[] {
  const o = result.options;
  const tests = result.groups.length * o.metrics.length;
  return [
    `Δ is median(B) − median(A) over each run's repetitions (each repetition's ${o.metrics.join(' and ')} round-trip latency); Δ % is relative to median(A); positive = B is slower.`,
    `p: exact two-sided rank-sum (Wilcoxon–Mann–Whitney) permutation test of A's repetitions against B's; with n repetitions per side the smallest possible p is limited (3 + 3 gives 0.1).`,
    `adjusted p: Benjamini–Hochberg over all ${tests} group × metric tests of this comparison, controlling the false-discovery rate at α = ${o.alpha}.`,
    `A change is flagged (regression or improvement) only when adjusted p ≤ ${o.alpha} and |Δ %| ≥ ${Math.round(o.minRelChange * 100)} %; fewer than ${o.minRepetitions} repetitions per side is insufficient data.`,
    `Interval: ${Math.round(o.ciLevel * 100)} % percentile bootstrap of median(B) − median(A) (${o.resamples} resamples, seed ${o.seed}), relative to median(A). It describes the spread and decides nothing: with 2–5 repetitions its nominal level is far from exact.`,
  ];
}

interface EnvRow {
  field: string;
  a: string;
  b: string;
  differs: boolean;
  blocking: boolean;
}

const show = (v: unknown) => (v === null || v === undefined || v === '' ? MISSING : String(v));

/** One row per environment fact, both runs side by side; differences and blocking ones marked (from result.environment). */
export function environmentRows(result: CompareResult, sides: CompareSides): EnvRow[] {
  const blocking = new Map(result.environment.map((d) => [d.field, d.blocking]));
  const { a, b } = sides;
  const rows: [string, string, unknown, unknown][] = [
    ['host.hostname', 'host', a.hostname, b.hostname],
    ['host.cpuModel', 'CPU', a.cpuModel, b.cpuModel],
    ['host.cpuCount', 'CPUs', a.cpuCount, b.cpuCount],
    ['host.kernelRelease', 'kernel', a.kernelRelease, b.kernelRelease],
    ['host.haltpollNs', 'haltpoll', haltpollText(a.haltpollNs), haltpollText(b.haltpollNs)],
    ['host.governor', 'governor', a.governor ?? 'none (no cpufreq)', b.governor ?? 'none (no cpufreq)'],
    ['host.nodeVersion', 'Node.js', a.nodeVersion, b.nodeVersion],
    ['tool.gitRevision', 'bypassbench git', a.gitRevision, b.gitRevision],
    ['tool.gitDirty', 'uncommitted changes', a.gitDirty, b.gitDirty],
    ['suite.durationS', 'trial duration (s)', a.durationS, b.durationS],
    ['suite.warmupS', 'warm-up (s)', a.warmupS, b.warmupS],
  ];
  const out: EnvRow[] = rows.map(([field, label, va, vb]) => ({
    field: label,
    a: show(va),
    b: show(vb),
    differs: show(va) !== show(vb),
    blocking: blocking.get(field) ?? false,
  }));
  for (const name of [...new Set([...Object.keys(a.toolVersions), ...Object.keys(b.toolVersions)])].sort()) {
    const va = show(a.toolVersions[name]);
    const vb = show(b.toolVersions[name]);
    out.push({ field: `tool ${name}`, a: va, b: vb, differs: va !== vb, blocking: blocking.get(`tool ${name}`) ?? false });
  }
  // What the trials themselves said ran (blocking when both runs say and they differ).
  for (const d of result.environment.filter((e) => e.field.startsWith("trials' ")))
    out.push({ field: d.field, a: d.a, b: d.b, differs: true, blocking: d.blocking });
  for (const name of [...new Set([...Object.keys(a.packageVersions), ...Object.keys(b.packageVersions)])].sort()) {
    const va = show(a.packageVersions[name] ?? 'not installed');
    const vb = show(b.packageVersions[name] ?? 'not installed');
    out.push({ field: `package ${name}`, a: va, b: vb, differs: va !== vb, blocking: false });
  }
  return out;
}

interface DiffRow {
  group: string;
  metric: string;
  a: string;
  b: string;
  deltaUs: string;
  deltaRel: string;
  interval: string;
  p: string;
  adjustedP: string;
  flag: MetricChange['flag'];
  reason: string;
}

function diffRows(result: CompareResult): DiffRow[] {
  return result.groups.flatMap((g: GroupComparison) =>
    g.metrics.map((m) => ({
      group: groupLabel(g),
      metric: m.metric,
      a: `${fmtUs(m.aMedianUs)} (n=${m.aN})`,
      b: `${fmtUs(m.bMedianUs)} (n=${m.bN})`,
      deltaUs: m.deltaUs === null ? MISSING : `${m.deltaUs > 0 ? '+' : m.deltaUs < 0 ? '−' : ''}${fmtUs(Math.abs(m.deltaUs))}`,
      deltaRel: fmtRel(m.deltaRel),
      interval: m.ci ? `${fmtRel(m.ci.lowRel)} … ${fmtRel(m.ci.highRel)}` : MISSING,
      p: fmtP(m.test?.pValue),
      adjustedP: fmtP(m.test?.adjustedP),
      flag: m.flag,
      reason: m.reason,
    })),
  );
}

const DIFF_HEADER = ['path · size · rate', 'metric', 'A median µs', 'B median µs', 'Δ µs', 'Δ %', 'interval (Δ %)', 'p', 'adjusted p', 'flag'];

function runName(side: CompareResult['runA']): string {
  return side.runId ?? side.dir;
}

/** compare.md: the same content as compare.html, with the chart as a PNG reference. */
export function renderCompareMarkdown(result: CompareResult, sides: CompareSides, chartPng: string | null): string {
  const cell = (t: string) => t.replace(/\|/g, '\\|');
  const out = [
    `# bypassbench comparison: ${runName(result.runA)} → ${runName(result.runB)}`,
    '',
    `A (baseline): \`${result.runA.dir}\`  `,
    `B: \`${result.runB.dir}\``,
    '',
    `**${result.regressions} regression(s), ${result.improvements} improvement(s)** over ${result.groups.length} groups${result.forced ? ' (forced: the environments differ in ways that make the numbers not comparable, see below)' : ''}.`,
    '',
  ];
  if (chartPng) out.push(`![Latency change from run A to run B](${chartPng})`, '');
  out.push('## Differences', '', `| ${DIFF_HEADER.join(' | ')} |`, `|${DIFF_HEADER.map((_, i) => (i >= 2 && i <= 8 ? ' ---: ' : ' --- ')).join('|')}|`);
  for (const r of diffRows(result)) {
    out.push(
      `| ${[r.group, r.metric, r.a, r.b, r.deltaUs, r.deltaRel, r.interval, r.p, r.adjustedP, r.flag === 'regression' ? '**regression**' : r.flag].map(cell).join(' | ')} |`,
    );
  }
  out.push('', ...methodText(result).map((t) => `- ${t}`));
  if (result.onlyInA.length) out.push('', `Only in A (not compared): ${result.onlyInA.join(', ')}`);
  if (result.onlyInB.length) out.push('', `Only in B (not compared): ${result.onlyInB.join(', ')}`);
  out.push('', '## Environments', '', '| | A | B |', '| --- | --- | --- |');
  for (const e of environmentRows(result, sides)) {
    const mark = e.blocking ? ' **(differs, blocking)**' : e.differs ? ' _(differs)_' : '';
    out.push(`| ${cell(e.field)}${mark} | ${cell(e.a)} | ${cell(e.b)} |`);
  }
  out.push('', '---', '', 'Interactive version: [compare.html](compare.html); all numbers: `compare.json`.');
  return `${out.join('\n')}\n`;
}

/** compare.html: self-contained, light and dark, the chart drawn in the page. */
export function renderCompareHtml(result: CompareResult, sides: CompareSides, chart: CompareChartFiles, runtime: { source: string; license: string }): string {
  const th = (h: string) => `<th>${esc(h)}</th>`;
  const badge = (flag: MetricChange['flag']) =>
    `<span class="badge${flag === 'insufficient-data' ? ' light' : ''}" style="background:${FLAG_COLORS[flag]}">${esc(flag)}</span>`;
  const diffs = diffRows(result)
    .map(
      (r) =>
        `<tr><td>${esc(r.group)}</td><td>${esc(r.metric)}</td>${[r.a, r.b, r.deltaUs, r.deltaRel, r.interval, r.p, r.adjustedP].map((t) => `<td class="num">${esc(t)}</td>`).join('')}` +
        `<td title="${esc(r.reason)}">${badge(r.flag)}</td></tr>`,
    )
    .join('\n');
  const env = environmentRows(result, sides)
    .map(
      (e) =>
        `<tr class="${[e.differs && 'differs', e.blocking && 'blocking'].filter(Boolean).join(' ')}"><td>${esc(e.field)}</td><td>${esc(e.a)}</td><td>${esc(e.b)}</td></tr>`,
    )
    .join('\n');
  const links = [
    chart.svg && `<a href="${esc(chart.svg)}">SVG</a>`,
    chart.png && `<a href="${esc(chart.png)}">PNG</a>`,
    chart.vl && `<a href="${esc(chart.vl)}">Vega-Lite spec</a>`,
  ]
    .filter(Boolean)
    .join(' · ');
  const parts = [
    pageHead(`bypassbench compare · ${runName(result.runA)} → ${runName(result.runB)}`),
    `<header><h1>bypassbench comparison</h1><p class="sub">A (baseline): ${esc(runName(result.runA))} · B: ${esc(runName(result.runB))}</p>`,
    '<nav><a href="#differences">Differences</a><a href="#environments">Environments</a></nav></header>',
  ];
  if (result.forced)
    parts.push('<p class="banner">Forced: the two runs were measured in environments that make their numbers not comparable (marked "blocking" below).</p>');
  parts.push(
    `<section id="differences"><h2>Differences</h2><p><b>${result.regressions} regression(s), ${result.improvements} improvement(s)</b> over ${result.groups.length} groups.</p>`,
  );
  if (chart.vega) {
    parts.push(
      `<figure><div class="chart" id="chart-compare" data-chart="compare" role="img" aria-label="Latency change from run A to run B"></div>` +
        `<figcaption>Relative change of each group's median p50 and p99 from A to B; bars: the bootstrap interval; colour: the flag. <span class="links">${links}</span></figcaption></figure>`,
    );
  } else {
    parts.push('<p class="note">No group has a latency in both runs, so there is no chart.</p>');
  }
  parts.push(`<div class="scroll"><table class="diffs"><thead><tr>${DIFF_HEADER.map(th).join('')}</tr></thead><tbody>\n${diffs}\n</tbody></table></div>`);
  parts.push(
    `<h3>What the numbers are</h3><ul>${methodText(result)
      .map((t) => `<li>${esc(t)}</li>`)
      .join('')}</ul>`,
  );
  if (result.onlyInA.length) parts.push(`<p>Only in A (not compared): ${esc(result.onlyInA.join(', '))}</p>`);
  if (result.onlyInB.length) parts.push(`<p>Only in B (not compared): ${esc(result.onlyInB.join(', '))}</p>`);
  parts.push('</section>');
  parts.push(
    '<section id="environments"><h2>Environments</h2><p>Both runs side by side; rows in bold differ, "blocking" ones make the numbers not comparable without --force.</p>',
    `<div class="scroll"><table class="env"><thead><tr><th></th><th>A</th><th>B</th></tr></thead><tbody>\n${env}\n</tbody></table></div></section>`,
  );
  parts.push('<footer class="sub"><p>All numbers: <a href="compare.json">compare.json</a>. Chart drawn by Vega, inlined below (BSD-3-Clause).</p></footer>');
  parts.push(chartScripts(chart.vega ? { compare: chart.vega } : {}, runtime));
  parts.push('</body></html>');
  return `${parts.join('\n')}\n`;
}
