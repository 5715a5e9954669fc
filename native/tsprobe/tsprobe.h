/* bb-tsprobe: UDP request/response probe with SO_TIMESTAMPING and an application model.
 * Shared wire format, timestamp slots and helpers. See README.md for the protocol and the
 * meaning of every record column. All timestamps are CLOCK_REALTIME ns (the clock the kernel
 * uses for software timestamps), 0 = not obtained. */
#ifndef BB_TSPROBE_H
#define BB_TSPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <jansson.h>

#define TSP_VERSION_STR "0.1.0"
#define TSP_MAGIC 0x53544242u /* "BBTS" little endian */
#define TSP_WIRE_VERSION 1
#define TSP_MAX_PKT 9000
#define TSP_MAX_HOPS 8
/* Follow-ups (late TX timestamps) carried per block; bounded so a reply stays well under MTU. */
#define TSP_MAX_FOLLOW 4
#define TSP_SLOTS 12
/* Flush requests are control traffic that collects pending follow-ups at the end of a run. */
#define TSP_FLUSH_SEQ_BIT (1ull << 63)

enum tsp_type { TSP_REQ = 1, TSP_REP = 2, TSP_FLUSH = 3, TSP_FLUSH_REP = 4 };
enum tsp_codec { TSP_CODEC_RAW = 0, TSP_CODEC_JSON = 1 };
enum tsp_kind { TSP_KIND_SERVER = 1, TSP_KIND_RELAY = 2 };

/* Server block slots. */
enum {
  S_RX = 0,      /* kernel RX software timestamp of the request */
  S_RET = 1,     /* recvmsg() returned */
  S_DEC = 2,     /* decode done */
  S_HDL = 3,     /* handler done */
  S_ENC = 4,     /* encode done */
  S_SEND = 5,    /* just before sendmsg() of the reply */
  S_TXSCHED = 6, /* kernel TX_SCHED timestamp of the reply (follow-up) */
  S_TX = 7,      /* kernel TX software timestamp of the reply (follow-up) */
  S_PAUSE = 8,   /* duration, ns: stop-the-world pause time overlapping [S_RX, S_RET] */
  S_RXHW = 9,    /* hardware RX timestamp (only with --hw-timestamps on a capable NIC) */
  S_TXHW = 10,   /* hardware TX timestamp (follow-up) */
  S_QUEUE = 11,  /* duration, ns: time within [S_RX, S_RET] the thread was busy with other requests */
};

/* Relay block slots: q = request direction (upstream -> next), p = reply direction. */
enum {
  R_QRX = 0, R_QRET = 1, R_QSEND = 2, R_QTX = 3,
  R_PRX = 4, R_PRET = 5, R_PSEND = 6, R_PTX = 7,
  R_QRXHW = 8, R_QTXHW = 9, R_PRXHW = 10, R_PTXHW = 11,
};

/* 24-byte header; body follows, then `nblocks` trailer blocks appended by each hop on the way
 * back (server first, then each relay). Host byte order: every hop runs on the same arch here. */
struct tsp_hdr {
  uint32_t magic;
  uint8_t version;
  uint8_t type;
  uint8_t codec;
  uint8_t nblocks;
  uint64_t seq;
  uint16_t body_len;
  uint16_t reserved16;
  uint32_t reserved32;
} __attribute__((packed));

struct tsp_block {
  uint8_t kind;
  uint8_t nfollow;
  uint16_t reserved16;
  uint32_t reserved32;
  uint64_t seq;
  int64_t t[TSP_SLOTS];
} __attribute__((packed));

/* A timestamp that became known after its packet left (TX stamps), for an earlier seq. */
struct tsp_follow {
  uint64_t seq;
  int64_t ns;
  uint32_t slot;
  uint32_t reserved;
} __attribute__((packed));

/* ---- time ---- */
int64_t now_ns(void);
void spin_until(int64_t deadline_ns);

/* Writes every page of [p, p + len) once, so the hot path never takes the first-touch page fault
 * (calloc'd memory is mapped lazily: on a VM a first touch can also exit to the host). */
void prefault(void *p, size_t len);
/* Minor page faults of this process so far (getrusage): the summary reports those taken while
 * sending, which should be ~0 once everything the loop touches is prefaulted. */
long minor_faults(void);

/* ---- options ---- */
int parse_hostport(const char *s, struct sockaddr_in *out);
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* --tx-id counter|cmsg (every role takes it): true for cmsg; anything else exits with a usage error. */
bool parse_tx_id(const char *arg);

/* ---- errors collected for the JSON summary (deduplicated, with counts) ---- */
void err_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Options the client and server share, with the same short codes in both (getopt_long tables). */
#define TSP_SHARED_OPTIONS                                                                          \
  {"hw-timestamps", no_argument, 0, 'H'}, {"tx-id", required_argument, 0, 'I'},                   \
      {"tx-sched", no_argument, 0, 'T'}, {"iface", required_argument, 0, 'i'},                     \
      {"rx-mode", required_argument, 0, 'R'}, {"thread-info", required_argument, 0, 'F'},          \
      {"help", no_argument, 0, 'h'}

/* Prints a role's usage text to stderr and exits 2 (bad arguments). */
void usage_exit(const char *text) __attribute__((noreturn));
json_t *err_json(void);

/* ---- timestamping ---- */
struct ts_sock {
  int fd;
  uint32_t flags_requested;
  uint32_t flags_obtained; /* read back with getsockopt */
  bool opt_id_cmsg;        /* each sendmsg() names its id with SCM_TS_OPT_ID (Linux 6.13+) */
  uint32_t next_id;        /* id of the next datagram sent */
  /* id -> seq map for TX timestamps (ring, indexed by id) */
  uint64_t *id_seq;
  int64_t *id_sent; /* send-call time per id: a stamp earlier than it belongs to another packet */
  uint8_t *id_valid;
  uint32_t id_ring;
  /* what was actually delivered */
  uint64_t rx_sw, rx_hw, tx_snd, tx_sched, tx_hw, tx_unmatched, tx_mismatched, rx_missing;
  json_t *hw_status; /* null unless hardware timestamps were requested */
};

struct ts_opts {
  bool hw;           /* ask for NIC hardware timestamps (needs iface) */
  const char *iface;
  bool tx_sched;     /* also the TX_SCHED stamp: one more error-queue message per datagram */
  bool id_cmsg;      /* name each datagram's id with SCM_TS_OPT_ID instead of the kernel counter */
};

void ts_sock_init(struct ts_sock *s, int fd, const struct ts_opts *opts);
/* sendmsg() with the next timestamp id; maps the id to `seq` and to the caller's send-call time
 * `sent_ns`. Returns bytes sent or -1. */
ssize_t ts_send(struct ts_sock *s, const void *buf, size_t len, const struct sockaddr_in *to,
                uint64_t seq, int64_t sent_ns);
/* recvmsg() returning the RX software (and hardware) timestamp; -1 with errno on failure. */
ssize_t ts_recv(struct ts_sock *s, void *buf, size_t cap, struct sockaddr_in *from, int64_t *rx_sw,
                int64_t *rx_hw, int flags);

struct tx_stamp {
  uint64_t seq;
  int kind; /* SCM_TSTAMP_SND or SCM_TSTAMP_SCHED */
  int64_t sw_ns;
  int64_t hw_ns;
};
/* Reads every queued TX timestamp (one recvmmsg() per 64) and calls fn for each; returns count. */
typedef void (*tx_stamp_fn)(void *ctx, const struct tx_stamp *st);
int ts_drain_tx(struct ts_sock *s, tx_stamp_fn fn, void *ctx);
json_t *ts_sock_json(const struct ts_sock *s);
void ts_sock_free(struct ts_sock *s);

/* --rx-mode block|spin: true for spin (receive with MSG_DONTWAIT in a loop: the thread never
 * sleeps, so a datagram never waits for it to be woken). */
bool parse_rx_mode(const char *arg);
/* CLOCK_REALTIME − CLOCK_MONOTONIC now, ns: converts tracing timestamps (bpftrace's nsecs is
 * CLOCK_MONOTONIC) to the probe's realtime stamps. */
int64_t realtime_minus_monotonic_ns(void);
/* --thread-info FILE: writes {"role","tid","realtimeMinusMonotonicNs"[,"t0Ns"]} as one JSON line
 * before the first request: what joining a tracer's per-thread events to the records needs.
 * t0_ns (the records' time origin) is written when non-zero, as a string (it exceeds 2^53). */
void write_thread_info(const char *path, const char *role, int64_t t0_ns);

/* ---- busy intervals: when a single-threaded loop was busy with other work ---- */
#define BUSY_RING 64
struct busy_log {
  int64_t start[BUSY_RING], end[BUSY_RING];
  uint64_t n;
};
void busy_add(struct busy_log *b, int64_t start, int64_t end);
/* Total time within [from, to] covered by logged intervals (they never overlap each other). */
int64_t busy_overlap(const struct busy_log *b, int64_t from, int64_t to);

/* ---- follow-up queue (per hop) ---- */
struct follow_q {
  struct tsp_follow *items;
  uint32_t cap, head, len;
  uint64_t dropped;
};
void follow_init(struct follow_q *q, uint32_t cap);
void follow_push(struct follow_q *q, uint64_t seq, uint32_t slot, int64_t ns);
/* Appends a block (with up to TSP_MAX_FOLLOW pending follow-ups) to pkt; returns new length. */
size_t append_block(uint8_t *pkt, size_t len, size_t cap, const struct tsp_block *blk,
                    struct follow_q *q);

/* ---- codecs ---- */
struct codec_cfg {
  int codec;
  int fields;
};
/* Builds the request body (JSON: an object with cfg->fields fields) of about `target` bytes. */
size_t codec_make_request(const struct codec_cfg *cfg, size_t target, uint8_t *out, size_t cap);
struct codec_state; /* decoded request, opaque */
struct codec_state *codec_decode(int codec, const uint8_t *body, size_t len);
/* The handler's own work on the decoded request (a checksum or a field sum). */
uint64_t codec_handle(struct codec_state *st);
size_t codec_encode(struct codec_state *st, uint64_t result, uint64_t seq, uint8_t *out, size_t cap);
void codec_free(struct codec_state *st);

/* ---- the client's send schedule (schedule.c) ---- */
enum tsp_arrivals { TSP_ARR_FIXED = 0, TSP_ARR_POISSON = 1, TSP_ARR_ONOFF = 2 };
struct schedule_cfg {
  enum tsp_arrivals arrivals;
  double rate;          /* mean requests per second */
  double on_ms, off_ms; /* onoff: burst length and silence per period */
  uint64_t seed;        /* poisson */
};
/* "fixed" | "poisson" | "onoff" -> *out; -1 for anything else. */
int parse_arrivals(const char *s, enum tsp_arrivals *out);
/* Every scheduled send offset in [0, span_ns), ns, ascending; *n_out = count. Caller frees. */
int64_t *make_schedule(const struct schedule_cfg *cfg, int64_t span_ns, uint64_t *n_out);

int cmd_server(int argc, char **argv);
int cmd_relay(int argc, char **argv);
int cmd_client(int argc, char **argv);
/* The open-loop client for TCP services (tcp_client.c). */
int cmd_tcp_client(int argc, char **argv);

extern volatile int g_stop;
/* SIGINT/SIGTERM set g_stop; SIGALRM (the wake-up timer) only interrupts a blocking call. */
void install_stop_handlers(void);
/* One-shot CLOCK_REALTIME timer that raises SIGALRM at an absolute time: lets a thread block in
 * recvmsg() (the same wake-up path as a plain blocking server) and still act on schedule. */
void wake_timer_init(void);
/* First expiry at realtime_ns (0 disarms), then every interval_ns: the repeats are the backstop
 * for a signal that lands just before the blocking call instead of interrupting it. */
void wake_timer_at(int64_t realtime_ns, int64_t interval_ns);

#endif
