// The selective-win verdict per size × rate.
import type { Verdict } from '../../analysis/selective-win.js';
import { fmtUs, rateLabel, sortVerdicts, verdictKernelCells, verdictRowLabel } from '../format.js';
import { CONFIG, SCHEMA, rateLabels, type ChartSpec } from './common.js';

/** Green and grey dark enough for white text (contrast ≥ 4.5:1), amber light enough for dark text. */
export const VERDICT_COLORS = { 'bypass-wins': '#1b7837', 'no-win': '#6b6b6b', 'insufficient-data': '#f2c14e' } as const;

/** The selective-win verdict per size × rate, with the reason in the tooltip. */
export function verdictChart(verdicts: readonly Verdict[] | null): ChartSpec | null {
  if (!verdicts || verdicts.length === 0) return null;
  const rates = rateLabels(verdicts);
  const sizes = [...new Set(sortVerdicts(verdicts).map(verdictRowLabel))];
  const values = verdicts.map((v) => ({
    size: verdictRowLabel(v),
    rate: rateLabel(v.offeredPps),
    verdict: v.verdict,
    reason: v.reason,
    otherReasons: v.reasons.filter((r) => r !== v.reason).join('; ') || '—',
    best: v.bestBypassPath ?? '—',
    kernelP99: v.kernelP99Us === null ? '—' : `${fmtUs(v.kernelP99Us)} µs`,
    bestKernel: verdictKernelCells(v).bestKernel,
    savingVsDefault: verdictKernelCells(v).savingVsDefault,
    cores: verdictKernelCells(v).cores,
    bypassP99: v.bypassP99Us === null ? '—' : `${fmtUs(v.bypassP99Us)} µs`,
    saving:
      v.expectedP99SavingUs === null
        ? '—'
        : `${fmtUs(v.expectedP99SavingUs)} µs${v.expectedP99SavingPct === null ? '' : ` (${v.expectedP99SavingPct.toFixed(0)} %)`}`,
    coresDelta: v.coresDelta === null ? '—' : `${v.coresDelta >= 0 ? '+' : ''}${v.coresDelta.toFixed(2)}`,
    excluded: v.excludedPaths.map((e) => `${e.pathLabel}: ${e.why}`).join('; ') || '—',
    cellText: v.verdict === 'bypass-wins' ? 'wins' : v.verdict === 'no-win' ? 'no win' : '?',
  }));
  const verdictTooltip = [
    { field: 'size', type: 'nominal' as const },
    { field: 'rate', type: 'nominal' as const, title: 'offered' },
    { field: 'verdict', type: 'nominal' as const },
    { field: 'reason', type: 'nominal' as const },
    { field: 'otherReasons', type: 'nominal' as const, title: 'also' },
    { field: 'best', type: 'nominal' as const, title: 'best bypass path' },
    { field: 'kernelP99', type: 'nominal' as const, title: 'default kernel p99' },
    { field: 'bestKernel', type: 'nominal' as const, title: 'best kernel (p99)' },
    { field: 'bypassP99', type: 'nominal' as const, title: 'bypass p99' },
    { field: 'saving', type: 'nominal' as const, title: 'p99 saving vs best kernel' },
    { field: 'savingVsDefault', type: 'nominal' as const, title: 'p99 saving vs default kernel' },
    { field: 'coresDelta', type: 'nominal' as const, title: 'extra cores vs best kernel' },
    { field: 'cores', type: 'nominal' as const, title: 'cores default / best kernel / bypass' },
    { field: 'excluded', type: 'nominal' as const, title: 'left out' },
  ];
  return {
    name: 'verdicts',
    title: 'Does bypass pay? Verdict per size × rate',
    caption:
      'The selective-win rule per message size and offered rate: green = bypass wins, grey = no win, amber = insufficient data. ' +
      'Hover a cell for the reason and the numbers that decided it; the verdict table lists the same.',
    spec: {
      $schema: SCHEMA,
      title: { text: 'Does bypass pay? Verdict per size × rate', subtitle: ['hover a cell: reason, p99 of both paths, CPU cost'] },
      data: { values },
      width: { step: 90 },
      height: { step: 34 },
      layer: [
        {
          mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
          encoding: {
            x: { field: 'rate', type: 'ordinal', title: 'offered rate', sort: rates, axis: { orient: 'top', labelAngle: 0 } },
            y: { field: 'size', type: 'ordinal', title: 'message size', sort: sizes },
            color: {
              field: 'verdict',
              type: 'nominal',
              title: 'verdict',
              scale: { domain: Object.keys(VERDICT_COLORS), range: Object.values(VERDICT_COLORS) },
              legend: { orient: 'bottom' },
            },
            tooltip: verdictTooltip,
          },
        },
        {
          mark: { type: 'text', fontSize: 11, color: 'white', fontWeight: 'bold' },
          encoding: {
            x: { field: 'rate', type: 'ordinal', sort: rates },
            y: { field: 'size', type: 'ordinal', sort: sizes },
            text: { field: 'cellText' },
            // The label sits over the cell, so it carries the same tooltip.
            tooltip: verdictTooltip,
          },
        },
      ],
      config: CONFIG,
    },
  };
}
