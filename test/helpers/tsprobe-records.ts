// Hand-made bb-tsprobe records whose answers are known exactly, as the CSV the client writes
// (drivers/tsprobe/records.ts parses it; analysis/attribution.ts attributes it). Times in ns; one
// request takes these steps (no relays):
//   client send 0, TX 2000 | server RX 2500, ret 4500, dec 5000, hdl 6000, enc 6500, send 6600, TX 8600
//   | client RX 9100, ret 10100  → rtt 10100
export const BASE_HEADER =
  'seq,status,sched_ns,c_send_ns,c_txsched_ns,c_tx_ns,c_txhw_ns,c_rxhw_ns,c_rx_ns,c_ret_ns,c_queue_ns,' +
  's_rxhw_ns,s_rx_ns,s_ret_ns,s_dec_ns,s_hdl_ns,s_enc_ns,s_send_ns,s_txsched_ns,s_tx_ns,s_txhw_ns,s_pause_ns,s_queue_ns';

export type Row = Record<string, number | string | null>;

export function baseRow(seq: number, offsetNs = seq * 1_000_000): Row {
  const t = (v: number) => v + offsetNs;
  return {
    seq,
    status: 'ok',
    sched_ns: t(0),
    c_send_ns: t(0),
    c_txsched_ns: null,
    c_tx_ns: t(2000),
    c_txhw_ns: null,
    c_rxhw_ns: null,
    c_rx_ns: t(9100),
    c_ret_ns: t(10100),
    c_queue_ns: 0,
    s_rxhw_ns: null,
    s_rx_ns: t(2500),
    s_ret_ns: t(4500),
    s_dec_ns: t(5000),
    s_hdl_ns: t(6000),
    s_enc_ns: t(6500),
    s_send_ns: t(6600),
    s_txsched_ns: null,
    s_tx_ns: t(8600),
    s_txhw_ns: null,
    s_pause_ns: 0,
    s_queue_ns: 0,
    rtt_ns: 10100,
  };
}

export function toCsv(rows: Row[], relays = 0): string {
  const relayCols: string[] = [];
  for (let k = 1; k <= relays; k++) {
    for (const f of ['qrx', 'qret', 'qsend', 'qtx', 'prx', 'pret', 'psend', 'ptx']) relayCols.push(`r${k}_${f}_ns`);
  }
  const header = [...BASE_HEADER.split(','), ...relayCols, 'rtt_ns'];
  const lines = rows.map((row) => header.map((h) => (row[h] === null || row[h] === undefined ? '' : String(row[h]))).join(','));
  return [header.join(','), ...lines].join('\n') + '\n';
}
