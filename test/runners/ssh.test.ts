import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabHost } from '../../core/inventory.js';
import { defaultSshSettings, quoteArg, quoteArgv, scpArgv, sshArgv, sshMasterArgv } from '../../runners/ssh.js';

const HOSTILE = [
  'plain',
  '',
  ' ',
  '$(touch PWNED)',
  '`touch PWNED`',
  '; touch PWNED',
  '&& touch PWNED',
  '| touch PWNED',
  "it's",
  "'",
  "''\\''",
  '"double" "quotes"',
  'line1\nline2; touch PWNED',
  '*',
  '/*',
  '?',
  '[a-z]*',
  '~',
  '~root',
  '-rf',
  '--',
  '-oProxyCommand=touch PWNED',
  '$HOME ${PATH} $0 $@ $$',
  '\\',
  '\\n',
  '#comment',
  'a\tb',
  '>PWNED',
  '<in',
  '{a,b}',
  '!!',
  'ünïcödé ✓',
  '%C %h',
];

const dir = mkdtempSync(join(tmpdir(), 'bb-quote-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a shell gives the program when the quoted command line runs through it. */
function throughShell(shell: string, argv: string[]): string[] {
  // printf prints each argument followed by a NUL, so any byte the argument holds survives.
  const out = execFileSync(shell, ['-c', quoteArgv(['printf', '%s\\0', ...argv])], { cwd: dir, encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('quoteArgv: one quoting function for remote command lines', () => {
  for (const shell of ['sh', 'bash', 'dash']) {
    it(`hands every byte through ${shell} unchanged and runs nothing it was not asked to`, () => {
      expect(throughShell(shell, HOSTILE)).toEqual(HOSTILE);
      for (const arg of HOSTILE) expect(throughShell(shell, [arg])).toEqual([arg]);
      expect(readdirSync(dir)).toEqual([]);
    });
  }

  it('survives ssh joining words with spaces: the remote side sees one command string', () => {
    // ssh sends "argv joined by spaces" to the remote login shell; quoteArgv returns a single word.
    const line = quoteArgv(['echo', 'a b', "c'd"]);
    expect(line).toBe("'echo' 'a b' 'c'\\''d'");
  });

  it('refuses NUL bytes and empty command lines', () => {
    expect(() => quoteArg('a\0b')).toThrow(/NUL byte/);
    expect(() => quoteArgv([])).toThrow(/needs a program/);
  });
});

const host: LabHost = {
  name: 'lab1a',
  role: 'client',
  address: '192.0.2.10',
  user: 'bench',
  port: 2222,
  keyFile: '/keys/lab',
  knownHostsFile: null,
  testIp: '10.10.0.1',
  testIface: 'ens1f0',
  cpus: { client: null, server: null, poller: null },
  pci: null,
  numaNode: null,
  rdmaDev: null,
  gidIndex: null,
  remoteDir: '/tmp/bypassbench-lab',
  nativeDir: null,
};

describe('ssh argv', () => {
  const s = defaultSshSettings('/run/bypassbench/ssh-abc123');

  it('checks host keys, never prompts, detects a dead host, and multiplexes over the run’s socket', () => {
    const argv = sshArgv(host, s, ['sockperf', 'server', '-i', '10.10.0.2']);
    expect(argv[0]).toBe('ssh');
    const opts = argv.filter((_a, i) => argv[i - 1] === '-o');
    expect(opts).toEqual(
      expect.arrayContaining([
        'BatchMode=yes',
        'StrictHostKeyChecking=yes',
        'ConnectTimeout=5',
        'ServerAliveInterval=2',
        'ServerAliveCountMax=3',
        'ControlPath=/run/bypassbench/ssh-abc123/%C',
        'ControlMaster=no',
        'IdentitiesOnly=yes',
      ]),
    );
    // Options end before the destination; the command is one quoted word at the end.
    expect(argv.slice(-3)).toEqual(['--', 'bench@192.0.2.10', "'sockperf' 'server' '-i' '10.10.0.2'"]);
    expect(argv).toContain('/keys/lab');
    expect(argv[argv.indexOf('-p') + 1]).toBe('2222');
  });

  it('accepts new host keys only when asked, and uses the lab’s known_hosts file', () => {
    const argv = sshArgv({ ...host, knownHostsFile: '/lab/known_hosts' }, { ...s, acceptNewHostKeys: true }, ['true']);
    expect(argv).toContain('StrictHostKeyChecking=accept-new');
    expect(argv).toContain('UserKnownHostsFile=/lab/known_hosts');
  });

  it('starts the master without a command and copies with scp -P', () => {
    const m = sshMasterArgv(host, s);
    expect(m).toContain('-N');
    expect(m).toContain('ControlMaster=yes');
    const c = scpArgv({ ...host, address: 'fd00::1' }, s, '/tmp/a', '/tmp/bypassbench-lab/x/a', 'to-host');
    expect(c.slice(-2)).toEqual(['/tmp/a', 'bench@[fd00::1]:/tmp/bypassbench-lab/x/a']);
    expect(c[c.indexOf('-P') + 1]).toBe('2222');
  });
});
