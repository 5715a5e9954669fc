// The NIC/wire split from hardware stamps, on hand-made records whose answers are known exactly:
// each NIC's clock is offset from its host's system clock (and from the other NIC's) by seconds,
// and the split must not care, because every interval it takes is on one clock.
import { describe, expect, test } from 'vitest';
import { attribute } from '../../analysis/attribution.js';
import { requestWire } from '../../analysis/nic-wire-split.js';
import { parseTsprobeRecords } from '../../drivers/tsprobe/index.js';
import { baseRow, toCsv, type Row } from '../helpers/tsprobe-records.js';

const CLIENT_PHC_NS = 5_000_000_000; // client NIC clock − client system clock
const SERVER_PHC_NS = -3_000_000_000; // server NIC clock − server system clock

/** baseRow's request (legs 1000 ns) with NIC times 200 + 50 + 100 + 150 ns and 250 ns of wire each way. */
function hwRow(seq: number): Row {
  const row = baseRow(seq);
  const at = (name: string) => row[name] as number;
  return {
    ...row,
    c_txhw_ns: at('c_tx_ns') + 200 + CLIENT_PHC_NS,
    s_rxhw_ns: at('s_rx_ns') - 50 + SERVER_PHC_NS,
    s_txhw_ns: at('s_tx_ns') + 100 + SERVER_PHC_NS,
    c_rxhw_ns: at('c_rx_ns') - 150 + CLIENT_PHC_NS,
  };
}

describe('NIC/wire split from hardware stamps', () => {
  test('wire = client NIC round trip − server NIC residence; NIC = legs − wire, whatever the clocks', () => {
    const [record] = parseTsprobeRecords(toCsv([hwRow(0)]));
    expect(requestWire(record!, 1)).toEqual({ wireUs: 0.5, nicUs: 0.5 });
  });

  test('the attribution carries the split with shares of the same bands, NIC labelled derived', () => {
    const records = parseTsprobeRecords(toCsv(Array.from({ length: 200 }, (_, i) => hwRow(i))));
    const result = attribute(records, { minBandRequests: 1 });
    if (result.status !== 'ok') throw new Error(result.reason);
    const split = result.nicWireSplit;
    expect(split).not.toBeNull();
    expect(split!.requests).toBe(200);
    expect(split!.wire.p50Us).toBeCloseTo(0.5, 9);
    expect(split!.nic.p99Us).toBeCloseTo(0.5, 9);
    expect(split!.derived).toEqual(['nic']);
    // Wire + NIC = the nicWire component's share (1000 of 10 100 ns per request).
    expect(split!.wire.shareP50! + split!.nic.shareP50!).toBeCloseTo(result.components.nicWire.shareP50!, 9);
    expect(split!.wire.shareP99).toBeCloseTo(500 / 10100, 9);
  });

  test('without hardware stamps on every side there is no split (null), and a thin band says why', () => {
    const plain = parseTsprobeRecords(toCsv(Array.from({ length: 100 }, (_, i) => baseRow(i))));
    const a = attribute(plain, { minBandRequests: 1 });
    expect(a.status === 'ok' && a.nicWireSplit).toBeNull();
    const oneSided = parseTsprobeRecords(toCsv([{ ...hwRow(0), s_txhw_ns: null }]));
    expect(requestWire(oneSided[0]!, 1)).toBeNull();
    const few = parseTsprobeRecords(toCsv([...Array.from({ length: 100 }, (_, i) => baseRow(i)), hwRow(100)]));
    const b = attribute(few);
    if (b.status !== 'ok') throw new Error(b.reason);
    expect(b.nicWireSplit?.requests).toBe(1);
    expect(b.nicWireSplit?.wire.shareP50).toBeNull();
    expect(b.nicWireSplit?.reason).toMatch(/p50 band: \d+ requests with hardware stamps, at least 50 needed/);
  });
});
