// Whether tracefs is mounted, from /proc/mounts lines as this machine prints them.
import { expect, test } from 'vitest';
import { tracefsMounted } from '../../runners/tracefs.js';

test('finds tracefs at /sys/kernel/tracing only', () => {
  expect(tracefsMounted('proc /proc proc rw 0 0\nnodev /sys/kernel/tracing tracefs rw,relatime 0 0\n')).toBe(true);
  expect(tracefsMounted('proc /proc proc rw 0 0\nsysfs /sys sysfs rw 0 0\n')).toBe(false);
  expect(tracefsMounted('nodev /sys/kernel/debug/tracing tracefs rw 0 0\n')).toBe(false);
  expect(tracefsMounted('none /sys/kernel/tracing debugfs rw 0 0\n')).toBe(false);
});
