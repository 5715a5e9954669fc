// Which timestamps a bb-tsprobe side ended up with — the NIC's (hardware) or the kernel's
// (software) — and why, from the socket summary it prints. The attribution record keeps one per
// side: NIC and wire split only where both sides have hardware stamps.
import type { TsprobeSocketStamps } from './parse.js';

export interface TimestampSource {
  /** unknown: the side's summary did not reach the record (see reason). */
  source: 'hardware' | 'software' | 'unknown';
  reason: string;
}

export function timestampSource(stamps: TsprobeSocketStamps | undefined | null): TimestampSource {
  const hw = stamps?.hardware ?? null;
  if (!stamps) return { source: 'unknown', reason: 'no timestamping summary of this side reached the record' };
  if (!hw?.requested) return { source: 'software', reason: 'hardware timestamps not requested (attribution option hwTimestamps: true asks the NIC)' };
  const on = hw.iface ? ` on ${hw.iface}` : '';
  if (hw.status !== 'enabled') return { source: 'software', reason: `the NIC${on} gave no hardware stamps: ${hw.reason ?? 'unsupported'}` };
  if (stamps.rxHardware === 0 && stamps.txHardware === 0) {
    return { source: 'software', reason: `hardware stamping was enabled${on} (SIOCSHWTSTAMP) but no hardware stamp arrived` };
  }
  return { source: 'hardware', reason: `NIC stamps${on}: ${stamps.rxHardware} RX and ${stamps.txHardware} TX hardware stamps` };
}
