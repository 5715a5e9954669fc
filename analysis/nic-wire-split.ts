// NIC/wire split of the attribution's `nicWire` component from hardware timestamps (probe option
// `hwTimestamps`, where both test NICs stamp every packet).
//
// Software stamps put the driver hand-off on each host's system clock; hardware stamps put the
// packet on the wire on each NIC's own clock (PHC). Every interval below is taken on ONE clock:
//   wire = (cRxHw − cTxHw) − (sTxHw − sRxHw)   the client NIC's round trip minus the server NIC's
//                                                residence: both directions on the cable/switch
//   nic  = nicWire − wire                       both NICs, both directions: driver ⇄ wire
// so no PHC has to agree with another host's clock or with the system clock. `wire` is measured;
// `nic` is derived from two measured intervals (legs minus wire) and labelled so (`derived`).
// Only direct paths (no relays): with relays the legs are shared out by assumption already.
import type { TsprobeRecord } from '../drivers/tsprobe/index.js';
import { percentile } from './attribution-bands.js';

export interface NicWireSplit {
  source: 'hardware timestamps (both NICs, each interval on one clock)';
  /** Complete requests with all four hardware stamps. */
  requests: number;
  wire: { p50Us: number; p99Us: number; shareP50: number | null; shareP99: number | null };
  nic: { p50Us: number; p99Us: number; shareP50: number | null; shareP99: number | null };
  /** Parts computed from other measured intervals rather than stamped directly. */
  derived: ['nic'];
  /** Why a share is null (a band with too few hardware-stamped requests). */
  reason: string | null;
}

interface Member {
  seq: number;
  rttUs: number;
  nicWire: number;
}

/** Wire and NIC time of one request in µs, or null without all four hardware stamps. */
export function requestWire(r: TsprobeRecord, nicWireUs: number): { wireUs: number; nicUs: number } | null {
  if (r.relays.length > 0 || r.cTxHwNs === null || r.cRxHwNs === null || r.sRxHwNs === null || r.sTxHwNs === null) return null;
  const wireUs = (r.cRxHwNs - r.cTxHwNs - (r.sTxHwNs - r.sRxHwNs)) / 1e3;
  return { wireUs, nicUs: nicWireUs - wireUs };
}

/**
 * The split over the complete requests (`records[i]` belongs to `perRequest[i]`), with shares of
 * the same RTT bands as the other components; null when no request has hardware stamps.
 */
export function splitNicWire(
  records: readonly TsprobeRecord[],
  perRequest: readonly Member[],
  bands: { p50: { members: readonly Member[] }; p99: { members: readonly Member[] }; minBand: number },
): NicWireSplit | null {
  const bySeq = new Map<number, { wireUs: number; nicUs: number }>();
  perRequest.forEach((c, i) => {
    const record = records[i];
    const w = record ? requestWire(record, c.nicWire) : null;
    if (w) bySeq.set(c.seq, w);
  });
  if (bySeq.size === 0) return null;
  const reasons: string[] = [];
  const share = (name: 'p50' | 'p99', pick: 'wireUs' | 'nicUs'): number | null => {
    let partUs = 0;
    let rttUs = 0;
    let n = 0;
    for (const m of bands[name].members) {
      const w = bySeq.get(m.seq);
      if (!w) continue;
      partUs += w[pick];
      rttUs += m.rttUs;
      n++;
    }
    if (n < bands.minBand) {
      const why = `${name} band: ${n} requests with hardware stamps, at least ${bands.minBand} needed`;
      if (!reasons.includes(why)) reasons.push(why);
      return null;
    }
    return rttUs > 0 ? partUs / rttUs : null;
  };
  const values = [...bySeq.values()];
  const sorted = (pick: 'wireUs' | 'nicUs') => Float64Array.from(values.map((v) => v[pick])).sort();
  const wireSorted = sorted('wireUs');
  const nicSorted = sorted('nicUs');
  return {
    source: 'hardware timestamps (both NICs, each interval on one clock)',
    requests: bySeq.size,
    wire: { p50Us: percentile(wireSorted, 50), p99Us: percentile(wireSorted, 99), shareP50: share('p50', 'wireUs'), shareP99: share('p99', 'wireUs') },
    nic: { p50Us: percentile(nicSorted, 50), p99Us: percentile(nicSorted, 99), shareP50: share('p50', 'nicUs'), shareP99: share('p99', 'nicUs') },
    derived: ['nic'],
    reason: reasons.length ? reasons.join('; ') : null,
  };
}
