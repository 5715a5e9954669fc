// trials.csv: trials.jsonl flattened to one row per trial, for spreadsheets and R/pandas.
import { tailReliable } from './tail.js';
import { stringify } from 'csv-stringify/sync';
import type { TrialRecord } from './trial.js';

export const CSV_COLUMNS = [
  'trialId',
  'runId',
  'path',
  'pathLabel',
  'driver',
  'mode',
  'repetition',
  'status',
  'error',
  'msgSizeBytes',
  'offeredPps',
  'achievedPps',
  'sentPackets',
  'receivedPackets',
  'lossRatio',
  'unsentRequests',
  'rateReached',
  'latencyFrom',
  'minUs',
  'p50Us',
  'p90Us',
  'p99Us',
  'p999Us',
  'maxUs',
  'meanUs',
  'stddevUs',
  'latencySamples',
  'p99Reliable',
  'p999Reliable',
  'throughputGbps',
  'msgRateMpps',
  'coresBusy',
  'nsPerPacket',
  'emulated',
  'startedAt',
  'durationS',
  'measuredS',
  'raw',
] as const;

export function flattenTrial(t: TrialRecord): (string | number | boolean | null)[] {
  const l = t.latencyUs;
  const row: Record<(typeof CSV_COLUMNS)[number], string | number | boolean | null> = {
    trialId: t.trialId,
    runId: t.runId,
    path: t.path,
    pathLabel: t.pathLabel,
    driver: t.driver,
    mode: t.mode,
    repetition: t.repetition,
    status: t.status,
    error: t.error,
    msgSizeBytes: t.msgSizeBytes,
    offeredPps: t.offeredPps,
    achievedPps: t.achievedPps,
    sentPackets: t.sentPackets,
    receivedPackets: t.receivedPackets,
    lossRatio: t.lossRatio,
    unsentRequests: t.unsentRequests ?? null,
    rateReached: t.rateReached ?? null,
    latencyFrom: t.latencyFrom ?? null,
    minUs: l?.min ?? null,
    p50Us: l?.p50 ?? null,
    p90Us: l?.p90 ?? null,
    p99Us: l?.p99 ?? null,
    p999Us: l?.p999 ?? null,
    maxUs: l?.max ?? null,
    meanUs: l?.mean ?? null,
    stddevUs: l?.stddev ?? null,
    latencySamples: l?.samples ?? null,
    // false: too few samples for the percentile to mean anything (core/tail.ts); null: count unknown.
    p99Reliable: l?.p99 == null ? null : tailReliable(l.samples, 99),
    p999Reliable: l?.p999 == null ? null : tailReliable(l.samples, 99.9),
    throughputGbps: t.throughputGbps,
    msgRateMpps: t.msgRateMpps,
    coresBusy: t.cpu?.coresBusy ?? null,
    nsPerPacket: t.cpu?.nsPerPacket ?? null,
    emulated: t.emulated,
    startedAt: t.startedAt,
    durationS: t.durationS,
    measuredS: t.measuredS,
    raw: t.raw.join(';'),
  };
  return CSV_COLUMNS.map((c) => row[c]);
}

export function trialsToCsv(trials: TrialRecord[], header = true): string {
  return stringify(trials.map(flattenTrial), { header, columns: header ? [...CSV_COLUMNS] : undefined, cast: { boolean: (b) => String(b) } });
}
