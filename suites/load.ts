// Reading a suite file: YAML → schema → per-path options → cross-field rules. Every failure is a
// UserError that names the file, the field path, the bad value and what is allowed, one per line.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../core/errors.js';
import { at } from '../core/json-access.js';
import { assertPrivatePrefix24 } from '../core/validate.js';
import { findRecipe } from '../paths/registry.js';
import { suiteSchema, type Suite } from './schema.js';
import { searchSettingProblems } from './search-settings.js';

export interface LoadedSuite {
  file: string;
  suite: Suite;
  /** Options of each path entry after its recipe's schema applied defaults. */
  pathOptions: unknown[];
}

/** "paths[0].options.mode" from ['paths', 0, 'options', 'mode']. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(top level)';
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  // JSON has no NaN or Infinity (it would say null): YAML's .nan and .inf are shown as such.
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? `\u0000${x}\u0000` : x)).replace(
    /"\\u0000(.*?)\\u0000"/g,
    '$1',
  );
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** One line per problem, in the form "file: field message, got value". */
export function formatIssues(file: string, root: unknown, issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        lines.push(`${file}: ${fieldPath([...path, key])} is not a known field`);
      }
      continue;
    }
    const value = at(root, ...path);
    const message = value === undefined && issue.code === 'invalid_type' ? 'is required' : issue.message;
    lines.push(`${file}: ${fieldPath(path)} ${message}, got ${describeValue(value)}`);
  }
  return lines;
}

export function parseSuite(file: string, text: string): LoadedSuite {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new UserError(doc.errors.map((e) => `${file}: YAML: ${e.message.split('\n')[0]}`).join('\n'), 'fix the YAML syntax at the line shown');
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError(`${file}: must be a YAML mapping with name, paths, sizes and rates, got ${describeValue(raw)}`);
  }
  const parsed = suiteSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(formatIssues(file, raw, parsed.error.issues).join('\n'), 'see "Suite format" in the README');
  }
  const suite = parsed.data;
  const problems: string[] = [];
  const pathOptions: unknown[] = [];

  suite.paths.forEach((entry, i) => {
    const recipe = findRecipe(entry.path);
    if (!recipe) {
      problems.push(`${file}: paths[${i}].path ${JSON.stringify(entry.path)} has no runner yet in this version`);
      pathOptions.push({});
      return;
    }
    if (entry.driver !== undefined && !recipe.drivers.includes(entry.driver)) {
      problems.push(`${file}: paths[${i}].driver must be ${recipe.drivers.join(' or ')} for path ${entry.path}, got ${describeValue(entry.driver)}`);
    }
    if (recipe.wholeSecondDurations) {
      // A grid trial's durationS may be fractional: the latency client runs the whole seconds that
      // count at least that long (drivers/sockperf/timing.ts). A search trial's rate is sent ÷ -t,
      // so its durations must be -t itself. warmupS is not passed to such tools (sockperf's
      // warm-up is its own, fixed), so any value goes.
      if (suite.search && !Number.isInteger(suite.search.trialDurationS)) {
        problems.push(
          `${file}: search.trialDurationS must be whole seconds for path ${entry.path} (its tool takes whole seconds), got ${suite.search.trialDurationS}`,
        );
      }
      suite.search?.phaseDurationsS.forEach((d, k) => {
        if (!Number.isInteger(d))
          problems.push(`${file}: search.phaseDurationsS[${k}] must be whole seconds for path ${entry.path} (its tool takes whole seconds), got ${d}`);
      });
    }
    const opts = recipe.optionsSchema.safeParse(entry.options);
    if (opts.success) pathOptions.push(opts.data);
    else {
      problems.push(...formatIssues(file, raw, opts.error.issues, ['paths', i, 'options']));
      pathOptions.push({});
    }
  });

  const labels = suite.paths.map((p) => p.label ?? p.path);
  labels.forEach((label, i) => {
    if (labels.indexOf(label) !== i)
      problems.push(`${file}: paths[${i}].label ${JSON.stringify(label)} is used twice; give each entry of the same path its own label`);
  });

  for (const [field, names] of [
    ['verdict.kernelPath', suite.verdict.kernelPath === undefined ? [] : [suite.verdict.kernelPath]],
    ['verdict.tunedKernelPaths', suite.verdict.tunedKernelPaths ?? []],
    ['verdict.bypassPaths', suite.verdict.bypassPaths ?? []],
    ['verdict.attributionPath', suite.verdict.attributionPath === undefined ? [] : [suite.verdict.attributionPath]],
    ['verdict.scenarios[].attributionPath', (suite.verdict.scenarios ?? []).map((x) => x.attributionPath)],
  ] as const) {
    for (const name of names) {
      if (!labels.includes(name)) problems.push(`${file}: ${field} must name a path label (${labels.join(', ')}), got ${JSON.stringify(name)}`);
    }
  }
  for (const [i, name] of (suite.search?.paths ?? []).entries()) {
    if (!suite.paths.some((p) => (p.label ?? p.path) === name || p.path === name)) {
      problems.push(`${file}: search.paths[${i}] must name a path entry (${labels.join(', ')}), got ${JSON.stringify(name)}`);
    }
  }
  if (suite.search && suite.search.minPps >= suite.search.maxPps) {
    problems.push(`${file}: search.minPps must be below search.maxPps, got ${suite.search.minPps} and ${suite.search.maxPps}`);
  }
  if (suite.search) problems.push(...searchSettingProblems(file, suite.search));
  if (suite.rates && !Array.isArray(suite.rates) && suite.rates.from >= suite.rates.to) {
    problems.push(`${file}: rates.from must be below rates.to, got from ${suite.rates.from} and to ${suite.rates.to}`);
  }
  const longestS = Math.max(suite.durationS, suite.search?.trialDurationS ?? 0);
  if (suite.trialTimeoutS !== undefined && suite.trialTimeoutS <= longestS) {
    problems.push(
      `${file}: trialTimeoutS must be longer than the longest trial (${longestS} s${suite.search ? ', durationS or search.trialDurationS' : ', durationS'}) or every trial times out, got ${suite.trialTimeoutS}; leave it out for the default 2 × duration + 20 s`,
    );
  }
  if (!suite.rates && !suite.closedLoop) {
    problems.push(`${file}: rates is required unless closedLoop is true (a suite must measure something), got nothing`);
  }
  try {
    assertPrivatePrefix24(suite.topology.subnet, `${file}: topology.subnet`);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0) throw new UserError(problems.join('\n'), 'see "Suite format" in the README');
  return { file, suite, pathOptions };
}

export function loadSuite(file: string): LoadedSuite {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `${file}: cannot read the suite file (${code ?? (err as Error).message})`,
      'give the path of a suite YAML file, e.g. suites/quick.yaml',
    );
  }
  return parseSuite(file, text);
}

/**
 * Turns on entries that the suite file leaves disabled (`enabled: false`), by label or path name:
 * how `run --enable rdma-rxe` adds the Soft-RoCE path to the default suite.
 */
export function enablePaths(loaded: LoadedSuite, names: readonly string[]): LoadedSuite {
  if (names.length === 0) return loaded;
  const known = loaded.suite.paths.map((p) => p.label ?? p.path);
  for (const name of names) {
    if (!loaded.suite.paths.some((p) => (p.label ?? p.path) === name || p.path === name)) {
      throw new UserError(`--enable ${name}: ${loaded.file} has no path entry with that label or path; its entries: ${known.join(', ')}`);
    }
  }
  const paths = loaded.suite.paths.map((p) => (names.includes(p.label ?? p.path) || names.includes(p.path) ? { ...p, enabled: true } : p));
  return { ...loaded, suite: { ...loaded.suite, paths } };
}
