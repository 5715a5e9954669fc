// The throughput searches in words and as a table, for report.txt (which the closing summary of
// `run` prints) and report.md: why each search stopped and how wide its brackets are, honestly.
import type { SearchEntry } from './inputs.js';
import { fmtPct, fmtPps, MISSING, pathDisplay, sizeLabel } from './format.js';
import type { TargetBounds } from '../core/search-result.js';

export const SEARCH_TABLE_HEADER = ['path', 'size', 'stop', 'trials', 'full-length eq.', 'NDR pps', 'NDR bracket', 'PDR pps', 'PDR bracket', 'MRR pps'];

/** "249k–250k (0.25 %, converged)": the bracket a bound comes from, its width and state. */
export function bracketText(b: TargetBounds): string {
  if (b.state === 'max-rate-passes') return 'max rate passed';
  if (b.state === 'min-rate-lossy') return 'min rate lossy';
  const width = b.widthRel === null ? 'no lower bound' : fmtPct(b.widthRel);
  const generator = b.upperIsGeneratorLimit ? ', generator limit' : '';
  return `${fmtPps(b.lowerPps)}–${b.upperPps === null ? MISSING : fmtPps(b.upperPps)} (${width}, ${b.state}${generator})`;
}

export function searchTableRows(searches: readonly SearchEntry[]): string[][] {
  return searches.map((s) => {
    const r = s.result;
    return [
      pathDisplay(s.pathLabel, s.emulated),
      sizeLabel(s.msgSizeBytes),
      r.stopReason,
      String(r.trialCount),
      String(r.fullLengthEquivalentTrials),
      fmtPps(r.ndrPps),
      bracketText(r.ndr),
      fmtPps(r.pdrPps),
      bracketText(r.pdr),
      fmtPps(r.mrrPps),
    ];
  });
}

/** Plain-text lines for report.txt and the closing summary; empty when nothing was searched. */
export function searchSummaryLines(searches: readonly SearchEntry[] | null): string[] {
  if (!searches || searches.length === 0) return [];
  const lines = ['Throughput searches (search.json; bounds from full-length trials only):'];
  for (const s of searches) {
    const r = s.result;
    lines.push(
      `  ${pathDisplay(s.pathLabel, s.emulated)} ${sizeLabel(s.msgSizeBytes)}: ${r.stopReason} after ${r.trialCount} trials (${r.fullLengthEquivalentTrials} full-length-equivalent); ` +
        `NDR ${fmtPps(r.ndrPps)} pps [${bracketText(r.ndr)}]; PDR ${fmtPps(r.pdrPps)} pps [${bracketText(r.pdr)}]; MRR ${fmtPps(r.mrrPps)} pps`,
    );
    if (r.stopReason !== 'converged') lines.push(`    why: ${r.stopDetail}`);
  }
  return lines;
}
