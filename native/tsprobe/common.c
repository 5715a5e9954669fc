/* Shared helpers: clocks, argument parsing, error notes, SO_TIMESTAMPING sockets and the
 * follow-up queue that carries late TX timestamps back to the client. */
#define _GNU_SOURCE
#include "tsprobe.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Linux 6.13+ lets each sendmsg() choose its timestamp id; older headers lack the constant. */
#ifndef SCM_TS_OPT_ID
#define SCM_TS_OPT_ID 81
#endif
/* Ids start here in cmsg mode so a kernel that silently ignored the cmsg (and counts from 0)
 * shows up as unmatched ids instead of matching by coincidence. */
#define CMSG_ID_BASE 1000000u
#define ID_RING (1u << 16)

volatile int g_stop;

static void on_stop(int sig) {
  (void)sig;
  g_stop = 1;
}

static void on_alarm(int sig) { (void)sig; }

void install_stop_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop; /* no SA_RESTART: blocking calls must return EINTR so loops notice */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
}

static timer_t g_timer;

void wake_timer_init(void) {
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGALRM;
  if (timer_create(CLOCK_REALTIME, &sev, &g_timer) < 0) die("timer_create: %s", strerror(errno));
}

void wake_timer_at(int64_t realtime_ns, int64_t interval_ns) {
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  its.it_value.tv_sec = realtime_ns / 1000000000;
  its.it_value.tv_nsec = realtime_ns % 1000000000;
  if (realtime_ns) {
    its.it_interval.tv_sec = interval_ns / 1000000000;
    its.it_interval.tv_nsec = interval_ns % 1000000000;
  }
  if (timer_settime(g_timer, TIMER_ABSTIME, &its, NULL) < 0) err_note("timer_settime: %s", strerror(errno));
}


int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void spin_until(int64_t deadline_ns) {
  volatile uint64_t work = 0;
  while (now_ns() < deadline_ns) {
    for (int i = 0; i < 64; i++) work += (uint64_t)i * 2654435761u;
  }
}

void prefault(void *p, size_t len) {
  /* volatile: a plain store of zero into calloc'd memory may be optimised away. */
  volatile uint8_t *b = p;
  long page = sysconf(_SC_PAGESIZE);
  size_t step = page > 0 ? (size_t)page : 4096;
  for (size_t off = 0; off < len; off += step) b[off] = 0;
  if (len > 0) b[len - 1] = 0;
}

long minor_faults(void) {
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : -1;
}

void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "bb-tsprobe: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(2);
}

int parse_hostport(const char *s, struct sockaddr_in *out) {
  char host[64];
  const char *colon = strrchr(s, ':');
  if (!colon || (size_t)(colon - s) >= sizeof host) return -1;
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = 0;
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port <= 0 || port > 65535) return -1;
  memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

/* ---- error notes ---- */
#define MAX_ERR 32
static struct {
  char msg[160];
  uint64_t count;
} g_errs[MAX_ERR];
static int g_nerr;

void err_note(const char *fmt, ...) {
  char buf[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  for (int i = 0; i < g_nerr; i++) {
    if (strcmp(g_errs[i].msg, buf) == 0) {
      g_errs[i].count++;
      return;
    }
  }
  if (g_nerr < MAX_ERR) {
    snprintf(g_errs[g_nerr].msg, sizeof g_errs[g_nerr].msg, "%s", buf);
    g_errs[g_nerr++].count = 1;
  }
}

json_t *err_json(void) {
  json_t *arr = json_array();
  for (int i = 0; i < g_nerr; i++)
    json_array_append_new(arr, json_pack("{s:s,s:I}", "message", g_errs[i].msg, "count",
                                         (json_int_t)g_errs[i].count));
  return arr;
}

/* ---- timestamping ---- */
static const struct {
  uint32_t bit;
  const char *name;
} k_flag_names[] = {
    {SOF_TIMESTAMPING_TX_HARDWARE, "tx_hardware"}, {SOF_TIMESTAMPING_TX_SOFTWARE, "tx_software"},
    {SOF_TIMESTAMPING_RX_HARDWARE, "rx_hardware"}, {SOF_TIMESTAMPING_RX_SOFTWARE, "rx_software"},
    {SOF_TIMESTAMPING_SOFTWARE, "software"},       {SOF_TIMESTAMPING_RAW_HARDWARE, "raw_hardware"},
    {SOF_TIMESTAMPING_OPT_ID, "opt_id"},           {SOF_TIMESTAMPING_TX_SCHED, "tx_sched"},
    {SOF_TIMESTAMPING_OPT_TSONLY, "opt_tsonly"},
};

static json_t *flag_names(uint32_t flags) {
  json_t *arr = json_array();
  for (size_t i = 0; i < sizeof k_flag_names / sizeof k_flag_names[0]; i++)
    if (flags & k_flag_names[i].bit) json_array_append_new(arr, json_string(k_flag_names[i].name));
  return arr;
}

/* Hardware timestamps need the NIC to support them and a device-wide SIOCSHWTSTAMP; report
 * exactly what happened instead of failing, since most test topologies (veth) have none. */
static bool enable_hw(int fd, const struct ts_opts *hw, json_t **status) {
  struct ethtool_ts_info info;
  struct ifreq ifr;
  memset(&info, 0, sizeof info);
  memset(&ifr, 0, sizeof ifr);
  *status = json_pack("{s:b,s:s?}", "requested", 1, "iface", hw->iface);
  if (!hw->iface) {
    json_object_set_new(*status, "status", json_string("unsupported"));
    json_object_set_new(*status, "reason", json_string("--hw-timestamps needs --iface"));
    return false;
  }
  info.cmd = ETHTOOL_GET_TS_INFO;
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", hw->iface);
  ifr.ifr_data = (void *)&info;
  if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
    json_object_set_new(*status, "status", json_string("unsupported"));
    json_object_set_new(*status, "reason", json_sprintf("ETHTOOL_GET_TS_INFO: %s", strerror(errno)));
    return false;
  }
  json_object_set_new(*status, "capabilities", flag_names(info.so_timestamping));
  json_object_set_new(*status, "phcIndex", json_integer(info.phc_index));
  uint32_t need = SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE;
  if ((info.so_timestamping & need) != need || !(info.tx_types & (1u << HWTSTAMP_TX_ON)) ||
      !(info.rx_filters & (1u << HWTSTAMP_FILTER_ALL))) {
    json_object_set_new(*status, "status", json_string("unsupported"));
    json_object_set_new(*status, "reason",
                        json_string("NIC reports no hardware TX/RX timestamping for all packets"));
    return false;
  }
  struct hwtstamp_config cfg = {.flags = 0, .tx_type = HWTSTAMP_TX_ON, .rx_filter = HWTSTAMP_FILTER_ALL};
  ifr.ifr_data = (void *)&cfg;
  if (ioctl(fd, SIOCSHWTSTAMP, &ifr) < 0) {
    json_object_set_new(*status, "status", json_string("unsupported"));
    json_object_set_new(*status, "reason", json_sprintf("SIOCSHWTSTAMP: %s", strerror(errno)));
    return false;
  }
  json_object_set_new(*status, "status", json_string("enabled"));
  return true;
}

static void prefault_drain_buffers(void);

void ts_sock_init(struct ts_sock *s, int fd, const struct ts_opts *opts) {
  memset(s, 0, sizeof *s);
  s->fd = fd;
  /* Each TX stamp costs about 1 us of kernel work per datagram on a small VM, so TX_SCHED (which
   * only adds the qdisc-entry time) is opt-in; TX_SOFTWARE is what the attribution needs. */
  s->flags_requested = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
                       SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
  if (opts->tx_sched) s->flags_requested |= SOF_TIMESTAMPING_TX_SCHED;
  if (opts->hw && enable_hw(fd, opts, &s->hw_status))
    s->flags_requested |= SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_TX_HARDWARE |
                          SOF_TIMESTAMPING_RAW_HARDWARE;
  /* TX stamps queue on the error queue and count against the receive buffer; a short stall at
   * 20k pps must not make the kernel drop replies or stamps, so ask for a generous buffer. */
  int rcvbuf = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &s->flags_requested, sizeof s->flags_requested) < 0)
    err_note("setsockopt(SO_TIMESTAMPING): %s", strerror(errno));
  int got = 0;
  socklen_t gl = sizeof got;
  if (getsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &got, &gl) == 0) s->flags_obtained = (uint32_t)got;
  /* The kernel counter starts at 0 when OPT_ID is set and counts every datagram sent; naming ids
   * with SCM_TS_OPT_ID is exact even when a send fails, but the control message costs about
   * 0.3 us per send on the development VM, so it is opt-in (stamps are checked either way). */
  s->opt_id_cmsg = opts->id_cmsg;
  s->next_id = s->opt_id_cmsg ? CMSG_ID_BASE : 0;
  s->id_ring = ID_RING;
  s->id_seq = calloc(ID_RING, sizeof *s->id_seq);
  s->id_sent = calloc(ID_RING, sizeof *s->id_sent);
  s->id_valid = calloc(ID_RING, 1);
  if (!s->id_seq || !s->id_sent || !s->id_valid) die("out of memory");
  prefault(s->id_seq, ID_RING * sizeof *s->id_seq);
  prefault(s->id_sent, ID_RING * sizeof *s->id_sent);
  prefault(s->id_valid, ID_RING);
  prefault_drain_buffers();
}

static ssize_t send_once(struct ts_sock *s, const void *buf, size_t len, const struct sockaddr_in *to,
                         uint32_t id, bool with_cmsg) {
  struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
  union {
    char buf[CMSG_SPACE(sizeof(uint32_t))];
    struct cmsghdr align;
  } ctrl;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = (void *)to;
  msg.msg_namelen = to ? sizeof *to : 0;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (with_cmsg) {
    memset(&ctrl, 0, sizeof ctrl);
    msg.msg_control = ctrl.buf;
    msg.msg_controllen = sizeof ctrl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_TS_OPT_ID;
    c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
    memcpy(CMSG_DATA(c), &id, sizeof id);
  }
  return sendmsg(s->fd, &msg, 0);
}

ssize_t ts_send(struct ts_sock *s, const void *buf, size_t len, const struct sockaddr_in *to,
                uint64_t seq, int64_t sent_ns) {
  ssize_t n = send_once(s, buf, len, to, s->next_id, s->opt_id_cmsg);
  if (n < 0 && errno == EINVAL && s->opt_id_cmsg) {
    /* Kernel without SCM_TS_OPT_ID: fall back to its own per-socket counter, which starts at 0
     * and counts every datagram sent with timestamping on. */
    s->opt_id_cmsg = false;
    s->next_id = 0;
    n = send_once(s, buf, len, to, 0, false);
  }
  if (n >= 0) {
    uint32_t i = s->next_id & (s->id_ring - 1);
    s->id_seq[i] = seq;
    s->id_sent[i] = sent_ns;
    s->id_valid[i] = 1;
    s->next_id++;
  }
  return n;
}

static void read_stamps(struct msghdr *msg, int64_t *sw, int64_t *hw, struct sock_extended_err **ee) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
      struct scm_timestamping tss;
      memcpy(&tss, CMSG_DATA(c), sizeof tss);
      if (sw) *sw = (int64_t)tss.ts[0].tv_sec * 1000000000LL + tss.ts[0].tv_nsec;
      if (hw) *hw = (int64_t)tss.ts[2].tv_sec * 1000000000LL + tss.ts[2].tv_nsec;
    } else if (ee && c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) {
      *ee = (struct sock_extended_err *)CMSG_DATA(c);
    }
  }
}

ssize_t ts_recv(struct ts_sock *s, void *buf, size_t cap, struct sockaddr_in *from, int64_t *rx_sw,
                int64_t *rx_hw, int flags) {
  char ctrl[512];
  struct iovec iov = {.iov_base = buf, .iov_len = cap};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = from;
  msg.msg_namelen = from ? sizeof *from : 0;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  *rx_sw = 0;
  *rx_hw = 0;
  ssize_t n = recvmsg(s->fd, &msg, flags);
  if (n < 0) return n;
  read_stamps(&msg, rx_sw, rx_hw, NULL);
  if (*rx_sw) s->rx_sw++;
  else s->rx_missing++;
  if (*rx_hw) s->rx_hw++;
  return n;
}

/* Stamps read per recvmmsg(): above the client's and server's drain interval (32 replies), so a
 * drain is one syscall instead of three (16 + 16 + the empty read that ends the loop). The server's
 * drain sits inside a round trip (the client it just woke waits on the same CPU until it blocks). */
#define TX_BATCH 64

static struct mmsghdr msgs[TX_BATCH];
static struct iovec iovs[TX_BATCH];
static char data[TX_BATCH][64];
static char ctrl[TX_BATCH][256];

/* The first drain happens while sending: no first-touch faults then. */
static void prefault_drain_buffers(void) {
  prefault(msgs, sizeof msgs);
  prefault(iovs, sizeof iovs);
  prefault(data, sizeof data);
  prefault(ctrl, sizeof ctrl);
}

int ts_drain_tx(struct ts_sock *s, tx_stamp_fn fn, void *ctx) {
  int total = 0;
  for (;;) {
    for (int i = 0; i < TX_BATCH; i++) {
      memset(&msgs[i], 0, sizeof msgs[i]);
      iovs[i].iov_base = data[i];
      iovs[i].iov_len = sizeof data[i];
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = ctrl[i];
      msgs[i].msg_hdr.msg_controllen = sizeof ctrl[i];
    }
    /* One syscall for every queued stamp: each extra syscall here delays the next request. */
    int n = recvmmsg(s->fd, msgs, TX_BATCH, MSG_ERRQUEUE | MSG_DONTWAIT, NULL);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        err_note("recvmmsg(MSG_ERRQUEUE): %s", strerror(errno));
      return total;
    }
    for (int m = 0; m < n; m++) {
      int64_t sw = 0, hw = 0;
      struct sock_extended_err *ee = NULL;
      read_stamps(&msgs[m].msg_hdr, &sw, &hw, &ee);
      if (!ee || ee->ee_origin != SO_EE_ORIGIN_TIMESTAMPING) {
        if (ee) err_note("error queue: origin %u errno %u", ee->ee_origin, ee->ee_errno);
        continue;
      }
      uint32_t i = ee->ee_data & (s->id_ring - 1);
      if (!s->id_valid[i]) {
        s->tx_unmatched++;
        continue;
      }
      if (sw && sw < s->id_sent[i]) {
        /* Stamped before its packet's send call: the id belongs to another datagram. */
        s->tx_mismatched++;
        if (ee->ee_info == SCM_TSTAMP_SND) s->id_valid[i] = 0;
        continue;
      }
      struct tx_stamp st = {.seq = s->id_seq[i], .kind = (int)ee->ee_info, .sw_ns = sw, .hw_ns = hw};
      if (st.kind == SCM_TSTAMP_SND) {
        /* SND is the last stamp for a datagram: free the id so a stale id can not match later. */
        s->id_valid[i] = 0;
        if (sw) s->tx_snd++;
        if (hw) s->tx_hw++;
      } else if (st.kind == SCM_TSTAMP_SCHED) {
        s->tx_sched++;
      }
      fn(ctx, &st);
      total++;
    }
    if (n < TX_BATCH) return total;
  }
}

json_t *ts_sock_json(const struct ts_sock *s) {
  return json_pack("{s:o,s:o,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:O?}", "flagsRequested",
                   flag_names(s->flags_requested), "flagsObtained", flag_names(s->flags_obtained),
                   "txIdMode", s->opt_id_cmsg ? "scm_ts_opt_id" : "counter", "rxSoftware",
                   (json_int_t)s->rx_sw, "rxHardware", (json_int_t)s->rx_hw, "rxMissing",
                   (json_int_t)s->rx_missing, "txSoftware", (json_int_t)s->tx_snd, "txSched",
                   (json_int_t)s->tx_sched, "txHardware", (json_int_t)s->tx_hw, "txUnmatched",
                   (json_int_t)s->tx_unmatched, "txMismatched", (json_int_t)s->tx_mismatched, "hardware",
                   s->hw_status);
}

void ts_sock_free(struct ts_sock *s) {
  free(s->id_seq);
  free(s->id_sent);
  free(s->id_valid);
  json_decref(s->hw_status);
  s->id_seq = NULL;
  s->id_valid = NULL;
  s->hw_status = NULL;
}

/* ---- busy intervals ---- */
void busy_add(struct busy_log *b, int64_t start, int64_t end) {
  uint64_t i = b->n % BUSY_RING;
  b->start[i] = start;
  b->end[i] = end;
  b->n++;
}

int64_t busy_overlap(const struct busy_log *b, int64_t from, int64_t to) {
  int64_t sum = 0;
  uint64_t n = b->n < BUSY_RING ? b->n : BUSY_RING;
  for (uint64_t k = 0; k < n; k++) {
    uint64_t i = (b->n - 1 - k) % BUSY_RING;
    if (b->end[i] <= from) break; /* logged in time order: older ones end even earlier */
    int64_t lo = b->start[i] > from ? b->start[i] : from;
    int64_t hi = b->end[i] < to ? b->end[i] : to;
    if (hi > lo) sum += hi - lo;
  }
  return sum;
}

/* ---- follow-ups ---- */
void follow_init(struct follow_q *q, uint32_t cap) {
  memset(q, 0, sizeof *q);
  q->cap = cap;
  q->items = calloc(cap, sizeof *q->items);
  if (!q->items) die("out of memory");
  prefault(q->items, cap * sizeof *q->items);
}

void follow_push(struct follow_q *q, uint64_t seq, uint32_t slot, int64_t ns) {
  if (q->len == q->cap) { /* keep the newest: drop the oldest pending stamp */
    q->head = (q->head + 1) % q->cap;
    q->len--;
    q->dropped++;
  }
  struct tsp_follow *f = &q->items[(q->head + q->len) % q->cap];
  f->seq = seq;
  f->ns = ns;
  f->slot = slot;
  f->reserved = 0;
  q->len++;
}

size_t append_block(uint8_t *pkt, size_t len, size_t cap, const struct tsp_block *blk,
                    struct follow_q *q) {
  struct tsp_block b = *blk;
  uint32_t room = len + sizeof b <= cap ? (uint32_t)((cap - len - sizeof b) / sizeof(struct tsp_follow)) : 0;
  uint32_t n = q ? q->len : 0;
  if (n > TSP_MAX_FOLLOW) n = TSP_MAX_FOLLOW;
  if (n > room) n = room;
  if (len + sizeof b > cap) return len;
  b.nfollow = (uint8_t)n;
  memcpy(pkt + len, &b, sizeof b);
  len += sizeof b;
  for (uint32_t i = 0; i < n; i++) {
    memcpy(pkt + len, &q->items[q->head], sizeof(struct tsp_follow));
    q->head = (q->head + 1) % q->cap;
    q->len--;
    len += sizeof(struct tsp_follow);
  }
  struct tsp_hdr *h = (struct tsp_hdr *)pkt;
  h->nblocks++;
  return len;
}

bool parse_tx_id(const char *arg) {
  if (strcmp(arg, "cmsg") != 0 && strcmp(arg, "counter") != 0) die("--tx-id must be cmsg or counter");
  return strcmp(arg, "cmsg") == 0;
}

void usage_exit(const char *text) {
  fputs(text, stderr);
  exit(2);
}
