/* bb-afxdp: AF_XDP reflector and UDP clients (AF_XDP and kernel socket) for bypassbench.
 * Shared types and declarations. See README.md in this folder for flags, packet format and the
 * JSON output schema. */
#ifndef BB_AFXDP_H
#define BB_AFXDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <net/if.h>
#include <netinet/in.h>

#define BB_VERSION "0.1.0"

/* Our payload header; the rest of the UDP payload is zero filler. Host byte order: both ends of
 * a measurement run on the same host, and the reflector never interprets it. */
struct bb_payload {
	uint32_t session; /* random per client run: replies from an earlier run are rejected */
	uint32_t seq;
	uint64_t tx_ns; /* CLOCK_MONOTONIC when the client queued the request */
} __attribute__((packed));

#define BB_MIN_PAYLOAD ((uint32_t)sizeof(struct bb_payload))
#define BB_HDR_BYTES (14 + 20 + 8) /* Ethernet + IPv4 (no options) + UDP */

enum bb_cmd { CMD_REFLECT, CMD_PING, CMD_LOAD, CMD_SOCK_PING, CMD_SOCK_LOAD };
enum bb_xdp_mode { XDPM_AUTO, XDPM_NATIVE, XDPM_GENERIC };
enum bb_bind_mode { BINDM_AUTO, BINDM_COPY, BINDM_ZEROCOPY };

struct bb_config {
	enum bb_cmd cmd;
	const char *cmd_name;
	char ifname[IF_NAMESIZE];
	uint32_t queue;
	uint8_t src_mac[6], dst_mac[6];
	bool have_src_mac, have_dst_mac;
	struct in_addr src_ip, dst_ip, bind_ip;
	bool have_src_ip, have_dst_ip, have_bind_ip;
	uint16_t src_port, dst_port;
	uint32_t payload_bytes; /* --size: UDP payload bytes */
	enum bb_xdp_mode xdp_mode;
	enum bb_bind_mode bind_mode;
	bool busy_poll;
	bool json;
	bool fix_csum;
	double rate_pps;    /* 0 = unpaced (ping) */
	double duration_s;  /* 0 = not set */
	double warmup_s;
	uint64_t count;     /* ping: number of measured probes, 0 = use duration */
	uint32_t timeout_ms;
	uint32_t bind_timeout_ms;
	uint32_t batch;
	int cpu;            /* -1 = do not pin */
	int rcvbuf_bytes;   /* sock-*: 0 = kernel default */
	uint32_t ring_size; /* AF_XDP rings; the UMEM holds twice as many frames */
};

/* Set by SIGINT/SIGTERM; every loop checks it. */
extern volatile sig_atomic_t bb_stop;

/* --- time --- */
uint64_t bb_now_ns(void);
void bb_sleep_until_ns(uint64_t t_ns);

/* --- log-linear latency histogram (latency.c) --- */
#define LAT_SUB_BITS 7
#define LAT_SUB_COUNT (1u << LAT_SUB_BITS)
#define LAT_BUCKETS (58u * LAT_SUB_COUNT)

struct bb_latency {
	uint64_t count;
	uint64_t min_ns, max_ns;
	double sum_ns, sumsq_ns;
	uint64_t buckets[LAT_BUCKETS];
};
void lat_init(struct bb_latency *l);
void lat_add(struct bb_latency *l, uint64_t ns);
/* Value (ns) at quantile q in [0,1], nearest rank; bucket midpoint, exact below 256 ns. */
double lat_quantile_ns(const struct bb_latency *l, double q);

/* --- JSON writer (json.c): just enough for one flat-ish object --- */
struct jw {
	FILE *f;
	int depth;
	bool need_comma[16];
};
void jw_begin(struct jw *w, FILE *f);
void jw_obj_open(struct jw *w, const char *key);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *val); /* val NULL -> null */
void jw_u64(struct jw *w, const char *key, uint64_t val);
void jw_i64(struct jw *w, const char *key, int64_t val);
void jw_num(struct jw *w, const char *key, double val); /* NaN -> null */
void jw_bool(struct jw *w, const char *key, bool val);
void jw_null(struct jw *w, const char *key);
void jw_end(struct jw *w);

/* --- packets (packet.c) --- */
int parse_mac(const char *s, uint8_t mac[6]);
void format_mac(const uint8_t mac[6], char out[18]);
uint16_t csum_fold(uint32_t sum);
uint32_t csum_add(uint32_t sum, const void *data, size_t len);
/* Write a complete Ethernet/IPv4/UDP frame with a zero payload header; returns frame length. */
size_t pkt_build_template(uint8_t *frame, const struct bb_config *cfg);
/* Partial one's-complement sum of everything the UDP checksum covers except the payload header,
 * so per-packet checksums only add the 16 header bytes. */
uint32_t pkt_udp_base_sum(const uint8_t *frame, size_t len);
void pkt_stamp(uint8_t *frame, uint32_t base_sum, uint32_t session, uint32_t seq, uint64_t tx_ns);
/* Reflector: swap MACs, IPv4 addresses and UDP ports in place. Returns false (and leaves the
 * frame untouched) for anything that is not a well-formed IPv4 UDP frame. */
bool pkt_reflect(uint8_t *frame, uint32_t len, bool fix_csum);
/* Client: the payload header of a reply addressed to us, or NULL when the frame is not one. */
const struct bb_payload *pkt_reply_payload(const uint8_t *frame, uint32_t len,
					   const struct bb_config *cfg);

/* --- AF_XDP port (xsk_port.c) --- */
#define XSK_FRAME_SIZE 4096u
#define XSK_DEFAULT_RING_SIZE 2048u
#define XSK_MAX_RING_SIZE 16384u

struct xsk_umem;
struct xsk_socket;
#include <xdp/xsk.h>

struct xsk_port {
	char ifname[IF_NAMESIZE];
	int ifindex;
	uint32_t queue;
	void *umem_area;
	struct xsk_umem *umem;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	int fd;
	/* Frames owned by user space. Clients keep TX frames apart (pre-filled with the template);
	 * the reflector sends from the RX frame itself, so its completions go back to rx_free. */
	bool split_pools;
	uint32_t ring_size;  /* every ring (fill, completion, RX, TX) */
	uint32_t n_frames;   /* UMEM frames: twice the ring size */
	uint64_t *rx_free;
	uint32_t n_rx_free;
	uint64_t *tx_free;
	uint32_t n_tx_free;
	/* What we asked for and what we got. */
	const char *xdp_mode_got;  /* "native" | "generic" | "unknown" */
	const char *bind_mode_got; /* "copy" | "zero-copy" */
	bool zerocopy_fallback;     /* --zero-copy failed with EOPNOTSUPP and we bound in copy mode */
	bool native_fallback;       /* --mode auto: native attach failed, generic used */
	uint32_t bind_retries;      /* EBUSY retries before the bind succeeded */
	uint32_t prog_id;
	bool own_prog;              /* we attached it, so we detach it on exit */
	bool prog_detached;
	char notes[512];
	uint64_t kick_errors;
	int last_kick_errno;
	struct xdp_statistics kstats;
	bool have_kstats;
};

int xsk_port_open(struct xsk_port *p, const struct bb_config *cfg, bool split_pools, char *err,
		  size_t errlen);
/* Read the kernel's XDP_STATISTICS; call before xsk_port_close. */
void xsk_port_read_stats(struct xsk_port *p);
void xsk_port_close(struct xsk_port *p);
/* Move TX completions back to their free list; returns how many completed. */
uint32_t xsk_port_complete_tx(struct xsk_port *p);
/* TX descriptors user space queued that the kernel has not consumed yet. */
uint32_t xsk_port_tx_unsent(const struct xsk_port *p);
/* Top up the fill ring from rx_free. */
void xsk_port_refill(struct xsk_port *p);
/* Ask the kernel to transmit what is on the TX ring (copy mode needs a syscall for that). */
void xsk_port_kick_tx(struct xsk_port *p);
void xsk_port_kick_rx(struct xsk_port *p);
void xsk_port_write_json(struct xsk_port *p, struct jw *w);

/* --- netdev helpers --- */
int if_get_mac(const char *ifname, uint8_t mac[6]);
int if_get_ipv4(const char *ifname, struct in_addr *ip);
int if_get_mtu(const char *ifname);

/* --- client transports: the ping/load engine is the same for AF_XDP and kernel sockets --- */
struct bb_reply {
	uint32_t seq;
	uint64_t tx_ns;
	uint64_t rx_ns;
};

struct bb_transport {
	const char *name; /* "afxdp" | "socket" */
	void *ctx;
	/* Queue one request; 1 = queued, 0 = no room now (try again), <0 = -errno. */
	int (*send)(void *ctx, uint32_t seq, uint64_t *tx_ns);
	/* Push queued requests out and reclaim buffers. */
	void (*flush)(void *ctx);
	/* Non-blocking: up to `max` replies of this run into out[]; returns how many. */
	int (*recv)(void *ctx, struct bb_reply *out, int max);
	/* Block until something may be readable or timeout_ns passes (poll mode only). */
	void (*wait)(void *ctx, int64_t timeout_ns);
	void (*write_json)(void *ctx, struct jw *w);
	uint64_t unexpected; /* frames that were not a reply of this run */
	uint64_t send_errors;
	int last_send_errno;
};

int transport_xsk_open(struct bb_transport *t, const struct bb_config *cfg, uint32_t session,
		       char *err, size_t errlen);
void transport_xsk_close(struct bb_transport *t);
int transport_sock_open(struct bb_transport *t, const struct bb_config *cfg, uint32_t session,
			char *err, size_t errlen);
void transport_sock_close(struct bb_transport *t);

/* --- commands --- */
int run_reflect(const struct bb_config *cfg);
int run_client(const struct bb_config *cfg);

/* --- output helpers (output.c) --- */
void out_config(struct jw *w, const struct bb_config *cfg);
/* Opens the JSON result object with the fields every command prints first. */
void out_begin(struct jw *w, const struct bb_config *cfg, const char *error);
/* A latency block under `key` ("latencyUs", "latencyFromScheduleUs"): samples, percentiles, min/max/mean/stddev. */
void out_latency(struct jw *w, const char *key, const struct bb_latency *l);
const char *xdp_mode_name(enum bb_xdp_mode m);
const char *bind_mode_name(enum bb_bind_mode m);

#define LOG(...) do { fprintf(stderr, "bb-afxdp: " __VA_ARGS__); fputc('\n', stderr); } while (0)

#endif
