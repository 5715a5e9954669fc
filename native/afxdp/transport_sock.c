/* Client transport over a plain kernel UDP socket, with the same payload and timestamps as the
 * AF_XDP client, so the two are directly comparable against the same reflector. sockperf cannot
 * play this role: it ignores replies that are its own message echoed back. */
#define _GNU_SOURCE /* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bb_afxdp.h"

struct sock_client {
	int fd;
	uint32_t session;
	uint32_t len;
	uint8_t tx_buf[65536];
	uint8_t rx_buf[65536];
	struct sockaddr_in local;
	int rcvbuf_bytes;
	uint64_t recv_errors;
	int last_recv_errno;
	struct bb_transport *t;
};

static int sc_send(void *ctx, uint32_t seq, uint64_t *tx_ns)
{
	struct sock_client *c = ctx;
	uint64_t now = bb_now_ns();
	struct bb_payload hdr = {.session = c->session, .seq = seq, .tx_ns = now};
	memcpy(c->tx_buf, &hdr, sizeof(hdr));
	if (send(c->fd, c->tx_buf, c->len, MSG_DONTWAIT) < 0) {
		if (errno == EAGAIN || errno == ENOBUFS)
			return 0;
		c->t->send_errors++;
		c->t->last_send_errno = errno;
		return -errno;
	}
	*tx_ns = now;
	return 1;
}

static void sc_flush(void *ctx)
{
	(void)ctx;
}

static int sc_recv(void *ctx, struct bb_reply *out, int max)
{
	struct sock_client *c = ctx;
	int k = 0;
	for (int i = 0; i < max; i++) {
		ssize_t n = recv(c->fd, c->rx_buf, sizeof(c->rx_buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				/* ECONNREFUSED: an ICMP port unreachable came back */
				c->recv_errors++;
				c->last_recv_errno = errno;
				continue;
			}
			break;
		}
		uint64_t rx_ns = bb_now_ns();
		struct bb_payload hdr;
		if ((size_t)n >= sizeof(hdr)) {
			memcpy(&hdr, c->rx_buf, sizeof(hdr));
			if (hdr.session == c->session) {
				out[k].seq = hdr.seq;
				out[k].tx_ns = hdr.tx_ns;
				out[k].rx_ns = rx_ns;
				k++;
				continue;
			}
		}
		c->t->unexpected++;
	}
	return k;
}

static void sc_wait(void *ctx, int64_t timeout_ns)
{
	struct sock_client *c = ctx;
	if (timeout_ns <= 0)
		return;
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
	ppoll(&pfd, 1, &ts, NULL);
}

static void sc_write_json(void *ctx, struct jw *w)
{
	struct sock_client *c = ctx;
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &c->local.sin_addr, ip, sizeof(ip));
	jw_obj_open(w, "socket");
	jw_str(w, "localIp", ip);
	jw_u64(w, "localPort", ntohs(c->local.sin_port));
	jw_i64(w, "rcvbufBytes", c->rcvbuf_bytes);
	jw_u64(w, "recvErrors", c->recv_errors);
	if (c->recv_errors)
		jw_str(w, "lastRecvError", strerror(c->last_recv_errno));
	jw_obj_close(w);
}

int transport_sock_open(struct bb_transport *t, const struct bb_config *cfg, uint32_t session,
			char *err, size_t errlen)
{
	struct sock_client *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->session = session;
	c->len = cfg->payload_bytes;
	c->t = t;
	t->name = "socket";
	t->ctx = c;
	t->send = sc_send;
	t->flush = sc_flush;
	t->recv = sc_recv;
	t->wait = sc_wait;
	t->write_json = sc_write_json;

	c->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (c->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	if (cfg->rcvbuf_bytes > 0 &&
	    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &cfg->rcvbuf_bytes, sizeof(int)) < 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &cfg->rcvbuf_bytes, sizeof(int));
	socklen_t optlen = sizeof(c->rcvbuf_bytes);
	getsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &c->rcvbuf_bytes, &optlen);

	struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(cfg->src_port)};
	if (cfg->have_bind_ip)
		local.sin_addr = cfg->bind_ip;
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &local.sin_addr, ip, sizeof(ip));
	if (bind(c->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		snprintf(err, errlen, "bind %s:%u: %s", ip, cfg->src_port, strerror(errno));
		return -errno;
	}
	/* connected: the kernel then delivers only the reflector's datagrams to us */
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(cfg->dst_port),
				   .sin_addr = cfg->dst_ip};
	if (connect(c->fd, (struct sockaddr *)&peer, sizeof(peer)) < 0) {
		inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
		snprintf(err, errlen, "connect %s:%u: %s", ip, cfg->dst_port, strerror(errno));
		return -errno;
	}
	socklen_t alen = sizeof(c->local);
	getsockname(c->fd, (struct sockaddr *)&c->local, &alen);
	return 0;
}

void transport_sock_close(struct bb_transport *t)
{
	struct sock_client *c = t->ctx;
	if (c && c->fd >= 0)
		close(c->fd);
}
