/* Options the two load clients (`client`: UDP, client.c; `tcp-client`: tcp_client.c) share: the
 * target, the payload, the schedule and the records. Each client adds its own options to the
 * getopt table and parses them itself; load_opt() takes the shared ones. */
#ifndef BB_TSPROBE_LOAD_OPTS_H
#define BB_TSPROBE_LOAD_OPTS_H

#include "tsprobe.h"

#include <getopt.h>

/* getopt_long entries of the shared options (short codes: S m c f r a d w N O o s D). */
#define LOAD_SHARED_OPTIONS                                                                        \
  {"server", required_argument, 0, 'S'}, {"size", required_argument, 0, 'm'},                    \
      {"codec", required_argument, 0, 'c'}, {"fields", required_argument, 0, 'f'},                \
      {"rate", required_argument, 0, 'r'}, {"arrivals", required_argument, 0, 'a'},               \
      {"duration", required_argument, 0, 'd'}, {"warmup", required_argument, 0, 'w'},             \
      {"on-ms", required_argument, 0, 'N'}, {"off-ms", required_argument, 0, 'O'},                \
      {"records", required_argument, 0, 'o'}, {"seed", required_argument, 0, 's'},                \
      {"drain-ms", required_argument, 0, 'D'}

struct load_opts {
  /* as given (the summary echoes them) */
  const char *server_s, *codec_s, *arrivals_s, *records;
  long size, fields;
  double rate, duration_s, warmup_s, drain_ms, on_ms, off_ms;
  unsigned long long seed;
  /* derived by load_opts_check() */
  struct sockaddr_in srv_addr;
  struct codec_cfg cfg;
  struct schedule_cfg sc;
  bool onoff;
};

/* The shared defaults; the two clients differ only in the codec and the drain. */
void load_opts_init(struct load_opts *o, const char *codec, double drain_ms);
/* Takes one shared option (getopt's code and optarg); false when `opt` is not one of them. */
bool load_opt(struct load_opts *o, int opt, const char *arg);
/* Checks the shared options and derives the address, codec and schedule configuration; exits
 * with a usage error naming `role` ("client", "tcp-client") and the bad value otherwise. */
void load_opts_check(struct load_opts *o, const char *role);

#endif
