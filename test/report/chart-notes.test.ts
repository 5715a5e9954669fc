// A chart with nothing to show is left out with a note, never drawn empty with Vega warnings
// printed to the user ("Infinite extent for field lossRatio", "Log scale domain includes zero", as
// `run suites/softroce.yaml` once printed). The run is a copy of the real fixture quick-a with the
// fields a tool that reports no loss, no rate and no CPU cost would leave empty (null or 0): what
// perftest over Soft-RoCE records; no measurement is invented, only removed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { writeReport } from '../../report/write.js';
import { copyFixtureRun, readTrials, removeTempDirs, writeTrials } from './fixture-runs.js';

afterAll(removeTempDirs);
afterEach(() => vi.restoreAllMocks());

/** Runs fn and returns everything it printed to the console or to stdout/stderr. */
async function printedBy(fn: () => Promise<unknown>): Promise<string[]> {
  const out: string[] = [];
  const capture = (...args: unknown[]) => void out.push(args.map(String).join(' '));
  for (const m of ['log', 'warn', 'error', 'info'] as const) vi.spyOn(console, m).mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  await fn();
  vi.restoreAllMocks();
  return out;
}

describe('charts with nothing to show', () => {
  it('all-null loss: the loss panel is left out and the caption says so; nothing printed, no warnings', async () => {
    const dir = copyFixtureRun('quick-a');
    writeTrials(
      dir,
      readTrials(dir).map((t) => ({ ...t, lossRatio: null })),
    );
    let warnings: string[] = [];
    const printed = await printedBy(async () => (warnings = (await writeReport(dir)).warnings));
    expect(printed).toEqual([]);
    expect(warnings).toEqual([]);
    const spec = readFileSync(join(dir, 'charts', 'rate.vl.json'), 'utf8');
    expect(spec).not.toContain('"field": "lossRatio"');
    expect(spec).toContain('"field": "achievedPps"');
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/Left out: loss \(no trial with an offered rate recorded one/);
  });

  it('zero rates and no CPU cost: the rate and CPU charts become notes in the HTML and Markdown', async () => {
    const dir = copyFixtureRun('quick-a');
    writeTrials(
      dir,
      readTrials(dir).map((t) => ({ ...t, lossRatio: null, achievedPps: 0, cpu: null })),
    );
    let report: Awaited<ReturnType<typeof writeReport>> | undefined;
    const printed = await printedBy(async () => (report = await writeReport(dir)));
    expect(printed).toEqual([]);
    expect(report!.warnings).toEqual([]);
    expect(report!.charts).not.toContain('rate');
    expect(report!.charts).not.toContain('cpu');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/class="note chart-note" data-chart="rate"><b>Achieved rate and loss vs offered rate<\/b>: not drawn, no trial with an offered rate/);
    expect(html).toMatch(/data-chart="cpu"><b>CPU cost vs rate<\/b>: not drawn/);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/_CPU cost vs rate: not drawn, no trial recorded its CPU cost/);
  });
});
