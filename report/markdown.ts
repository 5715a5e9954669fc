// report.md: the key results of a run as Markdown for READMEs and pull requests, with the charts as
// PNG references (relative to the run folder). Deterministic: the same run always gives the same
// text (no generation time), so it can be diffed and snapshot-tested.
import { tailText } from '../core/tail.js';
import type { Verdict } from '../analysis/selective-win.js';
import { fmtNum, fmtPct, fmtPps, fmtUs, MISSING, pathDisplay, rateLabel, sizeLabel, sortVerdicts, verdictKernelCells, verdictRowLabel } from './format.js';
import { KERNEL_SIDE_BY_SIDE_HEADER, kernelSideBySide, kernelSideBySideCells } from './kernel-compare.js';
import { haltpollText } from './metadata.js';
import type { ReportModel } from './model.js';
import { SEARCH_TABLE_HEADER, searchTableRows } from './search-summary.js';
import {
  SERVICE_VERDICT_HEADER,
  SERVICE_VERDICT_NOTE,
  SERVICE_VERDICT_NUMERIC,
  serviceVerdictCells,
  serviceVerdicts,
  TRACE_OVERHEAD_NOTE,
  traceOverheadLines,
} from './service-verdicts.js';
import { achievedText, RATE_SHORT_NOTE } from './table.js';

export interface MarkdownChart {
  title: string;
  caption: string;
  /** Relative path of the PNG, or null when it could not be rendered. */
  png: string | null;
}

/** A Markdown table cell: pipes escaped, line breaks flattened. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function mdTable(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const lines = [`| ${header.map(cell).join(' | ')} |`, `|${rightAligned.map((r) => (r ? ' ---: ' : ' --- ')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

function verdictRows(verdicts: readonly Verdict[]): string[][] {
  return sortVerdicts(verdicts).map((v) => {
    const k = verdictKernelCells(v);
    return [
      verdictRowLabel(v),
      rateLabel(v.offeredPps),
      `**${v.verdict}**`,
      v.bestBypassPath ?? MISSING,
      fmtUs(v.kernelP99Us),
      k.bestKernel,
      fmtUs(v.bypassP99Us),
      k.savingVsDefault,
      k.savingVsBest,
      k.cores,
      v.reason,
    ];
  });
}

/** Text shown as is in Markdown: HTML is escaped, and the characters that start emphasis, code or links are backslash-quoted. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]])/g, '\\$1');
}

export function renderMarkdown(model: ReportModel, charts: readonly MarkdownChart[]): string {
  const m = model.meta;
  const e = m.env;
  const out: string[] = [];
  out.push(`# bypassbench: ${m.runId ?? 'run'}`, '');
  const counts = m.counts
    ? Object.entries(m.counts)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ')
    : `${model.trials.length} trials`;
  out.push(`Suite **${m.suiteName ?? m.suiteFile ?? '?'}**, ${m.status ?? 'unknown status'} (${counts}); ${m.startedAt ?? '?'} → ${m.endedAt ?? '?'}.`);
  // The suite's description is text, not markup: escaped so HTML or links in it render as written.
  if (m.description) out.push(escapeMarkdown(m.description));
  out.push('');
  const tools = m.binaries.filter((b) => model.trials.some((t) => b.name.includes(t.driver))).map((b) => `${b.name} ${b.version ?? '?'}`);
  out.push(
    `Host ${e.hostname ?? '?'}: ${e.cpuModel ?? '?'} × ${e.cpuCount ?? '?'}, kernel ${e.kernelRelease ?? '?'}, haltpoll ${haltpollText(e.haltpollNs)}` +
      `${tools.length ? `; ${tools.join(', ')}` : ''}; bypassbench ${m.projectVersion ?? '?'} at ${(e.gitRevision ?? 'unknown').slice(0, 12)}${e.gitDirty ? ' (dirty)' : ''}.`,
  );
  if (m.durationS !== null) out.push(`Each trial: ${m.durationS} s measured, ${m.repetitions ?? '?'} repetitions; latency is round-trip time.`);
  if (model.anyEmulated) out.push('', '> **Emulated results** (marked "(emulated)") were measured under QEMU TCG and say nothing about real hardware.');
  if (m.status && m.status !== 'completed') out.push('', `> This run is **${m.status}**${m.error ? `: ${m.error}` : ''}; only finished trials are reported.`);

  out.push('', '## Does bypass pay?', '');
  if (!model.verdicts || model.verdicts.length === 0) out.push('no verdicts in this run');
  else {
    out.push(
      mdTable(
        [
          'size',
          'offered',
          'verdict',
          'best bypass path',
          'default kernel p99 µs',
          'best kernel (p99)',
          'bypass p99 µs',
          'saving vs default',
          'saving vs best kernel',
          'cores default / best kernel / bypass',
          'reason',
        ],
        verdictRows(model.verdicts),
        [false, false, false, false, true, false, true, true, true, true, false],
      ),
    );
  }

  const services = serviceVerdicts(model.verdicts);
  if (services.length) {
    out.push('', '### Per service', '', SERVICE_VERDICT_NOTE, '');
    out.push(mdTable([...SERVICE_VERDICT_HEADER], services.map(serviceVerdictCells), [...SERVICE_VERDICT_NUMERIC]));
  }
  const overhead = traceOverheadLines(model.traceOverhead);
  if (overhead.length) out.push('', '#### Tracing overhead', '', TRACE_OVERHEAD_NOTE, '', ...overhead.map((l) => `- ${l}`));

  const kernels = kernelSideBySide(model.rows);
  if (kernels.length) {
    out.push(
      '',
      '## Kernel, default vs tuned',
      '',
      'The default kernel path next to its busy-polling reference at each size and rate (medians over repetitions).',
      '',
    );
    out.push(
      mdTable(
        KERNEL_SIDE_BY_SIDE_HEADER,
        kernels.map(kernelSideBySideCells),
        KERNEL_SIDE_BY_SIDE_HEADER.map((_, i) => ![0, 1, 2, 6].includes(i)),
      ),
    );
  }

  out.push('', '## Results', '', 'Medians over repetitions that finished ok; the p99 range spans the lowest to highest repetition.', '');
  out.push(
    mdTable(
      ['path', 'size B', 'offered pps', 'achieved pps', 'loss', 'p50 µs', 'p99 µs', 'p99 range µs', 'p99.9 µs', 'cores busy', 'ok/reps'],
      model.rows.map((r) => [
        pathDisplay(r.pathLabel, r.emulated),
        r.msgSizeBytes === null ? MISSING : String(r.msgSizeBytes),
        r.offeredPps === null ? 'closed loop' : fmtPps(r.offeredPps),
        achievedText(r),
        fmtPct(r.lossRatio),
        fmtUs(r.p50Us),
        tailText(r.p99Us, r.latencySamples, 99, fmtUs),
        r.p99RangeUs ? `${fmtUs(r.p99RangeUs.min)}–${fmtUs(r.p99RangeUs.max)}` : MISSING,
        tailText(r.p999Us, r.latencySamples, 99.9, fmtUs),
        fmtNum(r.coresBusy),
        `${r.ok}/${r.repetitions}${r.ok < r.repetitions ? ` (${r.statuses.filter((s) => s !== 'ok').join(', ')})` : ''}`,
      ]),
      [false, true, true, true, true, true, true, true, true, true, true],
    ),
  );
  if (model.rows.some((r) => r.rateShortRepetitions)) out.push('', RATE_SHORT_NOTE);

  if (model.searches?.length) {
    out.push(
      '',
      '## Throughput searches',
      '',
      'NDR/PDR bounds are loads judged from full-length trials only; the bracket is lower–upper with its width and state (search.json has every trial).',
      '',
    );
    out.push(mdTable(SEARCH_TABLE_HEADER, searchTableRows(model.searches), [false, false, false, true, true, true, false, true, false, true]));
  }

  const failures = model.trials.filter((t) => t.status !== 'ok');
  if (failures.length) {
    out.push('', '### Not measured / failed', '');
    const lines = new Set(
      failures.map((t) => `- ${t.pathLabel} ${sizeLabel(t.msgSizeBytes)} ${rateLabel(t.offeredPps)}: ${t.status}${t.error ? ` — ${t.error}` : ''}`),
    );
    out.push(...lines);
  }

  if (charts.length || model.chartNotes.length) {
    out.push('', '## Charts');
    for (const c of charts) {
      out.push('', `### ${c.title}`, '');
      out.push(c.png ? `![${c.title}](${c.png})` : '_chart could not be rendered_');
      out.push('', c.caption);
    }
    for (const n of model.chartNotes) out.push('', `_${n.title}: not drawn, ${n.note}._`);
  }

  out.push(
    '',
    '---',
    '',
    "Full report with interactive charts, run metadata and raw outputs: [report.html](report.html). Data: `trials.jsonl`, `trials.csv`, `summary.json`, `run.json`; each process's output is under `raw/`.",
  );
  return `${out.join('\n')}\n`;
}
