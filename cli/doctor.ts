import type { Argv } from 'yargs';
import { EXIT } from '../core/errors.js';
import type { HostFacts } from '../core/host.js';
import { PATH_NAMES } from '../core/trial.js';
import { DRIVERS } from '../drivers/registry.js';
import type { Availability } from '../drivers/types.js';
import { findRecipe, pathAvailability } from '../paths/registry.js';
import { probeHost } from '../runners/host-probe.js';
import { detectSoftRoceVm } from '../runners/softroce-detect.js';
import { data, human } from './output.js';
import { checkServiceAttribution } from './doctor-service.js';
import { labOptions, loadLab, type LabArgs } from './lab.js';
import { labDoctor } from './lab-doctor.js';

export const command = 'doctor';
export const describe = 'Check which paths can run on this machine, with the reason and the fix for each that cannot';

export function builder(y: Argv) {
  return labOptions(y).option('json', { type: 'boolean', default: false, describe: 'print the findings as JSON' });
}

export interface PathCheck {
  path: string;
  status: 'available' | 'unsupported';
  reason: string | null;
  fix: string | null;
  drivers: string[];
}

export function checkPaths(host: HostFacts): PathCheck[] {
  return PATH_NAMES.map((path) => {
    const recipe = findRecipe(path);
    if (!recipe) {
      return { path, status: 'unsupported', reason: 'no runner for this path in this version of bypassbench', fix: 'update bypassbench', drivers: [] };
    }
    const a = pathAvailability(recipe, host);
    if (a.status === 'unsupported') return { path, status: 'unsupported', reason: a.reason, fix: a.fix, drivers: [...recipe.drivers] };
    if (!host.isRoot)
      return { path, status: 'unsupported', reason: 'not running as root (namespaces need it)', fix: 'run as root', drivers: [...recipe.drivers] };
    return { path, status: 'available', reason: a.status === 'available' && a.note ? a.note : null, fix: null, drivers: [...recipe.drivers] };
  });
}

export async function handler(args: { json: boolean } & LabArgs): Promise<number> {
  const inventory = loadLab(args);
  if (inventory) return (await labDoctor(inventory, args)) ? EXIT.ok : EXIT.crash;
  const host = await probeHost();
  const paths = checkPaths(host);
  const drivers: Record<string, Availability> = Object.fromEntries(DRIVERS.map((d) => [d.name, d.detect(host)]));
  const softRoceVm = await detectSoftRoceVm();
  const serviceAttribution = checkServiceAttribution(host);
  if (args.json) {
    data({ host, paths, drivers, softRoceVm, serviceAttribution });
    return EXIT.ok;
  }
  const f = host.features;
  human(
    `host      ${host.hostname}: ${host.cpuModel}, ${host.cpuCount} CPUs, kernel ${host.kernelRelease}, node ${host.nodeVersion}${host.isRoot ? '' : ' (not root!)'}`,
  );
  human(`cpu       haltpoll guest_halt_poll_ns=${host.haltpollNs ?? 'n/a'}, governor ${host.governor ?? 'n/a (no cpufreq)'}`);
  human(
    `kernel    netns ${yes(f.netns)}, veth ${yes(f.veth)}, AF_XDP ${yes(f.afXdp)}, hugepages ${f.hugepages.supported ? `${f.hugepages.total} × ${f.hugepages.sizeKb} kB reserved` : 'no'}, ` +
      `RDMA devices ${f.rdmaDevices.length ? f.rdmaDevices.join(',') : 'none'}, rxe ${yes(f.rxe)}, SO_TIMESTAMPING software ${yes(f.soTimestamping)}, /dev/kvm ${yes(f.kvm)}, tracefs ${yes(f.tracefs)}`,
  );
  human('');
  human('tools');
  for (const [name, b] of Object.entries(host.binaries))
    human(`  ${name.padEnd(20)} ${b.path ? `${b.version ?? 'version unknown'}  ${b.path}` : 'not installed'}`);
  human('');
  const vm = softRoceVm;
  human(
    `soft-roce VM  ${vm.ready ? 'usable' : 'not usable'}: qemu ${vm.qemu?.version ?? 'missing'}, accel ${vm.accel.accel} (${vm.accel.reason}), image ${vm.image.cached ? `cached (${vm.image.key})` : 'not built yet (first run builds it)'}, kernel package ${vm.kernelPackage ? `${vm.kernelPackage.name} ${vm.kernelPackage.version}` : 'unknown'}`,
  );
  for (const p of vm.problems) human(`              problem: ${p.reason} (fix: ${p.fix})`);
  human('');
  human('service attribution (bypassbench attribute -- COMMAND / --pid)');
  for (const c of serviceAttribution) {
    human(`  ${c.item.padEnd(20)} ${c.ok ? 'ok' : 'NOT OK'}: ${c.detail}`);
    if (c.fix) human(`  ${''.padEnd(20)} fix: ${c.fix}`);
  }
  human('');
  human('paths');
  for (const p of paths) {
    human(`  ${p.path.padEnd(16)} ${p.status === 'available' ? `available${p.reason ? ` (${p.reason})` : ''}` : `unsupported: ${p.reason}`}`);
    if (p.fix) human(`  ${''.padEnd(16)} fix: ${p.fix}`);
  }
  return EXIT.ok;
}

const yes = (b: boolean) => (b ? 'yes' : 'no');
