// perftest's header block: the test title, "Key : value" pairs (device, transport, MTU …) and the
// local and remote GIDs.
import type { PerftestTest } from './command.js';
import { TABLE_HEADER_RE } from './parse-table.js';

// The test title perftest prints centred in the header: the verb, then "Bidirectional" (-b) and
// "Post List" (--post_list) for bandwidth tests, then the kind. Samples: "RDMA_Write Latency Test",
// "Send BW Test", "RDMA_Write Bidirectional BW Test", "RDMA_Write Post List BW Test",
// "Atomic FETCH_AND_ADD BW Test" (the atomic tests have no program here, so no test name).
const TITLE_RE = /^(RDMA_Write|RDMA_Read|Send|Atomic)((?: [A-Z_]+)*?)( Bidirectional)?( Post List)? (BW|Latency) Test$/;
const VERB_TO_PREFIX: Record<string, string> = { RDMA_Write: 'ib_write', RDMA_Read: 'ib_read', Send: 'ib_send' };

export interface PerftestHeader {
  title: string | null;
  test: PerftestTest | null;
  /** "Bidirectional" in the title (-b): bandwidth figures are the sum of both directions. */
  bidirectional: boolean;
  /** "Post List" in the title (--post_list N): several work requests per post. */
  postList: boolean;
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

// " Mtu             : 1024[B]" (bytes); " rdma_cm QPs\t : OFF" — one pair
const HEADER_PAIR_RE = /^\s*([A-Za-z][^:]*?)\s*:\s*(.*?)\s*$/;
// " Dual-port       : OFF\t\tDevice         : rxe1" — two pairs, separated by tabs as printed, or by
// spaces once pasted: " Dual-port       : OFF          Device         : siw_0",
// " ibv_wr* API     : ON           Using Enhanced Reorder      : OFF" (the value is one word)
const TWO_PAIRS_RE = /^\s*([A-Za-z][^:]*?)\s*:\s*(\S+)(?:\t+|\s{2,})([A-Za-z][^:]*?)\s*:\s*(.*?)\s*$/;
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
    if (title === null && TITLE_RE.test(trimmed)) {
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
    // Two pairs only when a key and a colon follow the first value ("OFF\t\tDevice : …"), not in "rdma_cm QPs\t : OFF".
    const two = TWO_PAIRS_RE.exec(line);
    const pairs = two
      ? [[two[1]!, two[2]!] as const, [two[3]!, two[4]!] as const]
      : [HEADER_PAIR_RE.exec(line)].flatMap((m) => (m ? [[m[1]!, m[2]!] as const] : []));
    for (const [key, value] of pairs) if (!(key in fields)) fields[key] = value;
  }
  const onOff = (v: string | undefined) => (v === 'ON' ? true : v === 'OFF' ? false : null);
  const t = title ? TITLE_RE.exec(title) : null;
  const prefix = t ? VERB_TO_PREFIX[t[1]!] : undefined;
  return {
    title,
    test: t && prefix && !t[2] ? (`${prefix}_${t[5] === 'BW' ? 'bw' : 'lat'}` as PerftestTest) : null,
    bidirectional: t?.[3] !== undefined,
    postList: t?.[4] !== undefined,
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
