// report.html and compare.html in a real browser: Debian's Chromium, headless, driven by
// playwright-core, from file:// URLs with networking disabled. No console errors, no request
// leaves the file, every chart draws marks, and the verdict strip shows a verdict's reason as its
// tooltip. Each chart is screenshotted in the light and the dark page theme (prefers-color-scheme)
// into the test's temp dir (or $BB_SCREENSHOT_DIR, to look at them), and checked for legibility:
// no two text labels of a chart overlap, and page and chart text have WCAG contrast ≥ 4.5:1
// against what is behind it. The run is a copy of the real fixture full-a (FIXTURE.md), so every
// kind of chart is exercised; the comparison is quick-a against a copy with a planted regression.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRuns, environmentDifferences, environmentOf } from '../../analysis/compare.js';
import { loadRun } from '../../core/run-folder.js';
import { writeCompare } from '../../report/compare.js';
import { writeReport } from '../../report/write.js';
import { copyFixtureRun, multiplyRepetitions, plantRegression, removeTempDirs, tempDir } from './fixture-runs.js';

const CHROMIUM = '/usr/bin/chromium';

afterAll(removeTempDirs);

interface Problem {
  chart: string;
  what: string;
}

/** Runs in the page: overlapping text labels inside each chart's SVG, and low-contrast text on the page and in the charts. */
function legibilityProblems(): Problem[] {
  const problems: Problem[] = [];
  const parse = (c: string): [number, number, number, number] | null => {
    const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(c);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : null;
  };
  const lum = ([r, g, b]: number[]) => {
    const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
  };
  const ratio = (a: number[], b: number[]) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p) as [number, number];
    return (x + 0.05) / (y + 0.05);
  };
  const background = (el: Element | null): number[] => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0.5) return c;
    }
    return [255, 255, 255];
  };
  // Page text: headings, paragraphs, table cells, captions, links.
  for (const el of Array.from(document.querySelectorAll('h1, h2, h3, p, td, th, figcaption, dt, dd, nav a, li'))) {
    if (!(el as HTMLElement).innerText?.trim() || (el as HTMLElement).offsetParent === null) continue;
    const fg = parse(getComputedStyle(el).color);
    if (!fg) continue;
    const r = ratio(fg, background(el));
    if (r < 4.5) problems.push({ chart: 'page', what: `${el.tagName.toLowerCase()} "${(el as HTMLElement).innerText.slice(0, 40)}" contrast ${r.toFixed(2)}` });
  }
  for (const chart of Array.from(document.querySelectorAll('.chart'))) {
    const name = chart.getAttribute('data-chart') ?? '?';
    const card = background(chart);
    // Vega hides labels that would collide (labelOverlap) by setting their opacity to 0: those are not drawn.
    const visible = (t: Element) => {
      for (let e: Element | null = t; e && e !== chart; e = e.parentElement) {
        const st = getComputedStyle(e);
        if (st.opacity === '0' || st.display === 'none' || st.visibility === 'hidden' || st.fillOpacity === '0') return false;
      }
      return true;
    };
    const texts = Array.from(chart.querySelectorAll('svg text')).filter((t) => (t.textContent ?? '').trim() !== '' && visible(t));
    const boxes = texts.map((t) => ({ t, r: t.getBoundingClientRect() }));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!.r;
        const b = boxes[j]!.r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        // Glyph boxes include line gaps: only an overlap of more than 2 px each way is a collision.
        if (w > 2 && h > 2) problems.push({ chart: name, what: `"${boxes[i]!.t.textContent}" overlaps "${boxes[j]!.t.textContent}"` });
      }
    }
    // Axis, legend and title text sits on the chart's card; labels drawn on marks are checked by their own colours.
    for (const t of texts) {
      if (t.closest('.mark-text')) continue;
      const fill = parse(getComputedStyle(t).fill);
      if (!fill) continue;
      const r = ratio(fill, card);
      if (r < 4.5) problems.push({ chart: name, what: `text "${t.textContent}" contrast ${r.toFixed(2)}` });
    }
  }
  return problems;
}

async function openPage(context: BrowserContext, file: string, errors: string[], requests: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-charts-ready="true"]', { timeout: 60_000 });
  return page;
}

describe('report.html and compare.html in headless Chromium', () => {
  let context: BrowserContext;
  let userDataDir: string;
  let runDir: string;
  let compareDir: string;
  let shots: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium; ./setup.sh does)`);
    runDir = copyFixtureRun('full-a');
    const report = await writeReport(runDir, { render: false });
    expect(report.warnings).toEqual([]);
    const a = copyFixtureRun('quick-a');
    multiplyRepetitions(a, 2, 1);
    const b = copyFixtureRun('quick-a');
    multiplyRepetitions(b, 2, 2);
    plantRegression(b, 'kernel-tcp', 1024, 20000);
    const [ra, rb] = [loadRun(a), loadRun(b)];
    compareDir = join(tempDir('bb-h-figures-compare-'), 'out');
    const result = compareRuns(
      ra,
      rb,
      {},
      environmentDifferences(ra, rb).some((d) => d.blocking),
    );
    expect((await writeCompare(result, compareDir, false, { a: environmentOf(ra.meta), b: environmentOf(rb.meta) })).warnings).toEqual([]);
    shots = process.env.BB_SCREENSHOT_DIR ?? tempDir('bb-h-figures-shots-');
    mkdirSync(shots, { recursive: true });
    userDataDir = mkdtempSync(join(tmpdir(), 'bb-h7-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1300, height: 900 },
      offline: true,
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('report.html opens without console errors or requests and draws marks in every chart', async () => {
    const errors: string[] = [];
    const requests: string[] = [];
    const page = await openPage(context, join(runDir, 'report.html'), errors, requests);
    const charts = await page.$$eval('.chart', (els) =>
      els.map((el) => ({
        name: el.getAttribute('data-chart'),
        rendered: el.getAttribute('data-rendered'),
        marks: el.querySelectorAll('svg g.mark-symbol path, svg g.mark-line path, svg g.mark-rect path, svg g.mark-rule line').length,
      })),
    );
    expect(charts.map((c) => c.name)).toEqual(['verdicts', 'summary', 'latency', 'rate', 'cpu', 'search', 'attribution']);
    for (const c of charts) {
      expect(c.rendered, c.name!).toBe('true');
      expect(c.marks, c.name!).toBeGreaterThan(2);
    }
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows a verdict reason as the tooltip of its cell', async () => {
    const page = await openPage(context, join(runDir, 'report.html'), [], []);
    // A corner of the cell: its centre is under the label (which carries the same tooltip).
    const cell = page.locator('#chart-verdicts g.mark-rect path').first();
    await cell.hover({ position: { x: 15, y: 8 } });
    const title = await page.locator('#chart-verdicts').getAttribute('title');
    expect(title).toMatch(/verdict: (bypass-wins|no-win|insufficient-data)/);
    expect(title).toMatch(/reason: \S+/);
    const reasons = await page.$$eval('table.verdicts tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent ?? ''));
    // full-a: one size × two rates.
    expect(reasons.length).toBe(2);
    await page.close();
  }, 120_000);

  for (const doc of ['report', 'compare'] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      it(`${doc}.html in the ${scheme} theme: every chart screenshotted, no overlapping labels, text contrast ≥ 4.5`, async () => {
        await context.pages()[0]?.emulateMedia({ colorScheme: scheme });
        const errors: string[] = [];
        const requests: string[] = [];
        const file = doc === 'report' ? join(runDir, 'report.html') : join(compareDir, 'compare.html');
        const page = await context.newPage();
        await page.emulateMedia({ colorScheme: scheme });
        await page.close();
        const p = await openPage(context, file, errors, requests);
        await p.emulateMedia({ colorScheme: scheme });
        const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
        expect(bg).toBe(scheme === 'dark' ? 'rgb(23, 24, 26)' : 'rgb(255, 255, 255)');
        const names = await p.$$eval('.chart[data-rendered="true"]', (els) => els.map((e) => e.getAttribute('data-chart')!));
        expect(names.length).toBeGreaterThan(0);
        for (const name of names) {
          const png = await p.locator(`#chart-${name}`).screenshot({ path: join(shots, `${doc}-${name}-${scheme}.png`) });
          expect(png.length, name).toBeGreaterThan(5_000);
        }
        await p.screenshot({ path: join(shots, `${doc}-page-${scheme}.png`), fullPage: true });
        expect(await p.evaluate(legibilityProblems)).toEqual([]);
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
        await p.close();
      }, 120_000);
    }
  }
});
