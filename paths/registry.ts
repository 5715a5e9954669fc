// The explicit list of path recipes. Adding a path = writing a recipe and listing it here.
import { UserError } from '../core/errors.js';
import type { HostFacts } from '../core/host.js';
import { getDriver } from '../drivers/registry.js';
import type { Availability } from '../drivers/types.js';
import type { PathName } from '../core/trial.js';
import type { NetnsRecipe, PathRecipe } from './types.js';
import { kernelTcpBusyPollRecipe, kernelTcpRecipe, kernelUdpBusyPollRecipe, kernelUdpRecipe } from './kernel-sockets.js';
import { rdmaHostRecipe, rdmaRxeRecipe } from './rdma.js';
import { afxdpRecipeBoth, kernelToAfxdpRecipe } from './afxdp.js';
import { attributionRecipe } from './attribution.js';
import { serviceRecipe } from './service.js';
import { dpdkAfpacketRecipe, dpdkAfxdpRecipe, dpdkNullRecipe, dpdkTxrxRecipe, dpdkWireRecipe } from './dpdk.js';
import { dpdkPciRecipe } from './dpdk-pci.js';

// Each recipe has its own options type; the registry only needs the common shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRecipe = PathRecipe<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyNetnsRecipe = NetnsRecipe<any>;

export const PATH_RECIPES: readonly AnyRecipe[] = [
  kernelUdpRecipe,
  kernelTcpRecipe,
  kernelUdpBusyPollRecipe,
  kernelTcpBusyPollRecipe,
  kernelToAfxdpRecipe,
  afxdpRecipeBoth,
  dpdkAfxdpRecipe,
  dpdkAfpacketRecipe,
  dpdkWireRecipe,
  dpdkNullRecipe,
  dpdkTxrxRecipe,
  dpdkPciRecipe,
  attributionRecipe,
  serviceRecipe,
  rdmaRxeRecipe,
  rdmaHostRecipe,
];

export function findRecipe(path: PathName): AnyRecipe | undefined {
  return PATH_RECIPES.find((r) => r.path === path);
}

export function getNetnsRecipe(path: string): AnyNetnsRecipe {
  const recipe = getRecipe(path);
  if (recipe.runner !== 'netns') throw new Error(`path ${path} runs in the ${recipe.runner} runner, not in namespaces`);
  return recipe;
}

export function getRecipe(path: string): AnyRecipe {
  const recipe = PATH_RECIPES.find((r) => r.path === path);
  if (!recipe) {
    throw new UserError(`no recipe for path ${JSON.stringify(path)} yet; paths that run: ${PATH_RECIPES.map((r) => r.path).join(', ')}`);
  }
  return recipe;
}

/** Whether a path can run on this host: the recipe's own check, else every driver's. */
export function pathAvailability(recipe: AnyRecipe, host: HostFacts): Availability {
  if (recipe.detect) return recipe.detect(host);
  let version: string | null = null;
  for (const name of recipe.drivers) {
    const a = getDriver(name).detect(host);
    if (a.status === 'unsupported') return { ...a, reason: `${name}: ${a.reason}` };
    version ??= a.version;
  }
  return { status: 'available', version };
}
