// SVG → PDF for the one-figure summary: a real chart SVG (rendered from the fixture run full-a's
// verdicts) becomes a one-page vector PDF the size of the figure, with DejaVu Sans embedded.
import { describe, expect, it } from 'vitest';
import { summaryChart } from '../../report/charts/index.js';
import { loadReportInputs } from '../../report/inputs.js';
import { svgSize, svgToPdf } from '../../report/pdf.js';
import { renderChart } from '../../report/render.js';
import { copyFixtureRun } from './fixture-runs.js';

describe('svgToPdf', () => {
  it('writes a one-page PDF the size of the SVG with the fonts embedded', async () => {
    const inputs = loadReportInputs(copyFixtureRun('full-a'));
    const chart = summaryChart(inputs.verdicts, 'fixture full-a')!;
    const warnings: string[] = [];
    const { svg } = await renderChart(chart.spec, warnings);
    expect(warnings).toEqual([]);
    const pdf = await svgToPdf(svg, { title: chart.title });
    const text = pdf.toString('latin1');
    expect(text.startsWith('%PDF-')).toBe(true);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    expect(text.match(/\/Type \/Page\b/g)?.length).toBe(1);
    const { width, height } = svgSize(svg);
    expect(text).toContain(`/MediaBox [0 0 ${width} ${height}]`);
    expect(text).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans\b/);
    expect(text).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans-Bold\b/);
    // Vector, not an embedded raster image.
    expect(text).not.toMatch(/\/Subtype \/Image/);
    // The same chart gives the same bytes (no timestamps).
    expect((await svgToPdf(svg, { title: chart.title })).equals(pdf)).toBe(true);
  });

  it('says what is wrong with an SVG it cannot size', async () => {
    await expect(svgToPdf('<svg xmlns="http://www.w3.org/2000/svg"></svg>')).rejects.toThrow(/no width and height/);
  });
});
