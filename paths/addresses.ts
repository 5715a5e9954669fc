// Addresses for the extra links a path asks for, derived from the topology's own /24 so a suite's
// subnet choice carries over: the default 10.77.0 gives extra links 10.77.1, 10.77.2 …
import type { TopologyInfo } from './types.js';

export function extraSubnet(topology: TopologyInfo, index: number): string {
  const [a, b, c] = topology.client.ip.split('.').map(Number) as [number, number, number];
  return `${a}.${b}.${(c + 1 + index) % 256}`;
}
