/* `bb-tsprobe tcp-client`: the open-loop load client for TCP services (service attribution, issue
 * 15). Same schedule (schedule.c: fixed, Poisson, on/off bursts), payload templates (codec.c),
 * per-request records and summary numbers (client-report.c) as the UDP client, so the analysis of
 * a service's records does not care which protocol carried them. One or --connections N persistent
 * connections; request seq goes out on connection seq % N.
 *
 * Framing (--framing):
 *   header: length-prefixed by the 24-byte bb-tsprobe header (its body_len, bytes 16-17, little
 *           endian) followed by the body; the reply is a header of type REP with the request's seq,
 *           then body_len bytes. Replies are matched by that seq (the request id).
 *   ndjson: one JSON object per line, {"id":SEQ,...fields}\n; the reply is one line. Matched by
 *           its "id" when it echoes one, else by order on its connection (TCP keeps order).
 *
 * No coordinated omission: latency is also taken from each request's scheduled send time, and when
 * the client falls more than 16 mean gaps (at least 2 ms) behind, the overdue slots are skipped and
 * counted as unsent, as in client.c. Sends block (a full socket buffer is the service's
 * back-pressure and shows as latency from the schedule); the client sleeps in ppoll() until the
 * next send is due, reading replies as they come. No SO_TIMESTAMPING on TCP: the records carry
 * the send call, the reply's return and the schedule; the service side comes from the tracer. */
#define _GNU_SOURCE
#include "client.h"
#include "load-opts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TCP_MAX_CONNS 64
#define RBUF_BYTES 65536
#define BACKLOG_GAPS 16
#define BACKLOG_MIN_NS 2000000

enum framing { FRAME_HEADER = 0, FRAME_NDJSON = 1 };

struct conn {
  int fd;
  bool dead;
  uint8_t rbuf[RBUF_BYTES];
  size_t rlen;
  uint64_t next_seq; /* the oldest request on this connection not yet answered (order matching) */
};

struct tcp_run {
  struct client c;
  struct conn *conns;
  int nconn;
  enum framing framing;
  uint64_t answered, by_order, framing_errors;
};

/* A reply for seq came in at t_ret. */
static void on_reply_seq(struct tcp_run *t, uint64_t seq, int64_t t_ret, size_t bytes) {
  struct client *c = &t->c;
  if (seq >= c->nsent) {
    c->unknown++;
    err_note("reply for a request never sent");
    return;
  }
  if (bytes > c->reply_max) c->reply_max = bytes;
  struct crec *r = &c->rec[seq];
  if (r->got) {
    c->dups++;
    return;
  }
  r->got = 1;
  r->ret = t_ret;
  t->answered++;
}

/* The request id an ndjson reply echoes ("id":N), or -1 when it has none. */
static long long line_id(const char *line, size_t len) {
  const char *p = memmem(line, len, "\"id\":", 5);
  if (!p) return -1;
  p += 5;
  while (p < line + len && *p == ' ') p++;
  if (p >= line + len || *p < '0' || *p > '9') return -1;
  return strtoll(p, NULL, 10);
}

/* Takes every complete reply out of the connection's buffer; returns false on a framing error. */
static bool take_frames(struct tcp_run *t, int k, int64_t t_ret) {
  struct conn *cn = &t->conns[k];
  size_t off = 0;
  bool ok = true;
  for (;;) {
    size_t avail = cn->rlen - off;
    uint8_t *p = cn->rbuf + off;
    uint64_t seq;
    size_t used;
    if (t->framing == FRAME_HEADER) {
      struct tsp_hdr h;
      if (avail < sizeof h) break;
      memcpy(&h, p, sizeof h);
      if (h.magic != TSP_MAGIC || h.type != TSP_REP) {
        err_note("tcp: reply does not start with a bb-tsprobe REP header");
        ok = false;
        break;
      }
      used = sizeof h + h.body_len;
      if (avail < used) break;
      seq = h.seq;
    } else {
      uint8_t *nl = memchr(p, '\n', avail);
      if (!nl) break;
      used = (size_t)(nl - p) + 1;
      long long id = line_id((const char *)p, used - 1);
      if (id >= 0) seq = (uint64_t)id;
      else {
        seq = cn->next_seq;
        t->by_order++;
      }
    }
    on_reply_seq(t, seq, t_ret, used);
    /* Order on the connection: the next unanswered request after this one. */
    if (seq >= cn->next_seq) cn->next_seq = seq + (uint64_t)t->nconn;
    off += used;
  }
  memmove(cn->rbuf, cn->rbuf + off, cn->rlen - off);
  cn->rlen -= off;
  if (cn->rlen == sizeof cn->rbuf) {
    err_note("tcp: a reply larger than %d bytes", RBUF_BYTES);
    ok = false;
  }
  return ok;
}

static void read_conn(struct tcp_run *t, int k) {
  struct conn *cn = &t->conns[k];
  for (;;) {
    ssize_t n = recv(cn->fd, cn->rbuf + cn->rlen, sizeof cn->rbuf - cn->rlen, MSG_DONTWAIT);
    int64_t t_ret = now_ns();
    if (n > 0) {
      cn->rlen += (size_t)n;
      if (!take_frames(t, k, t_ret)) {
        t->framing_errors++;
        cn->dead = true;
        return;
      }
      continue;
    }
    if (n == 0) {
      err_note("tcp: the service closed the connection");
      cn->dead = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      err_note("tcp recv: %s", strerror(errno));
      cn->dead = true;
    }
    return;
  }
}

/* Waits until `deadline` (or the first readable connection) and reads what came. */
static void poll_conns(struct tcp_run *t, int64_t deadline) {
  struct pollfd pfd[TCP_MAX_CONNS];
  for (int k = 0; k < t->nconn; k++) pfd[k] = (struct pollfd){.fd = t->conns[k].dead ? -1 : t->conns[k].fd, .events = POLLIN};
  int64_t now = now_ns();
  int64_t wait = deadline > now ? deadline - now : 0;
  struct timespec to = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
  int r = ppoll(pfd, (nfds_t)t->nconn, &to, NULL);
  if (r <= 0) {
    if (r < 0 && errno != EINTR) err_note("ppoll: %s", strerror(errno));
    return;
  }
  for (int k = 0; k < t->nconn; k++)
    if (pfd[k].revents & (POLLIN | POLLERR | POLLHUP)) read_conn(t, k);
}

static bool send_all(struct conn *cn, const uint8_t *buf, size_t len) {
  while (len > 0) {
    ssize_t n = send(cn->fd, buf, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR && !g_stop) continue;
      err_note("tcp send: %s", strerror(errno));
      cn->dead = true;
      return false;
    }
    buf += n;
    len -= (size_t)n;
  }
  return true;
}

static const char USAGE[] =
    "usage: bb-tsprobe tcp-client --server IP:PORT --rate PPS --duration S [--warmup S]\n"
    "       [--size BYTES] [--codec raw|json] [--fields N] [--arrivals fixed|poisson|onoff]\n"
    "       [--on-ms MS --off-ms MS] [--seed N] [--drain-ms MS] [--records FILE]\n"
    "       [--connections N] [--framing header|ndjson] [--thread-info FILE]\n";

int cmd_tcp_client(int argc, char **argv) {
  static const struct option opts[] = {LOAD_SHARED_OPTIONS, {"connections", required_argument, 0, 'C'},
                                       {"framing", required_argument, 0, 'G'}, {"thread-info", required_argument, 0, 'F'},
                                       {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  struct load_opts lo;
  load_opts_init(&lo, "json", 500);
  const char *framing_s = "header", *info_path = NULL;
  long nconn = 1;
  int opt;
  while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (load_opt(&lo, opt, optarg)) continue;
    switch (opt) {
    case 'C': nconn = atol(optarg); break;
    case 'G': framing_s = optarg; break;
    case 'F': info_path = optarg; break;
    default: usage_exit(USAGE);
    }
  }
  load_opts_check(&lo, "tcp-client");
  if (nconn < 1 || nconn > TCP_MAX_CONNS) die("tcp-client: --connections must be in [1, %d], got %ld", TCP_MAX_CONNS, nconn);
  enum framing framing;
  if (strcmp(framing_s, "header") == 0) framing = FRAME_HEADER;
  else if (strcmp(framing_s, "ndjson") == 0) framing = FRAME_NDJSON;
  else die("tcp-client: --framing must be header or ndjson, got %s", framing_s);
  if (framing == FRAME_NDJSON && lo.cfg.codec != TSP_CODEC_JSON) die("tcp-client: --framing ndjson needs --codec json");

  /* The request template: header framing = header + body of size - 24 bytes; ndjson = a JSON
   * object line of about `size` bytes whose "id" is written per request. */
  static uint8_t body[TSP_MAX_PKT], req[TSP_MAX_PKT + 32];
  struct tsp_hdr h = {.magic = TSP_MAGIC, .version = TSP_WIRE_VERSION, .type = TSP_REQ, .codec = (uint8_t)lo.cfg.codec};
  size_t id_room = framing == FRAME_NDJSON ? 16 : sizeof h; /* "id":N, and the newline */
  size_t body_len = codec_make_request(&lo.cfg, (size_t)lo.size > id_room ? (size_t)lo.size - id_room : 2, body, sizeof body);
  if (body_len == 0) die("tcp-client: could not build a request body of %ld bytes", lo.size);
  h.body_len = (uint16_t)body_len;

  int64_t warm_ns = (int64_t)(lo.warmup_s * 1e9);
  int64_t span_ns = warm_ns + (int64_t)(lo.duration_s * 1e9);
  uint64_t nslots = 0;
  int64_t *sched = make_schedule(&lo.sc, span_ns, &nslots);
  if (nslots == 0) die("tcp-client: the schedule holds no request (--rate x --duration too small)");

  struct tcp_run t;
  memset(&t, 0, sizeof t);
  t.framing = framing;
  t.nconn = (int)nconn;
  t.c.nrelays = 0;
  t.c.cap = nslots;
  t.c.rec = calloc(t.c.cap, sizeof *t.c.rec);
  t.conns = calloc((size_t)nconn, sizeof *t.conns);
  if (!t.c.rec || !t.conns) die("out of memory for %llu records", (unsigned long long)t.c.cap);
  for (int k = 0; k < t.nconn; k++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket: %s", strerror(errno));
    int one = 1;
    /* Requests are small and latency-bound: no Nagle delay on the client's side. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&lo.srv_addr, sizeof lo.srv_addr) < 0) die("tcp-client: connect %s: %s", lo.server_s, strerror(errno));
    t.conns[k].fd = fd;
    t.conns[k].next_seq = (uint64_t)k;
  }
  prctl(PR_SET_TIMERSLACK, 1UL);
  install_stop_handlers();

  double mean_gap_ns = 1e9 / lo.rate;
  int64_t max_backlog = mean_gap_ns * BACKLOG_GAPS > BACKLOG_MIN_NS ? (int64_t)(mean_gap_ns * BACKLOG_GAPS) : BACKLOG_MIN_NS;
  int64_t t0 = now_ns() + 10000000;
  int64_t t_warm = t0 + warm_ns;
  write_thread_info(info_path, "client", t0);
  uint64_t slot = 0, unsent = 0, warmup_unsent = 0, first_measured = UINT64_MAX;
  size_t first_len = 0; /* the first request's bytes on the wire (ndjson: its id's digits vary) */
  int alive = t.nconn;
  while (!g_stop && slot < nslots && alive > 0) {
    int64_t next = t0 + sched[slot];
    int64_t now = now_ns();
    if (now < next) {
      poll_conns(&t, next);
      continue;
    }
    if (now > next + max_backlog) {
      while (slot < nslots && t0 + sched[slot] <= now) {
        if (t0 + sched[slot] >= t_warm) unsent++;
        else warmup_unsent++;
        slot++;
      }
      continue;
    }
    if (first_measured == UINT64_MAX && next >= t_warm) first_measured = t.c.nsent;
    uint64_t seq = t.c.nsent;
    struct conn *cn = &t.conns[seq % (uint64_t)t.nconn];
    size_t len;
    if (framing == FRAME_HEADER) {
      h.seq = seq;
      memcpy(req, &h, sizeof h);
      memcpy(req + sizeof h, body, body_len);
      len = sizeof h + body_len;
    } else {
      /* {"id":SEQ, + the template's fields after its "{" + newline */
      int n = snprintf((char *)req, 32, "{\"id\":%llu,", (unsigned long long)seq);
      memcpy(req + n, body + 1, body_len - 1);
      len = (size_t)n + body_len - 1;
      req[len++] = '\n';
    }
    if (first_len == 0) first_len = len;
    struct crec *r = &t.c.rec[seq];
    r->sched = next;
    t.c.nsent++;
    r->send = now_ns();
    if (!cn->dead) send_all(cn, req, len);
    slot++;
    alive = 0;
    for (int k = 0; k < t.nconn; k++) alive += !t.conns[k].dead;
  }
  if (first_measured == UINT64_MAX) first_measured = t.c.nsent;
  uint64_t scheduled = 0;
  for (uint64_t k = 0; k < slot; k++)
    if (t0 + sched[k] >= t_warm) scheduled++;
  free(sched);
  /* Stragglers: until every request is answered, or --drain-ms. */
  int64_t drain_end = now_ns() + (int64_t)(lo.drain_ms * 1e6);
  while (!g_stop && t.answered + t.c.dups < t.c.nsent && now_ns() < drain_end && alive > 0) {
    poll_conns(&t, drain_end);
    alive = 0;
    for (int k = 0; k < t.nconn; k++) alive += !t.conns[k].dead;
  }

  uint64_t n = t.c.nsent - first_measured, received = 0, complete = 0;
  json_t *m = measured_summary(&t.c, first_measured, lo.duration_s, lo.rate, scheduled, unsent, &received, &complete);
  int rec_err = 0;
  if (lo.records && write_records(&t.c, lo.records, first_measured, t.c.nsent, t0) != 0) {
    err_note("writing %s: %s", lo.records, strerror(errno));
    rec_err = 1;
  }
  char t0s[32];
  snprintf(t0s, sizeof t0s, "%lld", (long long)t0);
  json_t *summary = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:i,s:I,s:I,s:f,s:s,s:I,s:f,s:f,s:I,s:I,s:I,s:i,s:s?,s:I,s:s,s:I,s:I,s:o}",
                              "tool", "bb-tsprobe", "version", TSP_VERSION_STR, "role", "client", "protocol", "tcp",
                              "server", lo.server_s, "codec", lo.codec_s, "fields", (int)lo.fields, "framing", framing_s,
                              "connections", (int)nconn, "msgSizeBytes",
                              (json_int_t)first_len, "replyBytesMax",
                              (json_int_t)t.c.reply_max, "offeredPps", lo.rate, "arrivals", lo.arrivals_s, "seed", (json_int_t)lo.seed,
                              "durationS", lo.duration_s, "warmupS", lo.warmup_s, "warmupUnsent", (json_int_t)warmup_unsent, "lost",
                              (json_int_t)(n - received), "duplicates", (json_int_t)t.c.dups, "hops", 0, "recordsFile",
                              rec_err ? NULL : lo.records, "recordsComplete", (json_int_t)complete, "t0Ns", t0s,
                              "matchedByOrder", (json_int_t)t.by_order, "framingErrors", (json_int_t)t.framing_errors, "errors",
                              err_json());
  json_object_update(summary, m);
  json_decref(m);
  if (lo.onoff) {
    json_object_set_new(summary, "onMs", json_real(lo.on_ms));
    json_object_set_new(summary, "offMs", json_real(lo.off_ms));
  }
  json_object_set_new(summary, "pacing", json_string("sleep"));
  json_object_set_new(summary, "txSched", json_false());
  json_object_set_new(summary, "timestamping", json_null());
  json_object_set_new(summary, "rxMode", json_string("block"));
  json_object_set_new(summary, "tid", json_integer((json_int_t)gettid()));
  json_object_set_new(summary, "realtimeMinusMonotonicNs", json_integer((json_int_t)realtime_minus_monotonic_ns()));
  json_dumpf(summary, stdout, JSON_COMPACT);
  fputc('\n', stdout);
  json_decref(summary);
  for (int k = 0; k < t.nconn; k++) close(t.conns[k].fd);
  free(t.conns);
  free(t.c.rec);
  return rec_err ? 1 : 0;
}
