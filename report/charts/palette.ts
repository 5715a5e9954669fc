// One colour per path, the same in every chart of a run and of a comparison. Colours come from
// two colour-blind-safe qualitative palettes (Okabe & Ito 2008; Paul Tol's "muted"), assigned by
// path name, never by the order a chart happens to meet its paths in (Vega's default scheme does
// that, so kernel-udp was purple in one chart and brown in the next). The path family picks the
// hue group: the default kernel in blues, the tuned kernel references in indigo/cyan, bypass
// paths in oranges, greens, purples and reds, the probe in grey. Lines add a dash per family
// (kernel dashed, tuned kernel dotted, bypass solid), so the grouping survives greyscale print and
// colour-vision deficiency, and the legend lists paths family by family.
import { PATH_NAMES, pathFamily, type PathFamily, type PathName } from '../../core/trial.js';
import { pathDisplay } from '../format.js';

export const FAMILY_ORDER: readonly PathFamily[] = ['kernel', 'kernel-tuned', 'bypass', 'probe'];

/** The colour of each known path. */
export const PATH_COLORS: Readonly<Record<PathName, string>> = {
  'kernel-udp': '#0072B2', // Okabe–Ito blue
  'kernel-tcp': '#56B4E9', // Okabe–Ito sky blue
  'kernel-udp-busypoll': '#332288', // Tol indigo
  'kernel-tcp-busypoll': '#88CCEE', // Tol cyan
  afxdp: '#E69F00', // Okabe–Ito orange
  'kernel-to-afxdp': '#D55E00', // Okabe–Ito vermillion
  'dpdk-afxdp': '#009E73', // Okabe–Ito bluish green
  'dpdk-afpacket': '#117733', // Tol green
  'dpdk-wire': '#999933', // Tol olive
  'dpdk-null': '#DDCC77', // Tol sand
  'dpdk-txrx': '#44AA99', // Tol teal
  'dpdk-pci': '#AA4499', // Tol purple
  'rdma-rxe': '#CC79A7', // Okabe–Ito reddish purple
  rdma: '#882255', // Tol wine
  attribution: '#777777',
  service: '#444444', // a real service under attribution: probe family, darker grey
};

/** Colours of the family's hue group for labels that are not a path name and share a path with another label. */
const FAMILY_SPARES: Readonly<Record<PathFamily, readonly string[]>> = {
  kernel: ['#0072B2', '#56B4E9', '#1B4F72', '#6BAED6'],
  'kernel-tuned': ['#332288', '#88CCEE', '#5E4FA2', '#B3D9F2'],
  bypass: ['#E69F00', '#D55E00', '#009E73', '#117733', '#CC79A7', '#882255', '#999933', '#44AA99', '#DDCC77', '#AA4499', '#CC6677'],
  probe: ['#777777', '#AAAAAA', '#444444'],
};

/** Stroke dash per family: [dash, gap] in px; [1, 0] is solid. */
export const FAMILY_DASH: Readonly<Record<PathFamily, number[]>> = {
  kernel: [7, 3],
  'kernel-tuned': [2, 2],
  bypass: [1, 0],
  probe: [1, 0],
};

export interface PathEntry {
  pathLabel: string;
  /** The recorded path; null when only the label is known (then a label that is a path name counts as that path). */
  path: string | null;
  emulated: boolean;
}

export interface PathPalette {
  /** Display labels (pathDisplay), family by family: the legend's order and the colour scale's domain. */
  domain: string[];
  /** Colour of each domain entry, same order. */
  range: string[];
  colorOf(display: string): string | undefined;
  familyOf(display: string): PathFamily | undefined;
}

function stringHash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

function pathOf(e: PathEntry): string {
  return e.path ?? e.pathLabel;
}

/**
 * The palette of a set of paths (every path of a run, or of both runs of a comparison). A label
 * equal to its path name always gets that path's colour; another label gets its path's colour when
 * no other label of the set has that path, else a colour of its family's group chosen by a hash
 * of the label (the next free one on a clash), so the same set always gets the same colours.
 */
export function pathPalette(entries: readonly PathEntry[]): PathPalette {
  const byDisplay = new Map<string, PathEntry>();
  for (const e of entries) byDisplay.set(pathDisplay(e.pathLabel, e.emulated), e);
  const known = PATH_NAMES as readonly string[];
  const rank = (e: PathEntry) => {
    const p = pathOf(e);
    return [FAMILY_ORDER.indexOf(pathFamily(p)), known.includes(p) ? known.indexOf(p) : known.length] as const;
  };
  const domain = [...byDisplay.keys()].sort((a, b) => {
    const [fa, pa] = rank(byDisplay.get(a)!);
    const [fb, pb] = rank(byDisplay.get(b)!);
    return fa - fb || pa - pb || a.localeCompare(b);
  });
  const labelsPerPath = new Map<string, Set<string>>();
  for (const e of byDisplay.values()) labelsPerPath.set(pathOf(e), (labelsPerPath.get(pathOf(e)) ?? new Set()).add(e.pathLabel));
  const colors = new Map<string, string>();
  const used = new Set<string>();
  // First every label that owns its path's colour, then the others, so their choice avoids those.
  const owns = (e: PathEntry) => known.includes(pathOf(e)) && (e.pathLabel === pathOf(e) || labelsPerPath.get(pathOf(e))!.size === 1);
  for (const d of domain) {
    const e = byDisplay.get(d)!;
    if (!owns(e)) continue;
    const c = PATH_COLORS[pathOf(e) as PathName];
    colors.set(d, c);
    used.add(c);
  }
  for (const d of domain) {
    if (colors.has(d)) continue;
    const e = byDisplay.get(d)!;
    // The emulated twin of a label takes the label's colour (its marks are faded instead).
    const twin = domain.find((o) => o !== d && byDisplay.get(o)!.pathLabel === e.pathLabel && colors.has(o));
    if (twin) {
      colors.set(d, colors.get(twin)!);
      continue;
    }
    // The family's own hues first; when a run has more labels of a family than it has hues, any
    // unused colour of the whole palette (two labels in one colour would be worse than a far hue).
    const family = FAMILY_SPARES[pathFamily(pathOf(e))];
    const anyHue = [...new Set(Object.values(FAMILY_SPARES).flat())];
    const start = stringHash(e.pathLabel);
    const free = (list: readonly string[]) => list.map((_, i) => list[(start + i) % list.length]!).find((c) => !used.has(c));
    const pick = free(family) ?? free(anyHue) ?? family[start % family.length]!;
    colors.set(d, pick);
    used.add(pick);
  }
  return {
    domain,
    range: domain.map((d) => colors.get(d)!),
    colorOf: (d) => colors.get(d),
    familyOf: (d) => {
      const e = byDisplay.get(d);
      return e ? pathFamily(pathOf(e)) : undefined;
    },
  };
}

/**
 * Vega-Lite colour encoding by path with an explicit domain and range: the palette's, narrowed to
 * the paths a chart shows (`rows`), so its legend lists only those, each in its run-wide colour.
 */
export function pathColorEncoding(palette: PathPalette, rows?: readonly { path?: unknown }[], legend: Record<string, unknown> = {}) {
  const shown = rows ? new Set(rows.map((r) => r.path)) : null;
  const domain = shown ? palette.domain.filter((d) => shown.has(d)) : palette.domain;
  return {
    field: 'path',
    type: 'nominal' as const,
    title: 'path',
    scale: { domain, range: domain.map((d) => palette.colorOf(d)!) },
    legend: { orient: 'bottom' as const, columns: 4, symbolOpacity: 1, ...legend },
  };
}

/** Vega-Lite stroke-dash encoding by family (the rows carry a `family` field). */
export function familyDashEncoding(palette: PathPalette, rows?: readonly { path?: unknown }[]) {
  const shown = rows ? new Set(rows.map((r) => r.path)) : null;
  const present = FAMILY_ORDER.filter((f) => palette.domain.some((d) => palette.familyOf(d) === f && (!shown || shown.has(d))));
  return {
    field: 'family',
    type: 'nominal' as const,
    title: 'family',
    scale: { domain: present, range: present.map((f) => FAMILY_DASH[f]) },
    legend: { orient: 'bottom' as const, symbolType: 'stroke', symbolStrokeWidth: 2 },
  };
}
