/* `bb-tsprobe client`: open-loop load at --rate with fixed, Poisson or on/off (bursty) arrivals
 * (schedule.c). Every request is timestamped at the send call, kernel TX (sched + software),
 * kernel RX and receive return; replies carry the server's and relays' timestamps. Writes one CSV
 * row per measured request (--records) and prints one JSON summary line on stdout.
 *
 * No coordinated omission (as bb-afxdp): each request's latency is also taken from the time the
 * schedule wanted it sent (latencyFromScheduleUs), so a client that falls behind shows the delay
 * it caused; when it falls more than a backlog limit behind, the overdue slots are skipped and
 * counted (unsent) instead of being sent in a burst. Hot path: the schedule and the records are
 * preallocated, TX stamps are read in batches, and formatting (CSV, JSON) happens after the run. */
#define _GNU_SOURCE
#include "client.h"
#include "load-opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/errqueue.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The send timer repeats this often until disarmed, in case one expiry is lost to the race
 * between checking the clock and entering recvmsg(). */
#define BACKSTOP_NS 1000000
/* TX stamps are read once this many replies are in (and whenever the loop is idle at the end):
 * a recvmmsg() per reply would be one more syscall per request on a CPU the server may share. */
#define TX_DRAIN_EVERY 32
/* How far behind its schedule the client may fall before the overdue slots are skipped (and
 * counted as unsent): this many mean gaps, at least BACKLOG_MIN_NS (bb-afxdp's rule). */
#define BACKLOG_GAPS 16
#define BACKLOG_MIN_NS 2000000


static void on_tx_stamp(void *ctx, const struct tx_stamp *st) {
  struct client *c = ctx;
  if (st->seq >= c->nsent) return; /* flush packets */
  struct crec *r = &c->rec[st->seq];
  if (st->kind == SCM_TSTAMP_SND) {
    r->tx = st->sw_ns;
    r->txhw = st->hw_ns;
  } else if (st->kind == SCM_TSTAMP_SCHED) {
    r->txsched = st->sw_ns;
  }
}

static void drain_tx(struct client *c) { ts_drain_tx(&c->ts, on_tx_stamp, c); }

/* Stores one hop's block (block index i: 0 = server, then relays from the server outwards). */
static void store_block(struct client *c, int nblocks, int i, const struct tsp_block *b, bool own) {
  if (b->seq >= c->nsent) return;
  if (i == 0) {
    if (own) memcpy(c->rec[b->seq].srv, b->t, sizeof b->t);
    return;
  }
  int k = nblocks - 1 - i;
  if (own && c->nrelays > 0 && k >= 0 && k < c->nrelays)
    memcpy(relay_slots(c, b->seq, k), b->t, sizeof b->t);
}

static void store_follow(struct client *c, int nblocks, int i, const struct tsp_follow *f) {
  if (f->seq >= c->nsent || f->slot >= TSP_SLOTS) return;
  if (i == 0) {
    c->rec[f->seq].srv[f->slot] = f->ns;
    if (f->slot == S_TX) c->srv_tx++;
    return;
  }
  int k = nblocks - 1 - i;
  if (c->nrelays > 0 && k >= 0 && k < c->nrelays) relay_slots(c, f->seq, k)[f->slot] = f->ns;
}

/* Returns the number of follow-ups the reply carried, or -1 when it was not a valid reply. */
static int on_reply(struct client *c, int flags) {
  static uint8_t buf[TSP_MAX_PKT];
  int64_t rx = 0, rxhw = 0;
  ssize_t n = ts_recv(&c->ts, buf, sizeof buf, NULL, &rx, &rxhw, flags);
  int64_t t_ret = now_ns();
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) err_note("recvmsg: %s", strerror(errno));
    return -1;
  }
  int64_t queued = rx ? busy_overlap(&c->busy, rx, t_ret) : 0;
  struct tsp_hdr h;
  if (n < (ssize_t)sizeof h) return -1;
  memcpy(&h, buf, sizeof h);
  if (h.magic != TSP_MAGIC || h.version != TSP_WIRE_VERSION || (h.type != TSP_REP && h.type != TSP_FLUSH_REP)) {
    err_note("malformed reply");
    return -1;
  }
  if ((uint64_t)n > c->reply_max) c->reply_max = (uint64_t)n;
  c->last_type = h.type;
  c->last_seq = h.seq;
  if (h.type == TSP_REP) {
    if (c->nrelays < 0 && h.nblocks >= 1) {
      c->nrelays = h.nblocks - 1;
      if (c->nrelays > 0) {
        c->relay = calloc(c->cap * (uint64_t)c->nrelays * TSP_SLOTS, sizeof(int64_t));
        if (!c->relay) die("out of memory for relay records");
        /* Once, on the first reply (normally in the warm-up): no first-touch faults per request later. */
        prefault(c->relay, c->cap * (uint64_t)c->nrelays * TSP_SLOTS * sizeof(int64_t));
      }
    } else if (h.nblocks - 1 != c->nrelays) {
      err_note("reply path length changed (%d blocks)", h.nblocks);
    }
    if (h.seq >= c->nsent) {
      c->unknown++;
      err_note("reply for a request never sent");
      return -1;
    }
    struct crec *r = &c->rec[h.seq];
    if (r->got) {
      c->dups++;
    } else {
      r->got = 1;
      c->nreplied++;
      r->rx = rx;
      r->rxhw = rxhw;
      r->ret = t_ret;
      r->queue = queued;
    }
  }
  size_t off = sizeof h + h.body_len;
  int follows = 0;
  for (int i = 0; i < h.nblocks; i++) {
    struct tsp_block b;
    if (off + sizeof b > (size_t)n) {
      err_note("truncated reply trailer");
      break;
    }
    memcpy(&b, buf + off, sizeof b);
    off += sizeof b;
    store_block(c, h.nblocks, i, &b, h.type == TSP_REP);
    for (int j = 0; j < b.nfollow && off + sizeof(struct tsp_follow) <= (size_t)n; j++) {
      struct tsp_follow f;
      memcpy(&f, buf + off, sizeof f);
      off += sizeof f;
      store_follow(c, h.nblocks, i, &f);
      follows++;
    }
  }
  busy_add(&c->busy, t_ret, now_ns());
  return follows;
}

static void poll_once(struct client *c, int64_t deadline) {
  int64_t now = now_ns();
  int64_t wait = deadline > now ? deadline - now : 0;
  struct timespec to = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
  struct pollfd pfd = {.fd = c->ts.fd, .events = POLLIN};
  int r = ppoll(&pfd, 1, &to, NULL);
  if (r <= 0) {
    if (r < 0 && errno != EINTR) err_note("ppoll: %s", strerror(errno));
    return;
  }
  if (pfd.revents & POLLERR) drain_tx(c);
  if (pfd.revents & POLLIN) on_reply(c, MSG_DONTWAIT);
}

static const char USAGE[] =
          "usage: bb-tsprobe client --server IP:PORT --rate PPS --duration S [--warmup S]\n"
          "       [--size BYTES] [--codec raw|json] [--fields N] [--arrivals fixed|poisson|onoff]\n"
          "       [--on-ms MS --off-ms MS] [--seed N] [--drain-ms MS] [--records FILE]\n"
          "       [--pacing busy|sleep] [--tx-sched] [--tx-id counter|cmsg]\n"
          "       [--hw-timestamps --iface IF] [--rx-mode block|spin] [--thread-info FILE]\n";

int cmd_client(int argc, char **argv) {
  static const struct option opts[] = {LOAD_SHARED_OPTIONS, {"warmup-s", required_argument, 0, 'w'},
                                       {"pacing", required_argument, 0, 'P'}, TSP_SHARED_OPTIONS,
                                       {0, 0, 0, 0}};
  struct load_opts lo;
  load_opts_init(&lo, "raw", 200);
  const char *pacing_s = "busy";
  struct ts_opts tso = {false, NULL, false, false};
  bool spin = false;
  const char *info_path = NULL;
  int opt;
  while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (load_opt(&lo, opt, optarg)) continue;
    switch (opt) {
    case 'H': tso.hw = true; break;
    case 'i': tso.iface = optarg; break;
    case 'I': tso.id_cmsg = parse_tx_id(optarg); break;
    case 'T': tso.tx_sched = true; break;
    case 'P': pacing_s = optarg; break;
    case 'R': spin = parse_rx_mode(optarg); break;
    case 'F': info_path = optarg; break;
    default: usage_exit(USAGE);
    }
  }
  load_opts_check(&lo, "client");
  bool busy_pacing = strcmp(pacing_s, "busy") == 0;
  if (!busy_pacing && strcmp(pacing_s, "sleep") != 0) die("client: --pacing must be busy or sleep");

  static uint8_t req[TSP_MAX_PKT];
  struct tsp_hdr h = {.magic = TSP_MAGIC, .version = TSP_WIRE_VERSION, .type = TSP_REQ, .codec = (uint8_t)lo.cfg.codec};
  size_t body = codec_make_request(&lo.cfg, (size_t)lo.size - sizeof h, req + sizeof h, sizeof req - sizeof h);
  h.body_len = (uint16_t)body;
  size_t req_len = sizeof h + body;

  /* The whole schedule, warm-up included, before the first send. */
  int64_t warm_ns = (int64_t)(lo.warmup_s * 1e9);
  int64_t span_ns = warm_ns + (int64_t)(lo.duration_s * 1e9);
  uint64_t nslots = 0;
  int64_t *sched = make_schedule(&lo.sc, span_ns, &nslots);
  if (nslots == 0) die("client: the schedule holds no request (--rate x --duration too small)");

  struct client c;
  memset(&c, 0, sizeof c);
  c.nrelays = -1;
  c.cap = nslots; /* at most one request per slot */
  c.rec = calloc(c.cap, sizeof *c.rec);
  if (!c.rec) die("out of memory for %llu records", (unsigned long long)c.cap);
  prefault(c.rec, c.cap * sizeof *c.rec);

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  if (connect(fd, (struct sockaddr *)&lo.srv_addr, sizeof lo.srv_addr) < 0) die("connect %s: %s", lo.server_s, strerror(errno));
  ts_sock_init(&c.ts, fd, &tso);
  c.spin = spin;
  prctl(PR_SET_TIMERSLACK, 1UL); /* default 50 us timer slack would make sends late */
  install_stop_handlers();

  double mean_gap_ns = 1e9 / lo.rate;
  int64_t max_backlog = mean_gap_ns * BACKLOG_GAPS > BACKLOG_MIN_NS ? (int64_t)(mean_gap_ns * BACKLOG_GAPS) : BACKLOG_MIN_NS;
  int64_t t0 = now_ns() + 10000000;
  int64_t t_warm = t0 + warm_ns;
  int64_t t_end = t0 + span_ns;
  write_thread_info(info_path, "client", t0);
  /* Slot k is due at t0 + sched[k]. `next` is the upcoming send, `after` the one after it (past the
   * last slot: the end of the window, which only bounds the wait for the last reply). The wake-up
   * timer must be set for `next` whenever the loop blocks waiting for a reply; it is re-armed while
   * idle, before the send, so arming it is neither inside a round trip nor a cause of late sends. */
  uint64_t slot = 0, unsent = 0, warmup_unsent = 0;
#define SLOT_AT(k) ((k) < nslots ? t0 + sched[k] : t_end)
  int64_t next = SLOT_AT(0);
  int64_t after = SLOT_AT(1);
  int64_t armed = 0;
  uint64_t first_measured = UINT64_MAX;
  wake_timer_init();
  long faults_before = minor_faults();
  while (!g_stop && slot < nslots) {
    int64_t now = now_ns();
    if (now < next) {
      if (c.nsent == 0 || c.rec[c.nsent - 1].got) {
        /* Nothing due: wait for the send time. Busy pacing (like sockperf) spins so the CPU is
         * not idle and cold at send time. Either way the thread reads no socket meanwhile, so
         * a late reply arriving now waits on the application (logged as busy). */
        if (armed != after) {
          wake_timer_at(after, BACKSTOP_NS);
          armed = after;
        }
        if (busy_pacing) {
          spin_until(next);
        } else {
          struct timespec ts = {.tv_sec = next / 1000000000, .tv_nsec = next % 1000000000};
          clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
        }
        busy_add(&c.busy, now, now_ns());
      } else {
        /* A reply is due: block in recvmsg() (the timer interrupts it at `next`), so its
         * wake-up is a plain socket wake-up; spin mode polls (the loop re-checks the clock). */
        if (!c.spin && armed != next) {
          wake_timer_at(next, BACKSTOP_NS);
          armed = next;
        }
        /* TX stamps wait in the error queue until the reply is in: reading them earlier
         * would put a syscall between the send and the blocking receive. Once the latest reply
         * is in, the timer moves straight on to `after` (one syscall): left at `next` it would
         * fire at the next send time, in the middle of that sendmsg(). */
        if (on_reply(&c, c.spin ? MSG_DONTWAIT : 0) >= 0) {
          if (!c.spin && c.rec[c.nsent - 1].got) {
            wake_timer_at(after, BACKSTOP_NS);
            armed = after;
          }
          if (++c.since_drain >= TX_DRAIN_EVERY) {
            drain_tx(&c);
            c.since_drain = 0;
          }
        }
      }
      continue;
    }
    if (now > next + max_backlog) {
      /* Too far behind: the overdue slots are never sent (a burst would exceed the offered
       * rate); those in the measured window are counted, and the schedule goes on from now. */
      while (slot < nslots && t0 + sched[slot] <= now) {
        if (t0 + sched[slot] >= t_warm) unsent++;
        else warmup_unsent++;
        slot++;
      }
      next = SLOT_AT(slot);
      after = SLOT_AT(slot + 1);
      continue;
    }
    if (first_measured == UINT64_MAX && next >= t_warm) first_measured = c.nsent;
    if (c.nsent > 0 && !c.rec[c.nsent - 1].got) {
      /* Sending while replies are outstanding (a high rate, or catching up after a stall):
       * take in whatever has arrived first, so replies neither pile up nor overflow. */
      while (on_reply(&c, MSG_DONTWAIT) >= 0) {
      }
      drain_tx(&c);
      c.since_drain = 0;
    }
    if (armed != after) { /* no idle moment since the last reply: arm now */
      wake_timer_at(after, BACKSTOP_NS);
      armed = after;
    }
    uint64_t seq = c.nsent;
    struct crec *r = &c.rec[seq];
    h.seq = seq;
    memcpy(req, &h, sizeof h);
    r->sched = next;
    c.nsent++; /* before sending, so a TX stamp read later finds its record */
    r->send = now_ns();
    if (ts_send(&c.ts, req, req_len, NULL, seq, r->send) < 0) err_note("send: %s", strerror(errno));
    slot++;
    next = after;
    after = SLOT_AT(slot + 1);
  }
#undef SLOT_AT
  long faults_sending = minor_faults() - faults_before;
  wake_timer_at(0, 0);
  if (first_measured == UINT64_MAX) first_measured = c.nsent;
  /* Slots of the measured window the loop never reached (a stop signal): neither sent nor
   * skipped, so not counted as unsent; `scheduled` counts the slots the run got to. */
  uint64_t scheduled = 0;
  for (uint64_t k = 0; k < slot; k++)
    if (t0 + sched[k] >= t_warm) scheduled++;
  free(sched);

  /* Wait for stragglers — until every request has its reply, at most --drain-ms (waiting the
   * whole drain when nothing is missing only lengthened every trial) — then flush: each flush
   * reply brings pending follow-ups (late TX stamps). */
  drain_tx(&c);
  int64_t drain_end = now_ns() + (int64_t)(lo.drain_ms * 1e6);
  while (!g_stop && c.nreplied < c.nsent && now_ns() < drain_end) poll_once(&c, drain_end);
  int missed = 0; /* flushes without a reply: stop after a few, the path is gone */
  for (int k = 0; k < 64 && !g_stop && missed < 3; k++) {
    struct tsp_hdr fh = {.magic = TSP_MAGIC, .version = TSP_WIRE_VERSION, .type = TSP_FLUSH, .seq = (uint64_t)k};
    if (ts_send(&c.ts, &fh, sizeof fh, NULL, TSP_FLUSH_SEQ_BIT | (uint64_t)k, now_ns()) < 0) break;
    int64_t wait_end = now_ns() + 50000000;
    int got = -1;
    while (now_ns() < wait_end && got < 0) {
      struct pollfd pfd = {.fd = fd, .events = POLLIN};
      int64_t w = wait_end - now_ns();
      struct timespec to = {.tv_sec = w / 1000000000, .tv_nsec = w % 1000000000};
      if (ppoll(&pfd, 1, &to, NULL) <= 0) continue;
      if (pfd.revents & POLLERR) drain_tx(&c);
      if (pfd.revents & POLLIN) {
        int f = on_reply(&c, MSG_DONTWAIT);
        /* A late ordinary reply can arrive here too; only this flush's reply ends the wait. */
        if (f >= 0 && c.last_type == TSP_FLUSH_REP && c.last_seq == (uint64_t)k) got = f;
      }
    }
    if (got < 0) {
      missed++;
      continue;
    }
    c.flush_replies++;
    c.flush_follow += (uint64_t)got;
    if (got == 0) break;
  }
  drain_tx(&c);

  /* ---- summary over measured requests [first_measured, nsent) ---- */
  uint64_t n = c.nsent - first_measured, received = 0, complete = 0;
  json_t *m = measured_summary(&c, first_measured, lo.duration_s, lo.rate, scheduled, unsent, &received, &complete);
  int rec_err = 0;
  if (lo.records && write_records(&c, lo.records, first_measured, c.nsent, t0) != 0) {
    err_note("writing %s: %s", lo.records, strerror(errno));
    rec_err = 1;
  }
  char t0s[32];
  snprintf(t0s, sizeof t0s, "%lld", (long long)t0);
  json_t *summary = json_pack(
      "{s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:I,s:f,s:s,s:I,s:f,s:f,s:I,s:I,s:I,s:I,"
      "s:s?,s:I,s:s,s:{s:o,s:I,s:I,s:I},s:o}",
      "tool", "bb-tsprobe", "version", TSP_VERSION_STR, "role", "client", "server", lo.server_s, "codec", lo.codec_s,
      "fields", (int)lo.fields, "msgSizeBytes", (json_int_t)req_len, "replyBytesMax", (json_int_t)c.reply_max,
      "offeredPps", lo.rate, "arrivals", lo.arrivals_s, "seed", (json_int_t)lo.seed, "durationS", lo.duration_s, "warmupS",
      lo.warmup_s, "warmupUnsent", (json_int_t)warmup_unsent, "lost", (json_int_t)(n - received), "duplicates",
      (json_int_t)c.dups, "hops", (json_int_t)(c.nrelays > 0 ? c.nrelays : 0), "recordsFile", rec_err ? NULL : lo.records,
      "recordsComplete", (json_int_t)complete, "t0Ns", t0s, "timestamping", "client", ts_sock_json(&c.ts),
      "serverTxStamps", (json_int_t)c.srv_tx, "flushes", (json_int_t)c.flush_replies, "flushFollowups",
      (json_int_t)c.flush_follow, "errors", err_json());
  json_object_update(summary, m);
  json_decref(m);
  if (lo.onoff) {
    json_object_set_new(summary, "onMs", json_real(lo.on_ms));
    json_object_set_new(summary, "offMs", json_real(lo.off_ms));
  }
  json_object_set_new(summary, "pacing", json_string(pacing_s));
  json_object_set_new(summary, "txSched", json_boolean(tso.tx_sched));
  json_object_set_new(summary, "rxMode", json_string(c.spin ? "spin" : "block"));
  /* Page faults taken by the send loop (warm-up included): the hot path's memory is prefaulted. */
  json_object_set_new(summary, "minorFaultsWhileSending", json_integer((json_int_t)faults_sending));
  /* Thread id and clock offset: see server.c (joining a tracer's wake-up events). */
  json_object_set_new(summary, "tid", json_integer((json_int_t)gettid()));
  json_object_set_new(summary, "realtimeMinusMonotonicNs", json_integer((json_int_t)realtime_minus_monotonic_ns()));
  json_dumpf(summary, stdout, JSON_COMPACT);
  fputc('\n', stdout);
  json_decref(summary);
  free(c.rec);
  free(c.relay);
  ts_sock_free(&c.ts);
  close(fd);
  return rec_err ? 1 : 0;
}
