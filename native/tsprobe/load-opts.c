/* The load clients' shared options (load-opts.h). */
#define _GNU_SOURCE
#include "load-opts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void load_opts_init(struct load_opts *o, const char *codec, double drain_ms) {
  memset(o, 0, sizeof *o);
  o->codec_s = codec;
  o->arrivals_s = "fixed";
  o->size = 64;
  o->fields = 8;
  o->drain_ms = drain_ms;
  o->on_ms = -1; /* -1: not given (they go with --arrivals onoff only) */
  o->off_ms = -1;
  o->seed = 1;
}

bool load_opt(struct load_opts *o, int opt, const char *arg) {
  switch (opt) {
  case 'S': o->server_s = arg; break;
  case 'm': o->size = atol(arg); break;
  case 'c': o->codec_s = arg; break;
  case 'f': o->fields = atol(arg); break;
  case 'r': o->rate = atof(arg); break;
  case 'a': o->arrivals_s = arg; break;
  case 'd': o->duration_s = atof(arg); break;
  case 'w': o->warmup_s = atof(arg); break;
  case 'N': o->on_ms = atof(arg); break;
  case 'O': o->off_ms = atof(arg); break;
  case 'o': o->records = arg; break;
  case 's': o->seed = strtoull(arg, NULL, 10); break;
  case 'D': o->drain_ms = atof(arg); break;
  default: return false;
  }
  return true;
}

void load_opts_check(struct load_opts *o, const char *role) {
  if (!o->server_s || parse_hostport(o->server_s, &o->srv_addr) < 0) die("%s: --server IP:PORT is required", role);
  if (o->rate <= 0) die("%s: --rate must be > 0", role);
  if (o->duration_s <= 0) die("%s: --duration must be > 0", role);
  if (o->warmup_s < 0 || o->drain_ms < 0) die("%s: --warmup and --drain-ms must be >= 0", role);
  if (o->size < (long)sizeof(struct tsp_hdr) || o->size > 4096)
    die("%s: --size must be in [%zu, 4096], got %ld", role, sizeof(struct tsp_hdr), o->size);
  if (o->fields < 1 || o->fields > 99) die("%s: --fields must be in [1, 99]", role);
  o->cfg.codec = TSP_CODEC_RAW;
  o->cfg.fields = (int)o->fields;
  if (strcmp(o->codec_s, "json") == 0) o->cfg.codec = TSP_CODEC_JSON;
  else if (strcmp(o->codec_s, "raw") != 0) die("%s: --codec must be raw or json, got %s", role, o->codec_s);
  o->sc.rate = o->rate;
  o->sc.seed = o->seed;
  if (parse_arrivals(o->arrivals_s, &o->sc.arrivals) < 0)
    die("%s: --arrivals must be fixed, poisson or onoff, got %s", role, o->arrivals_s);
  o->onoff = o->sc.arrivals == TSP_ARR_ONOFF;
  if (o->onoff != (o->on_ms >= 0 && o->off_ms >= 0))
    die("%s: --on-ms and --off-ms go with --arrivals onoff (both, and only then)", role);
  if (o->onoff) {
    if (o->on_ms <= 0 || o->off_ms < 0) die("%s: --on-ms must be > 0 and --off-ms >= 0", role);
    if (llround(o->rate * (o->on_ms + o->off_ms) / 1e3) < 1)
      die("%s: --rate x (--on-ms + --off-ms) must be at least one request per period, got %.3f", role,
          o->rate * (o->on_ms + o->off_ms) / 1e3);
    o->sc.on_ms = o->on_ms;
    o->sc.off_ms = o->off_ms;
  }
}
