// Headless rendering in Node: Vega-Lite → Vega (vega-lite compile), Vega → SVG (a View with no
// renderer, toSVG), SVG → PNG (resvg, a Rust rasterizer shipped as a prebuilt binary inside its
// npm package). No browser is involved, so `run` and `report` work on a bare server.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { parse, View, type Spec } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface RenderedChart {
  /** The compiled Vega spec (what the HTML report embeds). */
  vega: Spec;
  svg: string;
}

/** Collects Vega-Lite's compile warnings instead of letting it print them to the console. */
function collectingLogger(warnings: string[]) {
  let level = 2;
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error(...args: readonly unknown[]): never {
      throw new Error(args.map(String).join(' '));
    },
    warn(...args: readonly unknown[]) {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/** Compiles to Vega; Vega-Lite's warnings (a spec that asks for something odd) go to `warnings`. */
export function compileToVega(spec: TopLevelSpec, warnings: string[] = []): Spec {
  return compile(spec, { logger: collectingLogger(warnings) }).spec;
}

export async function renderSvg(vegaSpec: Spec, warnings: string[] = []): Promise<string> {
  const view = new View(parse(vegaSpec), { renderer: 'none', logger: collectingLogger(warnings), logLevel: 2 });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderChart(spec: TopLevelSpec, warnings: string[] = []): Promise<RenderedChart> {
  const vega = compileToVega(spec, warnings);
  return { vega, svg: await renderSvg(vega, warnings) };
}

/**
 * PNG at `scale` × the SVG's size (2 = sharp on high-density screens and in READMEs). Text uses
 * the system's fonts; Debian's fonts-dejavu-core provides the sans-serif the charts ask for.
 */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

let vegaRuntime: string | null = null;

/** vega's build/ folder (its package exports only the module entry, which lives there). */
function vegaBuildDir(): string {
  return dirname(createRequire(import.meta.url).resolve('vega'));
}

/** The minified Vega runtime, inlined into report.html so it renders offline. */
export function vegaRuntimeSource(): string {
  vegaRuntime ??= readFileSync(join(vegaBuildDir(), 'vega.min.js'), 'utf8');
  return vegaRuntime;
}

export function vegaVersion(): string {
  return (JSON.parse(readFileSync(join(vegaBuildDir(), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Vega's BSD-3-Clause licence, which must travel with the inlined runtime. */
export function vegaLicenseText(): string {
  return readFileSync(join(vegaBuildDir(), '..', 'LICENSE'), 'utf8');
}
