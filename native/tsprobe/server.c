/* `bb-tsprobe server`: answers each request after decode -> handler -> encode, timestamps every
 * step, and returns its timestamps to the client in the reply trailer. Its own TX timestamps are
 * only known after the reply left, so they travel as follow-ups in later replies.
 *
 * Runtime pauses model a stop-the-world collector: a timer signal brings the thread to a
 * safepoint between requests, where it stalls for --pause-us every --pause-every-ms; requests
 * arriving meanwhile wait in the socket queue, and each records how long a pause delayed it.
 * The stall sleeps rather than spins: on a small VM a spinning pause would starve the other
 * hops' processes and the delay would show up at the wrong hop. */
#define _GNU_SOURCE
#include "tsprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/errqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TX_DRAIN_EVERY 32
/* Without pauses the thread still wakes this often to notice --duration and a stop signal that
 * raced with entering recvmsg(). */
#define TICK_NS 200000000

struct server {
  struct ts_sock ts;
  struct follow_q fq;
  int codec;
  int64_t service_ns, pause_ns, pause_every_ns;
  struct busy_log pauses; /* stop-the-world pauses */
  struct busy_log busy;   /* time spent handling requests and draining TX stamps */
  int64_t pause_total_ns, max_delay_ns;
  uint64_t requests, flushes, delayed, bad;
  unsigned since_drain;
  size_t reply_max;
  bool spin; /* --rx-mode spin: MSG_DONTWAIT receives in a loop, the thread never sleeps */
};

static void on_tx_stamp(void *ctx, const struct tx_stamp *st) {
  struct server *sv = ctx;
  if (st->seq & TSP_FLUSH_SEQ_BIT) return;
  if (st->kind == SCM_TSTAMP_SND) {
    if (st->sw_ns) follow_push(&sv->fq, st->seq, S_TX, st->sw_ns);
    if (st->hw_ns) follow_push(&sv->fq, st->seq, S_TXHW, st->hw_ns);
  } else if (st->kind == SCM_TSTAMP_SCHED && st->sw_ns) {
    follow_push(&sv->fq, st->seq, S_TXSCHED, st->sw_ns);
  }
}

static void drain_tx(struct server *sv) { ts_drain_tx(&sv->ts, on_tx_stamp, sv); }

static void do_pause(struct server *sv) {
  int64_t start = now_ns();
  int64_t until = start + sv->pause_ns;
  struct timespec ts = {.tv_sec = until / 1000000000, .tv_nsec = until % 1000000000};
  while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR && !g_stop) {
  }
  int64_t end = now_ns();
  busy_add(&sv->pauses, start, end);
  sv->pause_total_ns += end - start;
}

/* Returns the send-call time. */
static int64_t send_reply(struct server *sv, uint8_t *pkt, size_t len, size_t blk_off,
                          const struct sockaddr_in *to, uint64_t seq) {
  /* The send-call stamp is written last, right before sendmsg(). */
  int64_t t_send = now_ns();
  memcpy(pkt + blk_off + offsetof(struct tsp_block, t) + S_SEND * sizeof(int64_t), &t_send, sizeof t_send);
  if (ts_send(&sv->ts, pkt, len, to, seq, t_send) < 0) err_note("sendmsg(reply): %s", strerror(errno));
  if (len > sv->reply_max) sv->reply_max = len;
  /* Read TX stamps every few replies (and before a flush reply) instead of after each one: the
   * client may be woken on this CPU and wait until this thread blocks, so a syscall per reply
   * here would sit inside its round trip. Late stamps travel as follow-ups either way. */
  if (++sv->since_drain >= TX_DRAIN_EVERY) {
    drain_tx(sv);
    sv->since_drain = 0;
  }
  return t_send;
}

static void handle_one(struct server *sv) {
  static uint8_t in[TSP_MAX_PKT], out[TSP_MAX_PKT];
  struct sockaddr_in from;
  int64_t rx = 0, rxhw = 0;
  /* A plain blocking receive, as a typical UDP server does; timers interrupt it with EINTR.
   * Spin mode polls instead, so a request never waits for this thread to be woken. */
  ssize_t n = ts_recv(&sv->ts, in, sizeof in, &from, &rx, &rxhw, sv->spin ? MSG_DONTWAIT : 0);
  int64_t t_ret = now_ns();
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) err_note("recvmsg: %s", strerror(errno));
    return;
  }
  struct tsp_hdr h;
  if ((size_t)n < sizeof h) {
    sv->bad++;
    err_note("short datagram (%zd bytes)", n);
    return;
  }
  memcpy(&h, in, sizeof h);
  if (h.magic != TSP_MAGIC || h.version != TSP_WIRE_VERSION || sizeof h + h.body_len > (size_t)n) {
    sv->bad++;
    err_note("malformed request");
    return;
  }
  struct tsp_block blk;
  memset(&blk, 0, sizeof blk);
  blk.kind = TSP_KIND_SERVER;
  blk.seq = h.seq;
  struct tsp_hdr rh = h;
  rh.nblocks = 0;

  if (h.type == TSP_FLUSH) {
    sv->flushes++;
    drain_tx(sv);
    rh.type = TSP_FLUSH_REP;
    rh.body_len = 0;
    memcpy(out, &rh, sizeof rh);
    size_t len = append_block(out, sizeof rh, sizeof out, &blk, &sv->fq);
    send_reply(sv, out, len, sizeof rh, &from, h.seq | TSP_FLUSH_SEQ_BIT);
    return;
  }
  if (h.type != TSP_REQ) {
    sv->bad++;
    err_note("unexpected message type %u", h.type);
    return;
  }
  if (h.codec != sv->codec) err_note("request codec %u differs from --codec", h.codec);
  /* Time the request sat in the socket queue because of a pause or because the thread was busy
   * with earlier requests: neither is kernel time. */
  int64_t delay = rx ? busy_overlap(&sv->pauses, rx, t_ret) : 0;
  int64_t queued = rx ? busy_overlap(&sv->busy, rx, t_ret) : 0;

  struct codec_state *st = codec_decode(h.codec, in + sizeof h, h.body_len);
  int64_t t_dec = now_ns();
  uint64_t result = codec_handle(st);
  if (sv->service_ns > 0) spin_until(t_dec + sv->service_ns);
  int64_t t_hdl = now_ns();
  size_t body = codec_encode(st, result, h.seq, out + sizeof rh, sizeof out - sizeof rh - 1024);
  codec_free(st);
  int64_t t_enc = now_ns();

  rh.type = TSP_REP;
  rh.body_len = (uint16_t)body;
  memcpy(out, &rh, sizeof rh);
  blk.t[S_RX] = rx;
  blk.t[S_RET] = t_ret;
  blk.t[S_DEC] = t_dec;
  blk.t[S_HDL] = t_hdl;
  blk.t[S_ENC] = t_enc;
  blk.t[S_PAUSE] = delay;
  blk.t[S_RXHW] = rxhw;
  blk.t[S_QUEUE] = queued;
  size_t blk_off = sizeof rh + body;
  size_t len = append_block(out, blk_off, sizeof out, &blk, &sv->fq);
  int64_t t_send = send_reply(sv, out, len, blk_off, &from, h.seq);
  /* Only the application's own work counts as busy: a request waiting while this thread was
   * inside sendmsg() or draining TX stamps waited for the kernel. */
  busy_add(&sv->busy, t_ret, t_send);
  sv->requests++;
  if (delay > 0) {
    sv->delayed++;
    if (delay > sv->max_delay_ns) sv->max_delay_ns = delay;
  }
}

static const char USAGE[] =
          "usage: bb-tsprobe server --bind IP:PORT [--codec raw|json] [--service-us U]\n"
          "       [--pause-us P --pause-every-ms I] [--duration S] [--tx-sched] [--tx-id counter|cmsg]\n"
          "       [--hw-timestamps --iface IF] [--rx-mode block|spin] [--thread-info FILE]\n";

int cmd_server(int argc, char **argv) {
  static const struct option opts[] = {
      {"bind", required_argument, 0, 'b'},       {"codec", required_argument, 0, 'c'},
      {"fields", required_argument, 0, 'f'},     {"service-us", required_argument, 0, 's'},
      {"pause-us", required_argument, 0, 'p'},   {"pause-every-ms", required_argument, 0, 'e'},
      {"duration", required_argument, 0, 'd'},   TSP_SHARED_OPTIONS,
      {0, 0, 0, 0}};
  struct server sv;
  memset(&sv, 0, sizeof sv);
  struct sockaddr_in bind_addr;
  const char *bind_s = NULL, *codec_s = "raw";
  double service_us = 0, pause_us = 0, pause_every_ms = 0, duration_s = 0;
  struct ts_opts tso = {false, NULL, false, false};
  const char *info_path = NULL;
  int opt;
  while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (opt) {
    case 'b': bind_s = optarg; break;
    case 'c': codec_s = optarg; break;
    case 'f': break; /* the server decodes whatever field count the client sends */
    case 's': service_us = atof(optarg); break;
    case 'p': pause_us = atof(optarg); break;
    case 'e': pause_every_ms = atof(optarg); break;
    case 'd': duration_s = atof(optarg); break;
    case 'H': tso.hw = true; break;
    case 'i': tso.iface = optarg; break;
    case 'I': tso.id_cmsg = parse_tx_id(optarg); break;
    case 'T': tso.tx_sched = true; break;
    case 'R': sv.spin = parse_rx_mode(optarg); break;
    case 'F': info_path = optarg; break;
    default: usage_exit(USAGE);
    }
  }
  if (!bind_s || parse_hostport(bind_s, &bind_addr) < 0) die("server: --bind IP:PORT is required");
  if (strcmp(codec_s, "raw") == 0) sv.codec = TSP_CODEC_RAW;
  else if (strcmp(codec_s, "json") == 0) sv.codec = TSP_CODEC_JSON;
  else die("server: --codec must be raw or json, got %s", codec_s);
  if (service_us < 0 || pause_us < 0 || pause_every_ms < 0 || duration_s < 0)
    die("server: durations must be >= 0");
  if ((pause_us > 0) != (pause_every_ms > 0)) die("server: --pause-us and --pause-every-ms go together");
  if (pause_us > 0 && pause_us >= pause_every_ms * 1000) die("server: --pause-us must be < --pause-every-ms");
  sv.service_ns = (int64_t)(service_us * 1000);
  sv.pause_ns = (int64_t)(pause_us * 1000);
  sv.pause_every_ns = (int64_t)(pause_every_ms * 1e6);

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&bind_addr, sizeof bind_addr) < 0) die("bind %s: %s", bind_s, strerror(errno));
  ts_sock_init(&sv.ts, fd, &tso);
  follow_init(&sv.fq, 1u << 14);
  write_thread_info(info_path, "server", 0);
  prctl(PR_SET_TIMERSLACK, 1UL); /* default 50 us slack would blur the pause schedule */
  install_stop_handlers();
  fprintf(stderr, "bb-tsprobe server: listening on %s codec=%s\n", bind_s, codec_s);

  int64_t t_start = now_ns();
  int64_t t_end = duration_s > 0 ? t_start + (int64_t)(duration_s * 1e9) : INT64_MAX;
  int64_t next_pause = sv.pause_ns > 0 ? t_start + sv.pause_every_ns : INT64_MAX;
  /* One periodic timer: on the pause grid when pausing, else a slow tick. Its signal interrupts
   * the blocking recvmsg(), and the loop top decides what is due. */
  wake_timer_init();
  int64_t tick = sv.pause_ns > 0 ? sv.pause_every_ns : TICK_NS;
  wake_timer_at(t_start + tick, tick);
  while (!g_stop) {
    int64_t now = now_ns();
    if (now >= t_end) break;
    if (now >= next_pause) {
      do_pause(&sv);
      /* Keep the pause schedule on its grid; skip slots missed while stalled. */
      while (next_pause <= now_ns()) next_pause += sv.pause_every_ns;
      continue;
    }
    handle_one(&sv);
  }

  char bind_buf[64];
  snprintf(bind_buf, sizeof bind_buf, "%s", bind_s);
  json_t *summary = json_pack(
      "{s:s,s:s,s:s,s:s,s:s,s:f,s:{s:f,s:f,s:I,s:f,s:I,s:f},s:I,s:I,s:I,s:I,s:I,s:f,s:o,s:o}", "tool",
      "bb-tsprobe", "version", TSP_VERSION_STR, "role", "server", "bind", bind_buf, "codec", codec_s,
      "serviceUs", service_us, "pause", "pauseUs", pause_us, "everyMs", pause_every_ms, "count",
      (json_int_t)sv.pauses.n, "totalUs", sv.pause_total_ns / 1e3, "delayedRequests",
      (json_int_t)sv.delayed, "maxDelayUs", sv.max_delay_ns / 1e3, "requests", (json_int_t)sv.requests,
      "flushes", (json_int_t)sv.flushes, "malformed", (json_int_t)sv.bad, "replyBytesMax",
      (json_int_t)sv.reply_max, "followupsDropped", (json_int_t)sv.fq.dropped, "runS",
      (now_ns() - t_start) / 1e9, "timestamping", ts_sock_json(&sv.ts), "errors", err_json());
  json_object_set_new(summary, "txSched", json_boolean(tso.tx_sched));
  json_object_set_new(summary, "rxMode", json_string(sv.spin ? "spin" : "block"));
  /* Thread id and clock offset: a tracer's per-thread events (sched_wakeup → sched_switch) join
   * this thread's requests by tid and time. */
  json_object_set_new(summary, "tid", json_integer((json_int_t)gettid()));
  json_object_set_new(summary, "realtimeMinusMonotonicNs", json_integer((json_int_t)realtime_minus_monotonic_ns()));
  json_dumpf(summary, stdout, JSON_COMPACT);
  fputc('\n', stdout);
  json_decref(summary);
  ts_sock_free(&sv.ts);
  free(sv.fq.items);
  close(fd);
  return 0;
}
