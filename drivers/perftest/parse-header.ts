// perftest's header block: the test title, "Key : value" pairs (device, transport, MTU …) and the
// local and remote GIDs.
import type { PerftestTest } from './command.js';
import { TABLE_HEADER_RE } from './parse-table.js';

/** The test title line perftest prints centred in the header, mapped to the program. */
const TITLE_TO_TEST: Record<string, PerftestTest> = {
  'RDMA_Write Latency Test': 'ib_write_lat',
  'Send Latency Test': 'ib_send_lat',
  'RDMA_Read Latency Test': 'ib_read_lat',
  'RDMA_Write BW Test': 'ib_write_bw',
  'Send BW Test': 'ib_send_bw',
  'RDMA_Read BW Test': 'ib_read_bw',
};

export interface PerftestHeader {
  title: string | null;
  test: PerftestTest | null;
  /** Every "Key : value" pair of the header block, as printed. */
  fields: Record<string, string>;
  device: string | null;
  transportType: string | null;
  connectionType: string | null;
  linkType: string | null;
  mtuBytes: number | null;
  gidIndex: number | null;
  txDepth: number | null;
  numberOfQps: number | null;
  maxInlineBytes: number | null;
  rdmaCm: boolean | null;
  dataExchange: string | null;
  localGid: string | null;
  remoteGid: string | null;
}

// " Dual-port       : OFF\t\tDevice         : rxe1" holds two pairs separated by tabs;
// " Mtu             : 1024[B]" (bytes); " rdma_cm QPs\t : OFF"
const HEADER_PAIR_RE = /^\s*([A-Za-z][^:]*?)\s*:\s*(.*?)\s*$/;
// " GID: 00:00:00:00:00:00:00:00:00:00:255:255:10:231:00:02" (decimal bytes, after an address line)
const GID_RE = /^\s*GID:\s*([0-9a-f:]+)\s*$/i;
// " local address: LID 0000 QPN 0x0011 PSN 0x74ae06 …" / " remote address: …"
const ADDRESS_RE = /^\s*(local|remote) address:/;

function intOrNull(text: string | undefined): number | null {
  if (text === undefined) return null;
  // "1024[B]" (bytes) or "1"
  const m = /^(-?\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}

export function parsePerftestHeader(lines: string[]): PerftestHeader {
  const fields: Record<string, string> = {};
  let title: string | null = null;
  let localGid: string | null = null;
  let remoteGid: string | null = null;
  let lastAddress: 'local' | 'remote' | null = null;
  const tableStart = lines.findIndex((l) => TABLE_HEADER_RE.test(l));
  const headerLines = tableStart < 0 ? lines : lines.slice(0, tableStart);
  for (const line of headerLines) {
    const trimmed = line.trim();
    if (title === null && Object.hasOwn(TITLE_TO_TEST, trimmed)) {
      title = trimmed;
      continue;
    }
    const address = ADDRESS_RE.exec(line);
    if (address) {
      lastAddress = address[1] as 'local' | 'remote';
      continue;
    }
    const gid = GID_RE.exec(line);
    if (gid) {
      if (lastAddress === 'local') localGid = gid[1]!;
      if (lastAddress === 'remote') remoteGid = gid[1]!;
      continue;
    }
    if (title === null) continue;
    // Tabs separate two pairs only when a key follows ("OFF\t\tDevice"), not in "rdma_cm QPs\t : OFF".
    for (const part of line.split(/\t+(?=[A-Za-z])/)) {
      const m = HEADER_PAIR_RE.exec(part);
      if (m && !(m[1]! in fields)) fields[m[1]!] = m[2]!;
    }
  }
  const onOff = (v: string | undefined) => (v === 'ON' ? true : v === 'OFF' ? false : null);
  return {
    title,
    test: title ? TITLE_TO_TEST[title]! : null,
    fields,
    device: fields['Device'] ?? null,
    transportType: fields['Transport type'] ?? null,
    connectionType: fields['Connection type'] ?? null,
    linkType: fields['Link type'] ?? null,
    mtuBytes: intOrNull(fields['Mtu']),
    gidIndex: intOrNull(fields['GID index']),
    txDepth: intOrNull(fields['TX depth']),
    numberOfQps: intOrNull(fields['Number of qps']),
    maxInlineBytes: intOrNull(fields['Max inline data']),
    rdmaCm: onOff(fields['rdma_cm QPs']),
    dataExchange: fields['Data ex. method'] ?? null,
    localGid,
    remoteGid,
  };
}
