// testpmd against captures others published (test/fixtures/testpmd/published/): every counter a
// person read off a capture is what the parser keeps, one record per run; then a focused test per
// defect those captures exposed.
import { describe, expect, test } from 'vitest';
import { testpmdDriver, type TestpmdNative } from '../../../drivers/testpmd/index.js';
import type { Measurement } from '../../../core/trial.js';
import { handNumber, loadPublished, publishedNames } from '../../helpers/published.js';

const TOOL = 'testpmd';
const parse = (text: string) => testpmdDriver.parse({ stdout: text, stderr: '', exitCode: 0 });
const nat = (m: Measurement) => m.native as unknown as TestpmdNative & { outputForm: string; warnings: string[] };

// "RX-packets" → rxPackets: the printed counter names and where the parser keeps them.
const PORT_KEYS: Record<string, string> = {
  'RX-packets': 'rxPackets',
  'RX-missed': 'rxMissed',
  'RX-bytes': 'rxBytes',
  'RX-errors': 'rxErrors',
  'RX-nombuf': 'rxNombuf',
  'TX-packets': 'txPackets',
  'TX-errors': 'txErrors',
  'TX-bytes': 'txBytes',
  'Rx-pps': 'rxPps',
  'Rx-bps': 'rxBps',
  'Tx-pps': 'txPps',
  'Tx-bps': 'txBps',
};
const FWD_KEYS: Record<string, string> = {
  'RX-packets': 'rxPackets',
  'RX-dropped': 'rxDropped',
  'RX-total': 'rxTotal',
  'TX-packets': 'txPackets',
  'TX-dropped': 'txDropped',
  'TX-total': 'txTotal',
  'RX-error': 'rxError',
  'RX-nombufs': 'rxNombufs',
};
const STREAM_KEYS: Record<string, string> = {
  rx_port: 'rxPort',
  rx_queue: 'rxQueue',
  'RX-packets': 'rxPackets',
  'TX-packets': 'txPackets',
  'TX-dropped': 'txDropped',
};

function compareFields(where: string, want: Record<string, unknown>, got: Record<string, unknown> | undefined, keys: Record<string, string>, bad: string[]) {
  for (const [key, value] of Object.entries(want)) {
    if (key === 'label') continue;
    const field = key === 'port' ? 'port' : keys[key];
    if (field === undefined) {
      bad.push(`${where} ${key}: no rule to compare this hand-read key`);
      continue;
    }
    const n = handNumber(value);
    if ((n === undefined ? value : n) !== got?.[field]) bad.push(`${where} ${key}: read ${JSON.stringify(value)}, parsed ${JSON.stringify(got?.[field])}`);
  }
}

function compareStop(where: string, want: Record<string, unknown>, natives: ReturnType<typeof nat>[], bad: string[]) {
  const final = natives.map((n) => n.final).find((f) => f !== null) ?? null;
  const streams = natives.flatMap((n) => n.streams);
  const wantStreams = (want['streams'] as Record<string, unknown>[] | undefined) ?? [];
  wantStreams.forEach((s, i) => compareFields(`${where} stream ${i}`, s, streams[i] as unknown as Record<string, unknown>, STREAM_KEYS, bad));
  const wantPorts = (want['forward_statistics'] as Record<string, unknown>[] | undefined) ?? [];
  wantPorts.forEach((p, i) => compareFields(`${where} port block ${i}`, p, final?.ports[i] as unknown as Record<string, unknown>, FWD_KEYS, bad));
  if (want['accumulated'])
    compareFields(
      `${where} accumulated`,
      want['accumulated'] as Record<string, unknown>,
      final?.accumulated as unknown as Record<string, unknown>,
      FWD_KEYS,
      bad,
    );
}

describe('testpmd: captures others published parse to the counters read off them by hand', () => {
  test.each(publishedNames(TOOL))('%s', (name) => {
    const { text, expected } = loadPublished(TOOL, name);
    const records = parse(text);
    const natives = records.map(nat);
    const bad: string[] = [];
    const snapshots = natives.flatMap((n) => n.periodic.flat());
    const wantSnapshots = Array.isArray(expected['snapshots']) ? (expected['snapshots'] as Record<string, unknown>[]) : [];
    expect(snapshots).toHaveLength(wantSnapshots.length);
    wantSnapshots.forEach((s, i) => compareFields(`snapshot ${i}`, s, snapshots[i] as unknown as Record<string, unknown>, PORT_KEYS, bad));
    for (const key of ['stop', 'fwd_stats']) if (expected[key]) compareStop(key, expected[key] as Record<string, unknown>, natives, bad);
    if (Array.isArray(expected['xstats'])) {
      const xstats = natives.flatMap((n) => n.extendedStats);
      (expected['xstats'] as Record<string, unknown>[]).forEach(({ port, ...values }, i) => {
        expect(xstats[i]).toEqual({ port, values });
      });
    }
    if (typeof expected['forward_statistics'] === 'string') expect(natives.every((n) => n.final === null)).toBe(true);
    // "flowgen (with retry)": the first word is the mode testpmd names; "(from the command line)" is not in the capture.
    const mode = String(expected['forward_mode'] ?? '');
    if (mode && !/[(;] ?(from|per) /.test(mode)) expect(natives[0]!.forwardMode).toBe(mode.split(' ')[0]);
    // "ports: 1": the forwarding line's count, or, without one, the ports the statistics show
    // (port snapshots, or the forward-statistics blocks of "stop" / "show fwd stats all").
    const statPorts = [...snapshots.map((p) => p.port), ...natives.flatMap((n) => n.final?.ports.map((p) => p.port) ?? [])];
    if (typeof expected['ports'] === 'number') expect(natives[0]!.portCount ?? new Set(statPorts).size).toBe(expected['ports']);
    // Labelled snapshots are separate runs ("without this commit" / "with this commit").
    const labels = new Set(wantSnapshots.map((s) => s['label']).filter((l) => l !== undefined));
    expect(records).toHaveLength(Math.max(1, labels.size));
    expect(bad).toEqual([]);
    for (const n of natives) expect(n.outputForm).toEqual(expect.any(String));
  });
});

describe('testpmd: defects the published captures exposed', () => {
  const records = (name: string) => parse(loadPublished(TOOL, name).text);

  test('a single "show port stats" snapshot yields its "since last show" rate', () => {
    const [m] = records('mlx5-rxonly-huge-missed-sigitp');
    expect(m!.status).toBe('ok');
    expect(m!.achievedPps).toBe(35965981);
    expect(m!.throughputGbps).toBeCloseTo(18414582544 / 1e9, 9);
  });

  test('TX-errors, RX-missed and RX-errors count as loss when there is no forward-statistics block', () => {
    const [without, withCommit] = records('afxdp-two-snapshots-txerrors-xuanzhuo');
    expect(without!.lossRatio).toBeCloseTo(20738 / 3615824336, 12);
    expect(withCommit!.lossRatio).toBeCloseTo(33216 / 68152727, 12);
    const [missed] = records('mlx5-rxonly-huge-missed-sigitp');
    expect(missed!.lossRatio).toBeCloseTo(1245923873 / (2533284493 + 1245923873), 12);
    const [twoPorts] = records('two-ports-rx-missed-errors-vn');
    expect(twoPorts!.lossRatio).toBeCloseTo((33265762 + 2) / (1947852761 + 33265762 + 2), 12);
  });

  test('two pasted snapshots whose counters went down are two runs, each with its own rate', () => {
    const runs = records('afxdp-two-snapshots-txerrors-xuanzhuo');
    expect(runs.map((r) => r.achievedPps)).toEqual([3790446, 6333196]);
    expect(runs.map((r) => r.receivedPackets)).toEqual([3615824336, 68152727]);
  });

  test('two snapshots of one process then stop: one run, totals from the forward statistics', () => {
    const runs = records('mlx5-rxonly-stop-sigitp');
    expect(runs).toHaveLength(1);
    expect(runs[0]!.receivedPackets).toBe(13821715860);
    expect(runs[0]!.achievedPps).toBe((91357480 + 91423478) / 2);
  });

  test('a run that forwarded zero packets is failed, not ok', () => {
    const [m] = records('zero-forwarded-rx-error-lines-vn');
    expect(m!.status).toBe('failed');
    expect(m!.error).toMatch(/forwarded no packets.*RX-errors 2/);
    expect(m!.achievedPps).toBeNull();
  });

  test('xstats alone give the packet counts, from the good-packet counters', () => {
    const [m] = records('afxdp-xstats-2queues-dts');
    expect(m!.status).toBe('ok');
    expect(m!.receivedPackets).toBe(317771192);
    expect(m!.sentPackets).toBe(317771128);
    expect(m!.lossRatio).toBe(0);
    expect(m!.achievedPps).toBeNull();
    expect(nat(m!).warnings).toEqual(expect.arrayContaining([expect.stringMatching(/packet rate unknown/)]));
  });

  test('xstats with only per-queue counters are summed over the queues', () => {
    const text = loadPublished(TOOL, 'afxdp-xstats-2queues-dts')
      .text.split('\n')
      .filter((l) => !/_good_/.test(l))
      .join('\n');
    const [m] = parse(text);
    expect(m!.receivedPackets).toBe(158878968 + 158892224);
    expect(m!.sentPackets).toBe(158878904 + 158892224);
  });

  test('older layouts: pps without bps, and the two-line layout without RX-missed, are read with warnings', () => {
    const [pps] = records('ixgbe-vf-rxpps-only-layout-mdd-dts');
    expect(pps!.achievedPps).toBe(634);
    expect(pps!.throughputGbps).toBeNull();
    expect(nat(pps!).outputForm).toMatch(/pps-only/);
    const [legacy] = records('legacy-layout-rx-errors-jumbo-dts');
    expect(nat(legacy!).outputForm).toMatch(/legacy two-line layout/);
    expect(legacy!.status).toBe('failed');
    expect(legacy!.error).toMatch(/forwarded no packets.*RX-errors 1/);
  });

  test('a stop without the accumulated block: totals from the port blocks, with a warning', () => {
    const [m] = records('vf-queues-stop-no-accumulated-collapsed-dts');
    expect(m!.status).toBe('ok');
    expect(m!.receivedPackets).toBe(3);
    expect(m!.sentPackets).toBe(3);
    expect(m!.lossRatio).toBe(0);
    expect(nat(m!).warnings).toEqual(expect.arrayContaining([expect.stringMatching(/no accumulated forward statistics/)]));
  });

  test('flowgen is a generator: its rate is what it sent', () => {
    const [m] = records('mlx5-flowgen-fwdstats-sigitp');
    expect(nat(m!).forwardMode).toBe('flowgen');
    expect(m!.achievedPps).toBe(107614610);
    expect(m!.lossRatio).toBe(0);
  });
});
