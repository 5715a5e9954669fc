// The attribution's components as a reader sees them: when a wake-up trace split kernel RX
// (kernelRxSplit), each side's kernel RX shows as two components, the kernel's RX protocol work
// and the wake-up (waiting to run), instead of one; components not measured directly carry
// a label saying how they were obtained. Pure: the report's chart and table read it.
import { KERNEL_COMPONENTS, COMPONENT_NAMES, type AttributionResult, type ComponentName } from './attribution.js';

export const SPLIT_COMPONENT_NAMES = ['kernelRxClientWork', 'wakeupClient', 'kernelRxServerWork', 'wakeupServer'] as const;
export type DisplayComponentName = ComponentName | (typeof SPLIT_COMPONENT_NAMES)[number];

/** Every name a display list can hold, in stacking order (kernel RX split just where kernel RX stands). */
export const DISPLAY_COMPONENT_NAMES: readonly DisplayComponentName[] = COMPONENT_NAMES.flatMap((n): DisplayComponentName[] =>
  n === 'kernelRxServer' ? [n, 'kernelRxServerWork', 'wakeupServer'] : n === 'kernelRxClient' ? [n, 'kernelRxClientWork', 'wakeupClient'] : [n],
);

export interface DisplayComponent {
  name: DisplayComponentName;
  /** What a reader sees: e.g. "kernel RX client (work)", "wake-up client (waiting to run)", "other (remainder)". */
  label: string;
  shareP50: number | null;
  shareP99: number | null;
  /** Kernel work a bypass path removes (wake-up is not: busy polling removes it too). */
  kernel: boolean;
  /** How it was obtained: measured interval, measured interval less a measured wait, or the remainder. */
  basis: 'measured' | 'interval-less-wait' | 'remainder';
}

const LABELS: Partial<Record<ComponentName, string>> = {
  kernelTxClient: 'kernel TX client',
  kernelRxClient: 'kernel RX client (work + wake-up)',
  kernelTxServer: 'kernel TX server',
  kernelRxServer: 'kernel RX server (work + wake-up)',
  nicWire: 'NIC/wire',
};

/** The components to show, kernel RX split into work and wake-up when the split was measured. */
export function displayComponents(a: AttributionResult & { status: 'ok' }): DisplayComponent[] {
  const split = a.kernelRxSplit;
  return COMPONENT_NAMES.flatMap((name): DisplayComponent[] => {
    const c = a.components[name];
    // Records written before `remainders` existed computed only "other" as the remainder.
    const remainder = (a.remainders ?? ['other']).includes(name);
    const plain: DisplayComponent = {
      name,
      label: `${LABELS[name] ?? name}${remainder ? ' (remainder)' : ''}`,
      shareP50: c.shareP50,
      shareP99: c.shareP99,
      kernel: KERNEL_COMPONENTS.includes(name),
      basis: remainder ? 'remainder' : 'measured',
    };
    const side = name === 'kernelRxClient' ? 'client' : name === 'kernelRxServer' ? 'server' : null;
    if (!split || side === null) return [plain];
    const s = split[side];
    const cap = side === 'client' ? 'Client' : 'Server';
    return [
      {
        name: `kernelRx${cap}Work`,
        label: `kernel RX ${side} (work)`,
        shareP50: s.workShareP50,
        shareP99: s.workShareP99,
        kernel: true,
        basis: 'interval-less-wait',
      },
      {
        name: `wakeup${cap}`,
        label: `wake-up ${side} (waiting to run)`,
        shareP50: s.waitingShareP50,
        shareP99: s.waitingShareP99,
        kernel: false,
        basis: 'measured',
      },
    ];
  });
}
