// A service's settle time after it is ready: waited in full, and a service dying meanwhile fails
// the wait as dying before readiness does (on stand-in processes: only the timing logic is tested).
import { describe, expect, it } from 'vitest';
import { settle, type ProcessOutcome, type RunningProcess } from '../../runners/process.js';

function standIn(exitAfterMs: number | null): RunningProcess {
  let exited = false;
  const outcome = { exitCode: 1 } as ProcessOutcome;
  const done = new Promise<ProcessOutcome>((resolve) => {
    if (exitAfterMs !== null)
      setTimeout(() => {
        exited = true;
        resolve(outcome);
      }, exitAfterMs);
  });
  return {
    spec: { role: 'service' } as RunningProcess['spec'],
    argv: [],
    pid: null,
    stdoutFile: '',
    stderrFile: '',
    done,
    stop: () => done,
    sampleCpu: () => undefined,
    exited: () => exited,
  };
}

describe('settling after readiness', () => {
  it('waits settleMs, and not at all without it', async () => {
    const t0 = performance.now();
    await settle(standIn(null), { udpPort: 1, settleMs: 150 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    const t1 = performance.now();
    await settle(standIn(null), { udpPort: 1 });
    expect(performance.now() - t1).toBeLessThan(100);
  });

  it('fails when the service exits while it settles', async () => {
    await expect(settle(standIn(50), { udpPort: 1, settleMs: 2000 })).rejects.toThrow(/service exited \(code 1\) while it settled/);
  });
});
