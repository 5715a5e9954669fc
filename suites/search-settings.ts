// Checks on a suite's `search:` block that span several fields (each field alone is checked by
// the schema), worded like the loader's other problems: file, field, bad value, what is allowed.
import type { SearchSettings } from './schema.js';

export function searchSettingProblems(file: string, search: SearchSettings): string[] {
  const problems: string[] = [];
  const { trialDurationS, phaseDurationsS, durationSumS, generatorTolerance, goalWidth } = search;
  phaseDurationsS.forEach((d, i) => {
    const previous = i === 0 ? 0 : phaseDurationsS[i - 1]!;
    if (!(d > previous && d < trialDurationS)) {
      problems.push(
        `${file}: search.phaseDurationsS[${i}] must be greater than ${previous} and less than search.trialDurationS (${trialDurationS}), got ${d}; exploratory phases are shorter than the full-length trials and increase`,
      );
    }
  });
  if (durationSumS !== undefined && durationSumS < trialDurationS) {
    problems.push(
      `${file}: search.durationSumS must be at least search.trialDurationS (${trialDurationS}), got ${durationSumS}; leave it out for 2 × trialDurationS`,
    );
  }
  if (generatorTolerance !== undefined && generatorTolerance > goalWidth) {
    problems.push(
      `${file}: search.generatorTolerance must be at most search.goalWidth (${goalWidth}), got ${generatorTolerance}; a pass whose generator fell further short cannot bound a rate to goalWidth`,
    );
  }
  return problems;
}
