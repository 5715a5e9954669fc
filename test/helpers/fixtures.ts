// Real captured tool outputs live in test/fixtures/<tool>/<case>.{stdout,stderr,json}.
// The .json file records how the capture was made (argv, exit code, topology, tool version,
// date), so every parser test can be traced back to a real run.
import { createReadStream, readFileSync, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import type { ArtifactFile } from '../../drivers/types.js';

export interface FixtureMeta {
  /** Every process involved, in start order; the one whose output is captured is marked. */
  argv: string[];
  exitCode: number | null;
  capturedAt: string;
  /** How the topology was set up and what else was running (the server side, for example). */
  setup: string;
  toolVersion: string;
  kernel: string;
  [key: string]: unknown;
}

export interface Fixture {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  meta: FixtureMeta;
}

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function fixturePath(tool: string, name: string, ext: string): string {
  return join(fixturesDir, tool, `${name}.${ext}`);
}

export function loadFixture(tool: string, name: string): Fixture {
  const read = (ext: string) => {
    const p = fixturePath(tool, name, ext);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  };
  const meta = JSON.parse(readFileSync(fixturePath(tool, name, 'json'), 'utf8')) as FixtureMeta;
  return { stdout: read('stdout'), stderr: read('stderr'), exitCode: meta.exitCode, meta };
}

/** A captured artifact (test/fixtures/<tool>/<case>.<ext>) as a runner hands it to a driver's reader. */
export function fixtureArtifact(tool: string, name: string, ext: string): ArtifactFile {
  const path = fixturePath(tool, name, ext);
  return { path, text: () => readFileSync(path, 'utf8'), lines: () => createInterface({ input: createReadStream(path), crlfDelay: Infinity }) };
}
