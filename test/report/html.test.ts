// report.html in a real browser: Debian's Chromium, headless, driven by playwright-core, from a
// file:// URL with networking disabled. No console errors, every chart draws marks, and the verdict
// strip shows a verdict's reason as its tooltip. The run is a copy of the real fixture quick-a with
// the derived extras of fixture-runs.ts (verdicts from the real rule, real attribution captures,
// simulated throughput searches), so every kind of chart is exercised.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../report/write.js';
import { copyFixtureRun, removeTempDirs } from './fixture-runs.js';

const CHROMIUM = '/usr/bin/chromium';

afterAll(removeTempDirs);

describe('report.html in headless Chromium', () => {
  let context: BrowserContext;
  let userDataDir: string;
  let runDir: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium; ./setup.sh does)`);
    runDir = copyFixtureRun('full-a');
    const report = await writeReport(runDir, { render: false });
    expect(report.warnings).toEqual([]);
    userDataDir = mkdtempSync(join(tmpdir(), 'bb-h7-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1300, height: 900 },
      offline: true,
    });
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('opens without console errors and draws marks in every chart', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(join(runDir, 'report.html')).href);
    await page.waitForSelector('body[data-charts-ready="true"]', { timeout: 30_000 });

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
  });

  it('shows a verdict reason as the tooltip of its cell', async () => {
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(runDir, 'report.html')).href);
    await page.waitForSelector('body[data-charts-ready="true"]', { timeout: 30_000 });
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
  });
});
