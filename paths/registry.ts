// The explicit list of path recipes. Adding a path = writing a recipe and listing it here.
import { UserError } from '../core/errors.js';
import type { PathName } from '../core/trial.js';
import type { PathRecipe } from './types.js';
import { kernelTcpRecipe, kernelUdpRecipe } from './kernel-sockets.js';

// Each recipe has its own options type; the registry only needs the common shape.
export const PATH_RECIPES: readonly PathRecipe<any>[] = [kernelUdpRecipe, kernelTcpRecipe];

export function findRecipe(path: PathName): PathRecipe<any> | undefined {
  return PATH_RECIPES.find((r) => r.path === path);
}

export function getRecipe(path: string): PathRecipe<any> {
  const recipe = PATH_RECIPES.find((r) => r.path === path);
  if (!recipe) {
    throw new UserError(`no recipe for path ${JSON.stringify(path)} yet; paths that run: ${PATH_RECIPES.map((r) => r.path).join(', ')}`);
  }
  return recipe;
}
