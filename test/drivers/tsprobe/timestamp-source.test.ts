// Which timestamps a probe side got, and why, from its socket summary.
import { describe, expect, it } from 'vitest';
import type { TsprobeSocketStamps } from '../../../drivers/tsprobe/parse.js';
import { timestampSource } from '../../../drivers/tsprobe/timestamp-source.js';

const stamps = (hardware: TsprobeSocketStamps['hardware'], rxHardware = 0, txHardware = 0): TsprobeSocketStamps => ({
  flagsRequested: [],
  flagsObtained: [],
  txIdMode: 'counter',
  rxSoftware: 100,
  rxHardware,
  rxMissing: 0,
  txSoftware: 100,
  txSched: 0,
  txHardware,
  txUnmatched: 0,
  txMismatched: 0,
  hardware,
});

describe('timestampSource', () => {
  it('not requested, refused by the NIC, enabled without stamps, enabled with stamps', () => {
    expect(timestampSource(stamps(null)).source).toBe('software');
    expect(timestampSource(stamps(null)).reason).toMatch(/not requested/);
    expect(
      timestampSource(stamps({ requested: true, iface: 'veth0', status: 'unsupported', reason: 'NIC reports no hardware TX/RX timestamping for all packets' })),
    ).toEqual({
      source: 'software',
      reason: 'the NIC on veth0 gave no hardware stamps: NIC reports no hardware TX/RX timestamping for all packets',
    });
    expect(timestampSource(stamps({ requested: true, iface: 'ens1f0', status: 'enabled' })).reason).toMatch(
      /enabled on ens1f0 \(SIOCSHWTSTAMP\) but no hardware stamp arrived/,
    );
    expect(timestampSource(stamps({ requested: true, iface: 'ens1f0', status: 'enabled' }, 100, 99))).toEqual({
      source: 'hardware',
      reason: 'NIC stamps on ens1f0: 100 RX and 99 TX hardware stamps',
    });
    expect(timestampSource(undefined)).toEqual({ source: 'unknown', reason: 'no timestamping summary of this side reached the record' });
  });
});
