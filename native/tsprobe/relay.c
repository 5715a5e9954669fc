/* `bb-tsprobe relay`: an intermediate service hop. Requests from upstream are forwarded to
 * --next; replies coming back are forwarded upstream with this hop's block appended (its own
 * RX/TX timestamps in both directions), so the client can measure time spent in each hop.
 * Relays chain: client -> relay -> relay -> server. One client at a time (state keyed by seq). */
#define _GNU_SOURCE
#include "tsprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/errqueue.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PENDING (1u << 16)

struct pending {
  uint64_t seq;
  struct sockaddr_in up;
  int64_t t[TSP_SLOTS];
  uint8_t used, replied;
};

struct relay {
  struct ts_sock front, back;
  struct follow_q fq;
  struct pending *pend;
  uint64_t forwarded, returned, unmatched, bad;
};

static struct pending *lookup(struct relay *r, uint64_t seq) {
  struct pending *p = &r->pend[seq & (PENDING - 1)];
  return p->used && p->seq == seq ? p : NULL;
}

static void on_back_stamp(void *ctx, const struct tx_stamp *st) {
  struct relay *r = ctx;
  if (st->kind != SCM_TSTAMP_SND || (st->seq & TSP_FLUSH_SEQ_BIT)) return;
  struct pending *p = lookup(r, st->seq);
  if (!p) return;
  if (!p->replied) {
    p->t[R_QTX] = st->sw_ns;
    p->t[R_QTXHW] = st->hw_ns;
  } else { /* the reply already went upstream: send the stamp as a follow-up */
    if (st->sw_ns) follow_push(&r->fq, st->seq, R_QTX, st->sw_ns);
    if (st->hw_ns) follow_push(&r->fq, st->seq, R_QTXHW, st->hw_ns);
  }
}

static void on_front_stamp(void *ctx, const struct tx_stamp *st) {
  struct relay *r = ctx;
  if (st->kind != SCM_TSTAMP_SND || (st->seq & TSP_FLUSH_SEQ_BIT)) return;
  if (st->sw_ns) follow_push(&r->fq, st->seq, R_PTX, st->sw_ns);
  if (st->hw_ns) follow_push(&r->fq, st->seq, R_PTXHW, st->hw_ns);
}

static void drain_back(struct relay *r) { ts_drain_tx(&r->back, on_back_stamp, r); }
static void drain_front(struct relay *r) { ts_drain_tx(&r->front, on_front_stamp, r); }

static bool valid_hdr(const uint8_t *pkt, ssize_t n, struct tsp_hdr *h) {
  if (n < (ssize_t)sizeof *h) return false;
  memcpy(h, pkt, sizeof *h);
  return h->magic == TSP_MAGIC && h->version == TSP_WIRE_VERSION;
}

/* One datagram from `sock` whose header type is `type_a` or `type_b`; -1 when there is none
   (nothing waiting, or malformed: counted in r->bad). `what` names the side in notes. */
static ssize_t recv_expected(struct relay *r, struct ts_sock *sock, uint8_t *buf, size_t cap, struct sockaddr_in *from, int64_t *rx,
                             int64_t *rxhw, int64_t *t_ret, struct tsp_hdr *h, int type_a, int type_b, const char *what) {
  ssize_t n = ts_recv(sock, buf, cap, from, rx, rxhw, MSG_DONTWAIT);
  *t_ret = now_ns();
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) err_note("recvmsg(%s): %s", what, strerror(errno));
    return -1;
  }
  if (!valid_hdr(buf, n, h) || (h->type != type_a && h->type != type_b)) {
    r->bad++;
    err_note("malformed %s", sock == &r->front ? "request" : "reply");
    return -1;
  }
  return n;
}

static void on_request(struct relay *r) {
  static uint8_t buf[TSP_MAX_PKT];
  struct sockaddr_in from;
  int64_t rx = 0, rxhw = 0, t_ret = 0;
  struct tsp_hdr h;
  ssize_t n = recv_expected(r, &r->front, buf, sizeof buf, &from, &rx, &rxhw, &t_ret, &h, TSP_REQ, TSP_FLUSH, "front");
  if (n < 0) return;
  uint64_t key = h.type == TSP_FLUSH ? (h.seq | TSP_FLUSH_SEQ_BIT) : h.seq;
  struct pending *p = &r->pend[key & (PENDING - 1)];
  memset(p, 0, sizeof *p);
  p->seq = key;
  p->up = from;
  p->used = 1;
  p->t[R_QRX] = rx;
  p->t[R_QRXHW] = rxhw;
  p->t[R_QRET] = t_ret;
  p->t[R_QSEND] = now_ns();
  if (ts_send(&r->back, buf, (size_t)n, NULL, key, p->t[R_QSEND]) < 0) {
    err_note("send(next): %s", strerror(errno));
    return;
  }
  r->forwarded++;
  drain_back(r);
}

static void on_reply(struct relay *r) {
  static uint8_t buf[TSP_MAX_PKT];
  int64_t rx = 0, rxhw = 0, t_ret = 0;
  struct tsp_hdr h;
  ssize_t n = recv_expected(r, &r->back, buf, sizeof buf, NULL, &rx, &rxhw, &t_ret, &h, TSP_REP, TSP_FLUSH_REP, "back");
  if (n < 0) return;
  uint64_t key = h.type == TSP_FLUSH_REP ? (h.seq | TSP_FLUSH_SEQ_BIT) : h.seq;
  drain_back(r); /* the request's TX stamp must be in before its block is written */
  struct pending *p = lookup(r, key);
  if (!p) {
    r->unmatched++;
    err_note("reply for an unknown request");
    return;
  }
  struct tsp_block blk;
  memset(&blk, 0, sizeof blk);
  blk.kind = TSP_KIND_RELAY;
  blk.seq = h.seq;
  if (h.type == TSP_REP) {
    memcpy(blk.t, p->t, sizeof blk.t);
    blk.t[R_PRX] = rx;
    blk.t[R_PRXHW] = rxhw;
    blk.t[R_PRET] = t_ret;
  }
  size_t blk_off = (size_t)n;
  size_t len = append_block(buf, blk_off, sizeof buf, &blk, &r->fq);
  p->replied = 1;
  int64_t t_send = now_ns();
  if (h.type == TSP_REP)
    memcpy(buf + blk_off + offsetof(struct tsp_block, t) + R_PSEND * sizeof(int64_t), &t_send, sizeof t_send);
  if (ts_send(&r->front, buf, len, &p->up, key, t_send) < 0) {
    err_note("send(upstream): %s", strerror(errno));
    return;
  }
  r->returned++;
  drain_front(r);
}

static const char USAGE[] = "usage: bb-tsprobe relay --bind IP:PORT --next IP:PORT [--duration S] [--tx-id counter|cmsg]\n";

int cmd_relay(int argc, char **argv) {
  static const struct option opts[] = {{"bind", required_argument, 0, 'b'},
                                       {"next", required_argument, 0, 'n'},
                                       {"duration", required_argument, 0, 'd'},
                                       {"hw-timestamps", no_argument, 0, 'H'}, {"tx-id", required_argument, 0, 'I'},
                                       {"iface", required_argument, 0, 'i'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *bind_s = NULL, *next_s = NULL;
  double duration_s = 0;
  struct ts_opts tso = {false, NULL, false, false};
  int opt;
  while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (opt) {
    case 'b': bind_s = optarg; break;
    case 'n': next_s = optarg; break;
    case 'd': duration_s = atof(optarg); break;
    case 'H': tso.hw = true; break;
    case 'i': tso.iface = optarg; break;
    case 'I': tso.id_cmsg = parse_tx_id(optarg); break;
    default: usage_exit(USAGE);
    }
  }
  struct sockaddr_in bind_addr, next_addr;
  if (!bind_s || parse_hostport(bind_s, &bind_addr) < 0) die("relay: --bind IP:PORT is required");
  if (!next_s || parse_hostport(next_s, &next_addr) < 0) die("relay: --next IP:PORT is required");

  struct relay r;
  memset(&r, 0, sizeof r);
  r.pend = calloc(PENDING, sizeof *r.pend);
  if (!r.pend) die("out of memory");
  prefault(r.pend, PENDING * sizeof *r.pend);
  int ffd = socket(AF_INET, SOCK_DGRAM, 0);
  int bfd = socket(AF_INET, SOCK_DGRAM, 0);
  if (ffd < 0 || bfd < 0) die("socket: %s", strerror(errno));
  int one = 1;
  setsockopt(ffd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(ffd, (struct sockaddr *)&bind_addr, sizeof bind_addr) < 0) die("bind %s: %s", bind_s, strerror(errno));
  if (connect(bfd, (struct sockaddr *)&next_addr, sizeof next_addr) < 0) die("connect %s: %s", next_s, strerror(errno));
  ts_sock_init(&r.front, ffd, &tso);
  ts_sock_init(&r.back, bfd, &tso);
  follow_init(&r.fq, 1u << 14);
  prctl(PR_SET_TIMERSLACK, 1UL);
  install_stop_handlers();
  fprintf(stderr, "bb-tsprobe relay: %s -> %s\n", bind_s, next_s);

  int64_t t_start = now_ns();
  int64_t t_end = duration_s > 0 ? t_start + (int64_t)(duration_s * 1e9) : INT64_MAX;
  struct pollfd pfd[2] = {{.fd = ffd, .events = POLLIN}, {.fd = bfd, .events = POLLIN}};
  while (!g_stop) {
    int64_t now = now_ns();
    if (now >= t_end) break;
    int64_t wait = t_end - now < 200000000 ? t_end - now : 200000000;
    struct timespec to = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
    int n = ppoll(pfd, 2, &to, NULL);
    if (n < 0) {
      if (errno != EINTR) err_note("ppoll: %s", strerror(errno));
      continue;
    }
    if (n == 0) continue;
    if (pfd[1].revents & POLLERR) drain_back(&r);
    if (pfd[0].revents & POLLERR) drain_front(&r);
    if (pfd[1].revents & POLLIN) on_reply(&r);
    if (pfd[0].revents & POLLIN) on_request(&r);
  }

  json_t *summary = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:f,s:{s:o,s:o},s:o}", "tool",
                              "bb-tsprobe", "version", TSP_VERSION_STR, "role", "relay", "bind", bind_s,
                              "next", next_s, "forwarded", (json_int_t)r.forwarded, "returned",
                              (json_int_t)r.returned, "unmatched", (json_int_t)r.unmatched, "malformed",
                              (json_int_t)r.bad, "followupsDropped", (json_int_t)r.fq.dropped, "runS",
                              (now_ns() - t_start) / 1e9, "timestamping", "front", ts_sock_json(&r.front),
                              "back", ts_sock_json(&r.back), "errors", err_json());
  json_dumpf(summary, stdout, JSON_COMPACT);
  fputc('\n', stdout);
  json_decref(summary);
  ts_sock_free(&r.front);
  ts_sock_free(&r.back);
  free(r.fq.items);
  free(r.pend);
  close(ffd);
  close(bfd);
  return 0;
}
