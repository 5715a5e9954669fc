// The path palette: one fixed colour per path name, grouped by family, the same whichever order or
// company a path comes in, and explicit in every chart spec that colours by path.
import { describe, expect, it } from 'vitest';
import { PATH_NAMES, pathFamily } from '../../../core/trial.js';
import { FAMILY_ORDER, PATH_COLORS, pathColorEncoding, pathPalette, type PathEntry } from '../../../report/charts/palette.js';

const entry = (pathLabel: string, path: string | null = pathLabel, emulated = false): PathEntry => ({ pathLabel, path, emulated });

/** Relative luminance (WCAG 2) of a #rrggbb colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

describe('path palette', () => {
  it('gives every known path its own colour, and a path the same colour in any set and order', () => {
    expect(new Set(Object.values(PATH_COLORS)).size).toBe(PATH_NAMES.length);
    const all = pathPalette(PATH_NAMES.map((p) => entry(p)));
    const some = pathPalette([entry('afxdp'), entry('kernel-udp')]);
    const reversed = pathPalette([...PATH_NAMES].reverse().map((p) => entry(p)));
    for (const p of ['afxdp', 'kernel-udp']) {
      expect(some.colorOf(p)).toBe(PATH_COLORS[p as 'afxdp']);
      expect(all.colorOf(p)).toBe(some.colorOf(p));
    }
    expect(reversed.domain).toEqual(all.domain);
    expect(reversed.range).toEqual(all.range);
  });

  it('orders the legend family by family: kernel, tuned kernel, bypass, probe', () => {
    const p = pathPalette([entry('rdma-rxe'), entry('attribution'), entry('kernel-tcp-busypoll'), entry('afxdp'), entry('kernel-udp')]);
    const families = p.domain.map((d) => FAMILY_ORDER.indexOf(p.familyOf(d)!));
    expect(families).toEqual([...families].sort((a, b) => a - b));
    expect(p.domain[0]).toBe('kernel-udp');
  });

  it('keeps kernel paths in blues and bypass paths out of them', () => {
    const isBlue = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      return b! > r! && b! >= g!;
    };
    for (const p of PATH_NAMES) {
      const fam = pathFamily(p);
      if (fam === 'kernel' || fam === 'kernel-tuned') expect(isBlue(PATH_COLORS[p]), p).toBe(true);
      if (fam === 'bypass') expect(isBlue(PATH_COLORS[p]), p).toBe(false);
    }
  });

  it('every colour is visible on a white background (not near-white)', () => {
    for (const c of Object.values(PATH_COLORS)) expect(luminance(c), c).toBeLessThan(0.75);
  });

  it('labels sharing a path get distinct colours from their family, deterministically', () => {
    const set = [entry('udp-a', 'kernel-udp'), entry('udp-b', 'kernel-udp'), entry('afxdp')];
    const p1 = pathPalette(set);
    const p2 = pathPalette([...set].reverse());
    expect(p1.colorOf('udp-a')).not.toBe(p1.colorOf('udp-b'));
    expect(p1.colorOf('udp-a')).toBe(p2.colorOf('udp-a'));
    expect(p1.familyOf('udp-b')).toBe('kernel');
  });

  it('more labels of one family than it has hues still get distinct colours', () => {
    const labels = ['kernel-udp', 'udp-a', 'udp-b', 'udp-c', 'udp-d', 'udp-e', 'udp-f', 'udp-g', 'udp-h'];
    const p = pathPalette(labels.map((l) => entry(l, 'kernel-udp')));
    expect(new Set(labels.map((l) => p.colorOf(l))).size).toBe(labels.length);
  });

  it('an emulated twin of a label keeps its colour', () => {
    const p = pathPalette([entry('rdma-rxe'), entry('rdma-rxe', 'rdma-rxe', true)]);
    expect(p.colorOf('rdma-rxe (emulated)')).toBe(p.colorOf('rdma-rxe'));
  });

  it('a chart’s colour encoding lists only the paths it shows, each in its palette colour', () => {
    const p = pathPalette(PATH_NAMES.map((n) => entry(n)));
    const enc = pathColorEncoding(p, [{ path: 'dpdk-null' }, { path: 'kernel-tcp' }]);
    expect(enc.scale.domain).toEqual(['kernel-tcp', 'dpdk-null']);
    expect(enc.scale.range).toEqual([PATH_COLORS['kernel-tcp'], PATH_COLORS['dpdk-null']]);
  });
});
