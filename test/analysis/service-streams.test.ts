// The event streams of the service matching: in order (one connection) and out of order (several).
import { describe, expect, it } from 'vitest';
import { Pool, Stream } from '../../analysis/service-streams.js';

const events = [
  { ns: 10, tid: 1 },
  { ns: 20, tid: 2 },
  { ns: 30, tid: 1 },
];
const at = (e: { ns: number }) => e.ns;

describe('service event streams', () => {
  it('Stream skips what a later request passed over, for good', () => {
    const s = new Stream(events, at);
    expect(s.take(15, 40)).toEqual(events[1]);
    expect(s.take(0, 40)).toEqual(events[2]);
    expect(s.take(0, 40)).toBeNull();
  });
  it('Pool keeps what a later request passed over for an earlier one, and prefers what `prefer` likes', () => {
    const p = new Pool(events, at);
    expect(p.take(15, 40)).toEqual(events[1]);
    expect(p.take(0, 40)).toEqual(events[0]);
    const q = new Pool(events, at);
    expect(q.take(0, 40, (e) => e.tid === 2)).toEqual(events[1]);
    // Nothing it likes in the window: the first unused one.
    expect(q.take(0, 40, (e) => e.tid === 3)).toEqual(events[0]);
    expect(q.take(31, 40)).toBeNull();
  });
});
