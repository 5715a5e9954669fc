// The suite file format. A suite says what to measure (paths × message sizes × offered rates ×
// repetitions) and where (topology); the planner expands it into trials. Every rule here has an
// error message that names the field and what is allowed: suites are written by hand.
import { z } from 'zod';
import { PATH_NAMES } from '../core/trial.js';
import { isSimpleName, simpleNameRule } from '../core/validate.js';

/** Suite names, labels and scenario names end up in file and folder names. */
const simpleName = (maxLength: number) => z.string().refine((name) => isSimpleName(name, maxLength), { error: simpleNameRule(maxLength) });

const positiveInt = (what: string) =>
  z
    .number({ error: `must be a whole number (${what})` })
    .int({ error: `must be a whole number (${what})` })
    .positive({ error: `must be > 0 (${what})` });

/**
 * The fastest offered rate a suite may ask for. No tool here paces beyond a few Mpps per port
 * (testpmd on net_null ≈ 66 Mpps is the ceiling seen); a rate above this is a typo, caught at load.
 */
export const MAX_OFFERED_PPS = 100_000_000;

const offeredPps = () => positiveInt('packets/s').max(MAX_OFFERED_PPS, { error: `must be at most ${MAX_OFFERED_PPS} packets/s (no tool here paces faster)` });

/** A log-spaced sweep: `points` rates from `from` to `to` inclusive, rounded to whole packets/s. */
export const rateSweepSchema = z.strictObject({
  from: offeredPps(),
  to: offeredPps(),
  points: z.number().int().min(2, { error: 'must be at least 2' }).max(64, { error: 'must be at most 64' }),
});

export const ratesSchema = z.union([z.array(offeredPps()).min(1, { error: 'must list at least one rate' }), rateSweepSchema], {
  error: 'must be a list of offered rates in packets/s (e.g. [1000, 10000]) or a sweep { from, to, points }',
});

export const cpuPlanSchema = z.strictObject({
  /** CPU for client processes (sockperf client, traffic generators). */
  client: z.number().int().min(0).optional(),
  /** CPU for server processes (sockperf server, reflectors). */
  server: z.number().int().min(0).optional(),
  /** CPUs for busy-polling data planes (DPDK forwarding lcores, AF_XDP pollers). */
  poller: z.number().int().min(0).optional(),
});

export const topologySchema = z.strictObject({
  kind: z.enum(['netns'], { error: 'must be "netns" (two namespaces joined by a veth pair on this machine)' }).default('netns'),
  /** First three octets of the private /24 used inside the namespaces; .1 is the client side, .2 the server. */
  subnet: z.string().default('10.77.0'),
  /** MTU of the veth pair. */
  mtu: z.number().int().min(576).max(9000).default(1500),
});

export const pathEntrySchema = z.strictObject({
  path: z.enum(PATH_NAMES, { error: `must be one of ${PATH_NAMES.join(', ')}` }),
  /** A name for this entry when two entries share a path with different options. */
  label: simpleName(40).optional(),
  driver: z.string().optional(),
  /** Driver-specific options, validated by the path's recipe. */
  options: z.record(z.string(), z.unknown()).default({}),
  /** Leave this entry in the file but do not run it. */
  enabled: z.boolean().default(true),
});

/** Throughput search per path × size: NDR (zero loss), PDR (loss ≤ pdrLossRatio) and MRR. */
export const searchSchema = z.strictObject({
  /** Labels (or path names) to search; default every enabled path that has an open-loop mode. */
  paths: z.array(z.string()).min(1).optional(),
  /** Message sizes to search; default the suite's sizes. */
  sizes: z.array(z.number().int().min(16).max(65000)).min(1).optional(),
  minPps: offeredPps().default(1000),
  maxPps: offeredPps().default(1_000_000),
  /** Stop when (upper − lower) / upper ≤ goalWidth: 0.005 = 0.5 %. */
  goalWidth: z.number().gt(0, { error: 'must be > 0' }).lt(1, { error: 'must be < 1' }).default(0.005),
  /** Budget in full-length-equivalent trials: summed trial durations / trialDurationS. */
  maxTrials: z.number().int().min(1).max(100).default(12),
  /** Duration of each full-length search trial, seconds (whole seconds for sockperf paths); only these bound NDR/PDR. */
  trialDurationS: z.number().positive().max(600).default(2),
  /** Shorter exploratory phases before the full-length one, seconds, increasing; they only guide. */
  phaseDurationsS: z.array(z.number().positive().max(600)).max(5).default([]),
  /** A load is an upper bound when more than this fraction of durationSumS of its trial time lost too much. */
  exceedRatio: z.number().min(0).lt(1).default(0.5),
  /** Trial time per load the exceed ratio is judged over, seconds; default 2 × trialDurationS. */
  durationSumS: z.number().positive().max(3600).optional(),
  /** How far short of the offered rate the generator may fall and still pass; default (and at most) goalWidth. */
  generatorTolerance: z.number().min(0).lt(1).optional(),
  /** PDR: the highest rate whose loss stays at or below this ratio. */
  pdrLossRatio: z.number().min(0).lt(1).default(0.005),
});

/** The selective-win rule's inputs and bar: which path is the kernel reference, which are candidates. */
export const verdictSchema = z.strictObject({
  /** Label of the kernel reference path; default the first kernel-udp entry. */
  kernelPath: z.string().optional(),
  /** Labels of the tuned kernel references (busy polling); default every kernel-*-busypoll entry. */
  tunedKernelPaths: z.array(z.string()).optional(),
  /** Labels of the bypass candidates; default every bypass-family path that measured latency. */
  bypassPaths: z.array(z.string()).min(1).optional(),
  /** Label of the attribution entry that describes the kernel path; default the first one. */
  attributionPath: z.string().optional(),
  /**
   * Several verdict sets from one run, each with its own attribution entry: the same transport
   * measured under different application conditions (bare messages vs JSON + hops + pauses).
   */
  scenarios: z
    .array(z.strictObject({ name: simpleName(24), attributionPath: z.string() }))
    .min(1)
    .optional(),
  /** Thresholds of the rule (defaults in analysis/selective-win.ts, printed in every report). */
  thresholds: z
    .strictObject({
      kernelShareMin: z.number().min(0).max(1).optional(),
      gainMin: z.number().min(0).max(1).optional(),
      steadyCvMax: z.number().min(0).optional(),
      lossGoal: z.number().min(0).max(1).optional(),
      maxSpreadRel: z.number().positive().optional(),
      minRepetitions: z.number().int().min(1).optional(),
      alpha: z.number().gt(0).lt(0.5).optional(),
      includeEmulated: z.boolean().optional(),
    })
    .default({}),
});

/** Lab mode (`run --inventory`): how the inventory's pairs run. Ignored by local runs. */
export const labSuiteSchema = z.strictObject({
  /** sequential: one pair after the other; parallel: all at once (refused when pairs share a host). */
  pairs: z.enum(['sequential', 'parallel'], { error: 'must be sequential or parallel' }).default('sequential'),
});

export const suiteSchema = z.strictObject({
  name: simpleName(40),
  description: z.string().optional(),
  topology: topologySchema.default({ kind: 'netns', subnet: '10.77.0', mtu: 1500 }),
  paths: z.array(pathEntrySchema).min(1, { error: 'must list at least one path' }),
  /** UDP payload sizes in bytes. */
  sizes: z.array(z.number().int().min(16, { error: 'must be ≥ 16 bytes (sockperf needs room for its header)' }).max(65000)).min(1),
  rates: ratesSchema.optional(),
  /** Also run each size once with no rate limit (ping-pong as fast as replies allow). */
  closedLoop: z.boolean().default(false),
  /** Measured time of each trial, in seconds. */
  durationS: z.number().positive().max(3600).default(5),
  /**
   * Seconds each client sends at the start of its trial without counting them, inside the measuring
   * process itself (bb-afxdp --warmup). sockperf's warm-up is fixed at 0.4 s by sockperf (its
   * source has no option for it) and applies whatever this says; every record says what its tool used.
   */
  warmupS: z.number().min(0).max(600).default(0.4),
  repetitions: positiveInt('count').max(100).default(3),
  /**
   * A trial that has not finished after this many seconds is killed and recorded as timed-out.
   * Used as given (it must exceed durationS); default 2 × the trial's duration + 20 s.
   */
  trialTimeoutS: z.number().positive().max(86_400).optional(),
  cpu: cpuPlanSchema.default({}),
  search: searchSchema.optional(),
  /**
   * Record what tracing costs each traced `service` entry (run.json traceOverhead): after the grid,
   * `pairs` traced/untraced pairs in ABBA rounds at one cell (the first size, the lowest of the
   * entry's rates that gives a p99 in durationS). Absent: not measured.
   */
  traceOverhead: z
    .strictObject({
      pairs: z
        .number()
        .int()
        .min(2)
        .max(20)
        .refine((n) => n % 2 === 0, { error: 'must be even (each ABBA round gives two pairs)' })
        .default(2),
      /** Labels of the service entries to measure; default every traced one. */
      paths: z.array(z.string().min(1)).min(1).optional(),
      /** Seconds each trial measures; default the suite's durationS. */
      durationS: z.number().positive().max(600).optional(),
      /**
       * Seconds an untraced pair trial leaves its service alone before the load (default 3: what
       * attaching bpftrace takes a traced one, 2–3 s), so both sides meet a runtime as settled.
       */
      untracedSettleS: z.number().min(0).max(60).optional(),
    })
    .optional(),
  verdict: verdictSchema.default({ thresholds: {} }),
  lab: labSuiteSchema.default({ pairs: 'sequential' }),
});

export type RateSweep = z.infer<typeof rateSweepSchema>;
export type SuiteInput = z.input<typeof suiteSchema>;
export type Suite = z.infer<typeof suiteSchema>;
export type PathEntry = z.infer<typeof pathEntrySchema>;
export type SearchSettings = z.infer<typeof searchSchema>;
export type CpuPlanInput = z.infer<typeof cpuPlanSchema>;
