/* bb-tsprobe client internals shared by client.c (the run) and client-report.c (what is written
 * after it: the records CSV and the summary's numbers). */
#ifndef BB_TSPROBE_CLIENT_H
#define BB_TSPROBE_CLIENT_H

#include "tsprobe.h"

#define NRELAY_SLOTS 8 /* R_QRX .. R_PTX: the relay columns exported to CSV */

struct crec {
  int64_t sched, send, txsched, tx, txhw, rx, rxhw, ret, queue;
  int64_t srv[TSP_SLOTS];
  uint8_t got;
};

struct client {
  struct ts_sock ts;
  struct busy_log busy;
  struct crec *rec;
  int64_t *relay; /* [seq][relay 0..nrelays-1][TSP_SLOTS], relay 0 = nearest the client */
  uint64_t cap, nsent;
  int nrelays; /* -1 until the first reply shows the path length */
  uint64_t dups, unknown, flush_replies, flush_follow, reply_max;
  uint64_t nreplied; /* requests with a reply: the drain ends early once every sent request has one */
  uint64_t srv_tx;
  unsigned since_drain; /* replies taken in since TX stamps were last read */
  uint8_t last_type; /* type and seq of the last valid reply, for the flush handshake */
  uint64_t last_seq;
  bool spin; /* --rx-mode spin: poll for the reply, never sleep */
};

static inline int64_t *relay_slots(const struct client *c, uint64_t seq, int k) {
  return &c->relay[(seq * (uint64_t)c->nrelays + (uint64_t)k) * TSP_SLOTS];
}

/* One CSV row per request in [first, last) (README: Records); 0 on success. */
int write_records(const struct client *c, const char *path, uint64_t first, uint64_t last, int64_t t0);
/* The measured requests' numbers for the summary (counts, rates, both latency blocks, send lag). */
json_t *measured_summary(const struct client *c, uint64_t first, double duration_s, double rate, uint64_t scheduled,
                         uint64_t unsent, uint64_t *received_out, uint64_t *complete_out);

#endif
