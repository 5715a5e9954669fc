// bb-tsprobe client's per-request records (--records FILE): one CSV row per measured request with
// every timestamp the probe took, in ns relative to the run's t0 (the summary's t0Ns), e.g.
//   seq,status,sched_ns,c_send_ns,c_txsched_ns,c_tx_ns,…,s_pause_ns,s_queue_ns,rtt_ns
//   200,ok,200000000,200000133,,200002757,…,0,0,19189
// An empty field is a stamp the kernel did not deliver. analysis/attribution.ts turns the records
// into the latency attribution.
import { UserError } from '../../core/errors.js';

export interface RelayStamps {
  qRxNs: number | null;
  qRetNs: number | null;
  qSendNs: number | null;
  qTxNs: number | null;
  pRxNs: number | null;
  pRetNs: number | null;
  pSendNs: number | null;
  pTxNs: number | null;
}

/** One CSV row. Timestamps are ns relative to the run's t0 (see the summary's t0Ns). */
export interface TsprobeRecord {
  seq: number;
  status: 'ok' | 'lost';
  schedNs: number | null;
  cSendNs: number | null;
  cTxSchedNs: number | null;
  cTxNs: number | null;
  cTxHwNs: number | null;
  cRxHwNs: number | null;
  cRxNs: number | null;
  cRetNs: number | null;
  /** Duration, ns. */
  cQueueNs: number | null;
  sRxHwNs: number | null;
  sRxNs: number | null;
  sRetNs: number | null;
  sDecNs: number | null;
  sHdlNs: number | null;
  sEncNs: number | null;
  sSendNs: number | null;
  sTxSchedNs: number | null;
  sTxNs: number | null;
  sTxHwNs: number | null;
  /** Duration, ns. */
  sPauseNs: number | null;
  /** Duration, ns. */
  sQueueNs: number | null;
  /** relays[0] is the hop nearest the client. */
  relays: RelayStamps[];
  /** Duration, ns: cRet − cSend. */
  rttNs: number | null;
}

const BASE_COLUMNS: Record<string, Exclude<keyof TsprobeRecord, 'seq' | 'status' | 'relays'>> = {
  sched_ns: 'schedNs',
  c_send_ns: 'cSendNs',
  c_txsched_ns: 'cTxSchedNs',
  c_tx_ns: 'cTxNs',
  c_txhw_ns: 'cTxHwNs',
  c_rxhw_ns: 'cRxHwNs',
  c_rx_ns: 'cRxNs',
  c_ret_ns: 'cRetNs',
  c_queue_ns: 'cQueueNs',
  s_rxhw_ns: 'sRxHwNs',
  s_rx_ns: 'sRxNs',
  s_ret_ns: 'sRetNs',
  s_dec_ns: 'sDecNs',
  s_hdl_ns: 'sHdlNs',
  s_enc_ns: 'sEncNs',
  s_send_ns: 'sSendNs',
  s_txsched_ns: 'sTxSchedNs',
  s_tx_ns: 'sTxNs',
  s_txhw_ns: 'sTxHwNs',
  s_pause_ns: 'sPauseNs',
  s_queue_ns: 'sQueueNs',
  rtt_ns: 'rttNs',
};

const RELAY_FIELDS: Record<string, keyof RelayStamps> = {
  qrx: 'qRxNs',
  qret: 'qRetNs',
  qsend: 'qSendNs',
  qtx: 'qTxNs',
  prx: 'pRxNs',
  pret: 'pRetNs',
  psend: 'pSendNs',
  ptx: 'pTxNs',
};

// Matches relay columns such as `r2_qtx_ns`: relay 2 (from the client), request-direction TX
// software timestamp, in ns relative to t0.
const RELAY_COLUMN = /^r(\d+)_([a-z]+)_ns$/;
function emptyRelay(): RelayStamps {
  return { qRxNs: null, qRetNs: null, qSendNs: null, qTxNs: null, pRxNs: null, pRetNs: null, pSendNs: null, pTxNs: null };
}

/** A line's bounds in the text without surrounding whitespace (what String.prototype.trim keeps, for ASCII). */
function trimmed(text: string, from: number, to: number): [number, number] {
  while (from < to && text.charCodeAt(from) <= 32) from++;
  while (to > from && text.charCodeAt(to - 1) <= 32) to--;
  return [from, to];
}

/** Parses the client's --records CSV. Empty fields become null; a 0 stays 0. */
export function parseTsprobeRecords(csvText: string): TsprobeRecord[] {
  // Lines are read in place (indexOf, charCodeAt), never split into strings per line and field: a
  // 20 kpps trial has 60 000 lines × 25 fields, and splitting them (plus the garbage it left) was
  // most of the orchestrator's time between attribution trials (profiled with node --cpu-prof).
  const text = csvText;
  let pos = 0;
  let headerText: string | undefined;
  while (pos < text.length && headerText === undefined) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl === -1 ? text.length : nl;
    const [a, b] = trimmed(text, pos, lineEnd);
    if (b > a) headerText = text.slice(a, b);
    pos = lineEnd + 1;
  }
  const header = headerText?.split(',');
  if (!header || header[0] !== 'seq' || header[1] !== 'status') {
    throw new UserError('tsprobe records: the header must start with "seq,status"', 'pass the file written by bb-tsprobe client --records');
  }
  let relayCount = 0;
  const setters: ((record: TsprobeRecord, value: number | null) => void)[] = [];
  for (const name of header.slice(2)) {
    const base = BASE_COLUMNS[name];
    const relay = RELAY_COLUMN.exec(name);
    if (base) {
      setters.push((record, value) => {
        record[base] = value;
      });
    } else if (relay && RELAY_FIELDS[relay[2] ?? '']) {
      const index = Number(relay[1]) - 1;
      const field = RELAY_FIELDS[relay[2] ?? ''] as keyof RelayStamps;
      relayCount = Math.max(relayCount, index + 1);
      setters.push((record, value) => {
        const stamps = record.relays[index] ?? emptyRelay();
        stamps[field] = value;
        record.relays[index] = stamps;
      });
    } else {
      setters.push(() => undefined); // a column a later probe version added: ignore it
    }
  }
  const records: TsprobeRecord[] = [];
  // Line numbers count non-blank lines, the header being line 1.
  let lineNo = 1;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const [from, to] = trimmed(text, pos, nl === -1 ? text.length : nl);
    pos = nl === -1 ? text.length : nl + 1;
    if (to === from) continue;
    lineNo++;
    let fieldCount = 1;
    for (let c = text.indexOf(',', from); c !== -1 && c < to; c = text.indexOf(',', c + 1)) fieldCount++;
    if (fieldCount !== header.length) {
      throw new UserError(`tsprobe records line ${lineNo}: expected ${header.length} fields, got ${fieldCount}`);
    }
    const seqEnd = text.indexOf(',', from);
    const statusEnd = text.indexOf(',', seqEnd + 1);
    const status = text.slice(seqEnd + 1, statusEnd === -1 || statusEnd > to ? to : statusEnd);
    if (status !== 'ok' && status !== 'lost') {
      throw new UserError(`tsprobe records line ${lineNo}: status must be ok or lost, got "${status}"`);
    }
    const record = blankRecord(Number(text.slice(from, seqEnd)), status, relayCount);
    let fieldStart = statusEnd + 1;
    for (let col = 2; col < header.length; col++) {
      const comma = text.indexOf(',', fieldStart);
      const fieldEnd = comma === -1 || comma > to ? to : comma;
      if (fieldEnd > fieldStart) {
        // One integer field such as `-1532` or `200567705` (ns), digit by digit in place: an optional
        // '-', then digits only ("1e3", "0x10", " 5" are refused).
        const negative = text.charCodeAt(fieldStart) === 45;
        let i = negative ? fieldStart + 1 : fieldStart;
        let value = i < fieldEnd ? 0 : NaN;
        for (; i < fieldEnd; i++) {
          const d = text.charCodeAt(i) - 48;
          if (d < 0 || d > 9) {
            value = NaN;
            break;
          }
          value = value * 10 + d;
        }
        if (Number.isNaN(value)) {
          throw new UserError(`tsprobe records line ${lineNo}: column ${header[col]} is not an integer: "${text.slice(fieldStart, fieldEnd)}"`);
        }
        setters[col - 2]?.(record, negative ? -value : value);
      }
      fieldStart = fieldEnd + 1;
    }
    records.push(record);
  }
  return records;
}

function blankRecord(seq: number, status: 'ok' | 'lost', relayCount: number): TsprobeRecord {
  return {
    seq,
    status,
    schedNs: null,
    cSendNs: null,
    cTxSchedNs: null,
    cTxNs: null,
    cTxHwNs: null,
    cRxHwNs: null,
    cRxNs: null,
    cRetNs: null,
    cQueueNs: null,
    sRxHwNs: null,
    sRxNs: null,
    sRetNs: null,
    sDecNs: null,
    sHdlNs: null,
    sEncNs: null,
    sSendNs: null,
    sTxSchedNs: null,
    sTxNs: null,
    sTxHwNs: null,
    sPauseNs: null,
    sQueueNs: null,
    relays: Array.from({ length: relayCount }, emptyRelay),
    rttNs: null,
  };
}
