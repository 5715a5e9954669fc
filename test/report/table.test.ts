// The closing table marks an achieved rate whose repetitions fell short of the offered one: that
// latency was not measured at the offered rate (issue 11: rateReached shown in tables).
import { describe, expect, it } from 'vitest';
import { achievedText, RATE_SHORT_NOTE, renderTable } from '../../report/table.js';
import type { SummaryRow } from '../../core/run-summary.js';

const row = (over: Partial<SummaryRow>): SummaryRow => ({
  pathLabel: 'afxdp',
  path: 'afxdp',
  msgSizeBytes: 64,
  offeredPps: 20000,
  repetitions: 3,
  ok: 3,
  statuses: ['ok'],
  achievedPps: 15400,
  lossRatio: 0,
  p50Us: 6,
  p99Us: 40,
  p999Us: null,
  latencySamples: 60000,
  p99Reliable: true,
  p999Reliable: true,
  p99RangeUs: { min: 30, max: 50 },
  coresBusy: 2,
  nsPerPacket: null,
  emulated: false,
  error: null,
  trialIds: ['t0001', 't0002', 't0003'],
  ...over,
});

describe('achieved rate in tables', () => {
  it('says how many repetitions fell short, and the table explains the mark', () => {
    expect(achievedText(row({ rateShortRepetitions: 2 }))).toBe('15.4k (short ×2)');
    expect(achievedText(row({ rateShortRepetitions: 0 }))).toBe('15.4k');
    const table = renderTable([row({ rateShortRepetitions: 2 })]);
    expect(table).toContain('15.4k (short ×2)');
    expect(table).toContain(RATE_SHORT_NOTE);
    expect(renderTable([row({ rateShortRepetitions: 0 })])).not.toContain(RATE_SHORT_NOTE);
  });
});
