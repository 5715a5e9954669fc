/* What joining a tracer's wake-up events to the probe's requests needs: the receive mode and the
 * offset between the tracer's clock and the probe's. */
#define _GNU_SOURCE
#include "tsprobe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

bool parse_rx_mode(const char *arg) {
  if (strcmp(arg, "block") != 0 && strcmp(arg, "spin") != 0) die("--rx-mode must be block or spin, got %s", arg);
  return strcmp(arg, "spin") == 0;
}

int64_t realtime_minus_monotonic_ns(void) {
  /* Bracket one realtime read with two monotonic reads and take their midpoint. */
  struct timespec m1, r, m2;
  clock_gettime(CLOCK_MONOTONIC, &m1);
  clock_gettime(CLOCK_REALTIME, &r);
  clock_gettime(CLOCK_MONOTONIC, &m2);
  int64_t mono = ((int64_t)m1.tv_sec * 1000000000 + m1.tv_nsec + (int64_t)m2.tv_sec * 1000000000 + m2.tv_nsec) / 2;
  return (int64_t)r.tv_sec * 1000000000 + r.tv_nsec - mono;
}

void write_thread_info(const char *path, const char *role, int64_t t0_ns) {
  if (!path) return;
  FILE *f = fopen(path, "w");
  if (!f) die("--thread-info %s: %s", path, strerror(errno));
  fprintf(f, "{\"role\":\"%s\",\"tid\":%d,\"realtimeMinusMonotonicNs\":%lld", role, (int)gettid(),
          (long long)realtime_minus_monotonic_ns());
  if (t0_ns) fprintf(f, ",\"t0Ns\":\"%lld\"", (long long)t0_ns);
  fputs("}\n", f);
  if (fclose(f) != 0) die("--thread-info %s: %s", path, strerror(errno));
}
