// Load classification and the next rate on a real trial sequence: the afxdp 64 B search of a bench
// on this machine (test/fixtures/search/afxdp-2s-trials.json, copied from its search.json), where
// single trials were non-monotonic (703501 pps lost 0.94 %, then 0.08 %; 701740 pps 2.4 %, then
// 0.02 %) and the budget ran out with PDR 0.50000021 % wide.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveSearchOptions } from '../../analysis/search.js';
import { bracketOf, phaseLoads, phaseRules } from '../../analysis/search-loads.js';
import { newMemo, nextRate, roundedRate, settledState } from '../../analysis/search-rate.js';
import type { SearchOptions, SearchTrial } from '../../core/search-result.js';

const fixture = JSON.parse(readFileSync('test/fixtures/search/afxdp-2s-trials.json', 'utf8')) as { options: SearchOptions; trials: SearchTrial[] };
const options = resolveSearchOptions(fixture.options);
const rule = phaseRules(options).at(-1)!;
const loadsOf = (target: 'ndr' | 'pdr') => phaseLoads(fixture.trials, target, options.lossTargets[target], rule);

describe('loads of a real afxdp search (exceed ratio 0.5 over two 2 s trials)', () => {
  it('a load that failed once and passed once is a PDR lower bound, not pinned by its noisy trial', () => {
    const pdr = loadsOf('pdr');
    for (const pps of [701740, 703501]) {
      const load = pdr.find((l) => l.offeredPps === pps)!;
      expect(load.trials).toHaveLength(2);
      expect(load.cls).toBe('lower');
    }
  });

  it('a generator stall makes a load undecided, and its second trial decides it', () => {
    const load = loadsOf('ndr').find((l) => l.offeredPps === 675849)!;
    expect(load.trials.map((t) => t.generatorShort)).toEqual([true, false]);
    expect(load.cls).toBe('lower');
  });

  it('NDR settles in [699983, 701740]: the upper bound failed in both of its trials', () => {
    const bracket = bracketOf(loadsOf('ndr'));
    expect(bracket.lower?.offeredPps).toBe(699983);
    expect(bracket.upper?.offeredPps).toBe(701740);
    expect(bracket.upper?.cls).toBe('upper');
    expect(settledState(bracket, rule, options)).toBe('converged');
  });

  it('PDR stopped a hair wider than the goal, at a probe rounded up; rounded towards the bound it would not be', () => {
    const loads = loadsOf('pdr');
    const bracket = bracketOf(loads);
    expect(bracket.lower?.offeredPps).toBe(708636);
    expect(bracket.upper?.offeredPps).toBe(712197);
    expect(bracket.upper?.cls).toBe('undecided');
    // 708636 / 0.995 = 712196.98, rounded to 712197: 0.50000021 % wide, open at 0.5 %.
    expect((712197 - 708636) / 712197).toBeGreaterThan(options.goalWidth);
    expect(settledState(bracket, rule, options)).toBeNull();
    const probe = roundedRate(Math.log(708636) - Math.log(1 - options.goalWidth), 708636, null, options.goalWidth);
    expect(probe).toBe(712196);
    expect((probe - 708636) / probe).toBeLessThanOrEqual(options.goalWidth);
    // Still open, the search measures inside the bracket, never outside it.
    const next = nextRate(bracket, loads, rule, options, options.lossTargets.pdr, newMemo(), null)!;
    expect(next).toBeGreaterThan(708636);
    expect(next).toBeLessThanOrEqual(712197);
  });
});
