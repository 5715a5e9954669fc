// The one-figure summary for slides and papers: the selective-win verdict per size × rate, and in
// each cell the two numbers that decide whether bypass pays there: how much p99 it saves against
// the best kernel configuration, and how many extra cores it keeps busy for that. Written as
// charts/summary.svg, .png and .pdf from this one spec (report/pdf.ts turns the SVG into a PDF).
import type { Verdict } from '../../analysis/selective-win.js';
import { fmtUs, rateLabel, sortVerdicts, verdictRowLabel } from '../format.js';
import { CONFIG, SCHEMA, rateLabels, type ChartSpec } from './common.js';
import { VERDICT_COLORS } from './verdict-chart.js';

const VERDICT_TEXT = { 'bypass-wins': 'bypass wins', 'no-win': 'no win', 'insufficient-data': 'insufficient data' } as const;
/** Text on the amber "insufficient data" fill is dark; on green and grey it is white (WCAG contrast ≥ 4.5). */
const TEXT_ON = { 'bypass-wins': '#ffffff', 'no-win': '#ffffff', 'insufficient-data': '#1d1d1f' } as const;

function savingLine(v: Verdict): string {
  if (v.expectedP99SavingUs === null) return 'p99 saving —';
  const pct = v.expectedP99SavingPct === null ? '' : ` (${v.expectedP99SavingPct.toFixed(0)} %)`;
  // A negative saving: bypass is slower at p99.
  return v.expectedP99SavingUs >= 0 ? `p99 −${fmtUs(v.expectedP99SavingUs)} µs${pct}` : `p99 +${fmtUs(-v.expectedP99SavingUs)} µs (slower)`;
}

function coresLine(v: Verdict): string {
  if (v.coresDelta === null) return 'cores —';
  return `${v.coresDelta >= 0 ? '+' : '−'}${Math.abs(v.coresDelta).toFixed(2)} cores`;
}

/** Verdict, p99 saving and extra cores per size × rate; null without verdicts. */
export function summaryChart(verdicts: readonly Verdict[] | null, runLabel: string | null): ChartSpec | null {
  if (!verdicts || verdicts.length === 0) return null;
  const rates = rateLabels(verdicts);
  const sizes = [...new Set(sortVerdicts(verdicts).map(verdictRowLabel))];
  const values = verdicts.map((v) => ({
    size: verdictRowLabel(v),
    rate: rateLabel(v.offeredPps),
    verdict: v.verdict,
    verdictText: VERDICT_TEXT[v.verdict],
    // Three lines per cell; the verdict line is drawn bold by its own mark.
    figures: `${savingLine(v)}\n${coresLine(v)}`,
    best: v.bestBypassPath ?? '—',
    reason: v.reason,
  }));
  const x = {
    field: 'rate',
    type: 'ordinal' as const,
    title: 'offered rate',
    sort: rates,
    axis: { orient: 'top' as const, labelAngle: 0, domain: false, ticks: false },
  };
  const y = { field: 'size', type: 'ordinal' as const, title: 'message size', sort: sizes, axis: { domain: false, ticks: false } };
  // A condition, not a second colour scale (the layers would share, and fight over, one).
  const textColor = { condition: { test: "datum.verdict === 'insufficient-data'", value: TEXT_ON['insufficient-data'] }, value: TEXT_ON['bypass-wins'] };
  return {
    name: 'summary',
    title: 'Does kernel bypass pay? One-figure summary',
    caption:
      'The selective-win verdict per message size and offered rate (green: bypass wins, grey: no win, amber: insufficient data). In each cell: ' +
      'the p99 round-trip latency the best bypass path saves against the best kernel configuration (negative = bypass is slower), and the extra cores it keeps busy for that. ' +
      'Also written as charts/summary.svg, .png and .pdf for slides and papers.',
    spec: {
      $schema: SCHEMA,
      title: {
        text: 'Does kernel bypass pay?',
        subtitle: ['per cell: verdict, p99 saving vs the best kernel path, extra cores busy', ...(runLabel ? [runLabel] : [])],
      },
      data: { values },
      width: { step: 150 },
      height: { step: 70 },
      layer: [
        {
          mark: { type: 'rect', stroke: 'white', strokeWidth: 3 },
          encoding: {
            x,
            y,
            color: {
              field: 'verdict',
              type: 'nominal',
              title: 'verdict',
              scale: { domain: Object.keys(VERDICT_COLORS), range: Object.values(VERDICT_COLORS) },
              legend: { orient: 'bottom' },
            },
            tooltip: [
              { field: 'size', type: 'nominal' },
              { field: 'rate', type: 'nominal', title: 'offered' },
              { field: 'verdictText', type: 'nominal', title: 'verdict' },
              { field: 'best', type: 'nominal', title: 'best bypass path' },
              { field: 'reason', type: 'nominal' },
            ],
          },
        },
        {
          mark: { type: 'text', fontSize: 13, fontWeight: 'bold', dy: -18 },
          encoding: { x, y, text: { field: 'verdictText' }, color: textColor },
        },
        {
          mark: { type: 'text', fontSize: 11, dy: -4, lineBreak: '\n', lineHeight: 15, baseline: 'top' },
          encoding: { x, y, text: { field: 'figures' }, color: textColor },
        },
      ],
      config: { ...CONFIG, axis: { ...CONFIG.axis, grid: false } },
    },
  };
}
