// writeReport on copies of the real fixture run test/fixtures/runs/quick-a: every file is written,
// PNGs are real images, report.md matches its snapshot, report.html needs nothing from the network.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { writeReport, type WrittenReport } from '../../report/write.js';
import { copyFixtureRun, removeTempDirs } from './fixture-runs.js';

/** Width and height from a PNG's IHDR chunk (bytes 16–23, big-endian). */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Share of pixels that are not (near) white when the SVG is rasterized. */
function inkRatio(svg: string): number {
  const image = new Resvg(svg, { background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render();
  const px = image.pixels;
  let ink = 0;
  for (let i = 0; i < px.length; i += 4) if (px[i]! < 235 || px[i + 1]! < 235 || px[i + 2]! < 235) ink++;
  return ink / (px.length / 4);
}

afterAll(removeTempDirs);

describe('writeReport (real fixture run quick-a)', () => {
  let dir: string;
  let report: WrittenReport;

  beforeAll(async () => {
    dir = copyFixtureRun('quick-a');
    report = await writeReport(dir);
  });

  it('writes every document and chart without warnings', () => {
    expect(report.warnings).toEqual([]);
    for (const f of ['trials.csv', 'summary.json', 'report.txt', 'report.html', 'report.md']) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(report.charts).toEqual(['latency', 'rate', 'cpu']);
    for (const name of report.charts) {
      for (const ext of ['vl.json', 'svg', 'png']) expect(existsSync(join(dir, 'charts', `${name}.${ext}`)), `${name}.${ext}`).toBe(true);
    }
    expect(report.rows).toHaveLength(12);
    for (const r of report.rows) {
      expect(r.p50Us!).toBeGreaterThan(0);
      expect(r.p99Us!).toBeGreaterThanOrEqual(r.p50Us!);
      expect(r.lossRatio!).toBeGreaterThanOrEqual(0);
      expect(r.lossRatio!).toBeLessThanOrEqual(1);
    }
  });

  it('PNGs are non-trivial images: twice the SVG size, tens of kB, and not blank', () => {
    for (const name of report.charts) {
      const png = readFileSync(join(dir, 'charts', `${name}.png`));
      const svg = readFileSync(join(dir, 'charts', `${name}.svg`), 'utf8');
      const svgWidth = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]);
      const { width, height } = pngSize(png);
      expect(width, name).toBe(svgWidth * 2);
      expect(height, name).toBeGreaterThan(300);
      expect(png.length, name).toBeGreaterThan(20_000);
      const ink = inkRatio(svg);
      expect(ink, name).toBeGreaterThan(0.02);
      expect(ink, name).toBeLessThan(0.6);
    }
  });

  it('report.md matches its snapshot', async () => {
    await expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatchFileSnapshot('./__snapshots__/quick-a.report.md');
  });

  it('report.html is self-contained: no external scripts, styles or images', () => {
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).toContain('no verdicts in this run');
    // Raw outputs are linked relative to the run folder.
    expect(html).toContain('href="raw/t0001-client.stdout"');
    // Run metadata: kernel, CPU, haltpoll, tool versions, git revision, CPU plan, topology.
    for (const needle of ['6.18', 'AMD EPYC', 'guest_halt_poll_ns=', 'sockperf', 'git ', 'client → CPU', 'client.ip']) expect(html).toContain(needle);
  });

  it('regenerates from the saved run, dropping charts whose data is gone', async () => {
    const copy = copyFixtureRun('full-a');
    const withVerdicts = await writeReport(copy);
    expect(withVerdicts.charts[0]).toBe('verdicts');
    expect(readFileSync(join(copy, 'report.md'), 'utf8')).not.toContain('no verdicts in this run');
    rmSync(join(copy, 'verdicts.json'));
    const again = await writeReport(copy);
    expect(again.charts).not.toContain('verdicts');
    expect(existsSync(join(copy, 'charts', 'verdicts.svg'))).toBe(false);
  });

  it('marks emulated results in the table, the Markdown and the HTML', async () => {
    const copy = copyFixtureRun('full-a');
    const r = await writeReport(copy, { render: false });
    expect(r.table).toContain('rdma-rxe (emulated)');
    expect(readFileSync(join(copy, 'report.md'), 'utf8')).toMatch(/\*\*Emulated results\*\*/);
    expect(readFileSync(join(copy, 'report.html'), 'utf8')).toContain('class="banner">Some results were measured under emulation');
  });

  it('names the file and field of a malformed verdicts.json', async () => {
    const copy = copyFixtureRun('quick-a');
    writeFileSync(join(copy, 'verdicts.json'), JSON.stringify([{ verdict: 'maybe', reason: 'x', msgSizeBytes: 64, offeredPps: 1000 }]));
    await expect(writeReport(copy)).rejects.toThrow(UserError);
    await expect(writeReport(copy)).rejects.toThrow(/verdicts\.json: \[0\]\.verdict must be one of/);
  });
});
