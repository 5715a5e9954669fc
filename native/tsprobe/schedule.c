/* The client's open-loop send schedule, computed before the first send so the hot path only
 * reads the next offset (no random numbers, no log() between requests).
 *   fixed:   one request every 1/rate s.
 *   poisson: exponential gaps with mean 1/rate s (seeded xorshift64*).
 *   onoff:   bursts: every on+off ms period sends round(rate × period) requests evenly spread
 *            over the first on ms, then nothing for off ms; the mean rate is `rate`. */
#define _GNU_SOURCE
#include "tsprobe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t g_rng;
static double rng_uniform(void) { /* xorshift64*, in (0, 1] */
  g_rng ^= g_rng >> 12;
  g_rng ^= g_rng << 25;
  g_rng ^= g_rng >> 27;
  uint64_t x = g_rng * 2685821657736338717ull;
  return ((double)(x >> 11) + 1.0) / 9007199254740992.0;
}

int parse_arrivals(const char *s, enum tsp_arrivals *out) {
  if (strcmp(s, "fixed") == 0) *out = TSP_ARR_FIXED;
  else if (strcmp(s, "poisson") == 0) *out = TSP_ARR_POISSON;
  else if (strcmp(s, "onoff") == 0) *out = TSP_ARR_ONOFF;
  else return -1;
  return 0;
}

static void push(int64_t **v, uint64_t *n, uint64_t *cap, int64_t t) {
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 1024;
    int64_t *nv = realloc(*v, *cap * sizeof **v);
    if (!nv) die("out of memory for the send schedule (%llu requests)", (unsigned long long)*cap);
    *v = nv;
  }
  (*v)[(*n)++] = t;
}

int64_t *make_schedule(const struct schedule_cfg *cfg, int64_t span_ns, uint64_t *n_out) {
  int64_t *v = NULL;
  uint64_t n = 0, cap = 0;
  g_rng = cfg->seed ? cfg->seed : 1;
  if (cfg->arrivals == TSP_ARR_FIXED) {
    /* From the index, not by adding gaps: no rounding drift over millions of requests. */
    for (uint64_t k = 0;; k++) {
      int64_t t = (int64_t)((double)k * 1e9 / cfg->rate);
      if (t >= span_ns) break;
      push(&v, &n, &cap, t);
    }
  } else if (cfg->arrivals == TSP_ARR_POISSON) {
    double t = 0;
    while (t < (double)span_ns) {
      push(&v, &n, &cap, (int64_t)t);
      t += -log(rng_uniform()) * 1e9 / cfg->rate;
    }
  } else {
    double period_ns = (cfg->on_ms + cfg->off_ms) * 1e6;
    uint64_t per_burst = (uint64_t)llround(cfg->rate * period_ns / 1e9);
    double gap_ns = cfg->on_ms * 1e6 / (double)per_burst;
    for (uint64_t p = 0;; p++) {
      double start = (double)p * period_ns;
      if (start >= (double)span_ns) break;
      for (uint64_t k = 0; k < per_burst; k++) {
        int64_t t = (int64_t)(start + (double)k * gap_ns);
        if (t >= span_ns) break;
        push(&v, &n, &cap, t);
      }
    }
  }
  *n_out = n;
  return v;
}
