// The layers: imports only go downward, so each stage can be read (and re-run) without the ones
// above it. core/ is the ground floor and imports nothing of the project.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './helpers/system.js';

/** Folder → the project folders it may import from (besides itself). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  drivers: ['core'],
  analysis: ['core', 'drivers'],
  paths: ['core', 'drivers', 'analysis', 'soft-roce/plan'],
  suites: ['core', 'paths'],
  runners: ['core', 'drivers', 'analysis', 'paths', 'suites', 'soft-roce'],
  report: ['core', 'analysis'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** Each relative import of a file that leaves its folder, as the project path it names ("soft-roce/plan.js"). */
function projectImports(file: string, folder: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => normalize(join(dirname(file), m[1]!))).filter((target) => !target.startsWith(`${folder}/`));
}

describe('layering', () => {
  for (const [folder, allowed] of Object.entries(MAY_IMPORT)) {
    it(`${folder}/ imports only from ${allowed.join(', ') || 'itself'}`, () => {
      const wrong = sourceFiles(folder).flatMap((file) =>
        projectImports(file, folder)
          .filter((target) => !allowed.some((a) => target === `${a}.js` || target.startsWith(`${a}/`) || target.startsWith(`${a}.`)))
          .map((target) => `${file} → ${target}`),
      );
      expect(wrong).toEqual([]);
    });
  }
});
