// Test-only hook: BYPASSBENCH_TEST_PAUSE_AT=<step> makes the runner stop dead at that named step
// (right after the ledger says what is about to change, before the change), print
// "bypassbench-test-pause <step> <pid>" on stderr and wait there (up to 2 min), so a test can `kill -9` it at
// exactly that instant. Unset (always, outside tests) it costs one environment lookup.

/** The named steps, in the order a DPDK run reaches them. */
export const PAUSE_STEPS = [
  'netns-add',
  'veth-add',
  'path-netns-add',
  'path-veth-add',
  'dpdk-prefix',
  'hugepages-pool',
  'hugetlbfs-mkdir',
  'hugetlbfs-mount',
  'process-spawned',
] as const;
export type PauseStep = (typeof PAUSE_STEPS)[number];

export function pausePoint(step: PauseStep): void {
  if (process.env.BYPASSBENCH_TEST_PAUSE_AT !== step) return;
  process.stderr.write(`bypassbench-test-pause ${step} ${process.pid}\n`);
  // Block synchronously: nothing else of the run may happen until the test kills us (at most
  // two minutes, so a test that forgets to never leaves a run hanging).
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
}
