import { describe, expect, it } from 'vitest';
import { buildTsprobeTcpClientCommand } from '../../../drivers/tsprobe/tcp-command.js';

const base = { binary: '/b/bb-tsprobe', serverIp: '127.0.0.1', port: 7000, msgSizeBytes: 200, offeredPps: 500, durationS: 2 };

describe('bb-tsprobe tcp-client argv', () => {
  it('builds the argv with connections and framing', () => {
    expect(buildTsprobeTcpClientCommand({ ...base, connections: 4, framing: 'ndjson', recordsPath: '/r.csv' })).toEqual([
      '/b/bb-tsprobe',
      'tcp-client',
      '--server',
      '127.0.0.1:7000',
      '--size',
      '200',
      '--codec',
      'json',
      '--rate',
      '500',
      '--duration',
      '2',
      '--connections',
      '4',
      '--framing',
      'ndjson',
      '--records',
      '/r.csv',
    ]);
  });
  it('names the field and what is allowed', () => {
    expect(() => buildTsprobeTcpClientCommand({ ...base, connections: 0 })).toThrow(/connections/);
    expect(() => buildTsprobeTcpClientCommand({ ...base, framing: 'xml' as 'ndjson' })).toThrow(/framing must be header or ndjson, got "xml"/);
    expect(() => buildTsprobeTcpClientCommand({ ...base, serverIp: '1.2.3.4; x' })).toThrow(/serverIp/);
  });
});
