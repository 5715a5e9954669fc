// vm-run.json: one boot of the Soft-RoCE VM as runners/softroce-vm.ts records it next to the
// guest's outputs (raw/softroce-vm/ in a run folder): how QEMU ran, what the guest said, and each
// case's processes by exit code and output files (the outputs themselves stay in their files).
// For people and for debugging; no stage reads it back.

export type VmRunStatus = 'ok' | 'setup-failed' | 'timed-out' | 'interrupted' | 'crashed';

/** One guest process as recorded: where its output went, not the output. */
export interface VmProcessRecord {
  argv: string[];
  /** Exit code as the guest saw it: 124 = its own timeout fired, 143 = stopped with SIGTERM. */
  exitCode: number | null;
  timedOut: boolean;
  /** The guest stopped a server still waiting after its client had exited. */
  stoppedByGuest: boolean;
  /** Host folder holding stdout, stderr, exit-code and any file the process wrote. */
  dir: string;
  /** Files the process wrote in its working folder, by name → host path. */
  files: Record<string, string>;
}

/** What the guest said about itself (files it leaves on the share's guest/ folder). */
export interface GuestFacts {
  status: string | null;
  kernelRelease: string | null;
  uname: string | null;
  cpuModel: string | null;
  cpus: number | null;
  clocksource: string | null;
  /** Guest uptime at each step (share-mounted, rxe-ready, plan-start, case-start …). */
  timeline: { event: string; uptimeS: number }[];
}

export interface VmCaseRecord {
  id: string;
  attempts: { attempt: number; infDetected: boolean; server: VmProcessRecord; client: VmProcessRecord }[];
}

export interface VmRunRecord {
  status: VmRunStatus;
  error: string | null;
  cases: VmCaseRecord[];
  accel: 'kvm' | 'tcg';
  accelReason: string;
  /** Results measured under emulation say nothing about real hardware. */
  emulated: true;
  qemuArgv: string[];
  qemuExitCode: number | null;
  /** Host wall time from spawning QEMU until it exited with the results on the share. */
  bootToResultS: number;
  guest: GuestFacts;
  image: { key: string; imageSha256: string; kernel: { package: string; version: string; release: string } };
  paths: { outDir: string; shareDir: string; serialLog: string; qemuStdout: string; qemuStderr: string; result: string };
}
