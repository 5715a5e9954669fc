/* Client transport over AF_XDP: requests are built from a template already copied into every TX
 * frame, so a send only stamps 16 bytes and patches the UDP checksum. */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "bb_afxdp.h"

struct xsk_client {
	struct xsk_port port;
	const struct bb_config *cfg;
	uint32_t session;
	uint32_t frame_len;
	uint32_t base_sum;
	uint32_t queued; /* descriptors submitted since the last flush */
	struct bb_transport *t;
};

static int xc_send(void *ctx, uint32_t seq, uint64_t *tx_ns)
{
	struct xsk_client *c = ctx;
	struct xsk_port *p = &c->port;
	if (!p->n_tx_free)
		xsk_port_complete_tx(p);
	if (!p->n_tx_free)
		return 0;
	uint32_t idx;
	if (xsk_ring_prod__reserve(&p->tx, 1, &idx) != 1)
		return 0;
	uint64_t addr = p->tx_free[--p->n_tx_free];
	uint8_t *frame = xsk_umem__get_data(p->umem_area, addr);
	uint64_t now = bb_now_ns();
	pkt_stamp(frame, c->base_sum, c->session, seq, now);
	struct xdp_desc *d = xsk_ring_prod__tx_desc(&p->tx, idx);
	d->addr = addr;
	d->len = c->frame_len;
	d->options = 0;
	xsk_ring_prod__submit(&p->tx, 1);
	c->queued++;
	*tx_ns = now;
	return 1;
}

static void xc_flush(void *ctx)
{
	struct xsk_client *c = ctx;
	if (c->queued || xsk_port_tx_unsent(&c->port))
		xsk_port_kick_tx(&c->port);
	c->queued = 0;
	xsk_port_complete_tx(&c->port);
}

static int xc_recv(void *ctx, struct bb_reply *out, int max)
{
	struct xsk_client *c = ctx;
	struct xsk_port *p = &c->port;
	uint32_t idx;
	uint32_t n = xsk_ring_cons__peek(&p->rx, (uint32_t)max, &idx);
	if (!n) {
		xsk_port_kick_rx(p);
		return 0;
	}
	uint64_t rx_ns = bb_now_ns();
	int k = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx + i);
		const uint8_t *frame = xsk_umem__get_data(p->umem_area, d->addr);
		const struct bb_payload *pl = pkt_reply_payload(frame, d->len, c->cfg);
		struct bb_payload hdr;
		if (pl)
			memcpy(&hdr, pl, sizeof(hdr));
		if (pl && hdr.session == c->session) {
			out[k].seq = hdr.seq;
			out[k].tx_ns = hdr.tx_ns;
			out[k].rx_ns = rx_ns;
			k++;
		} else {
			c->t->unexpected++;
		}
		p->rx_free[p->n_rx_free++] = d->addr & ~(uint64_t)(XSK_FRAME_SIZE - 1);
	}
	xsk_ring_cons__release(&p->rx, n);
	xsk_port_refill(p);
	return k;
}

static void xc_wait(void *ctx, int64_t timeout_ns)
{
	struct xsk_client *c = ctx;
	if (timeout_ns <= 0)
		return;
	struct pollfd pfd = {.fd = c->port.fd, .events = POLLIN};
	struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
	ppoll(&pfd, 1, &ts, NULL);
}

static void xc_write_json(void *ctx, struct jw *w)
{
	struct xsk_client *c = ctx;
	xsk_port_write_json(&c->port, w);
}

int transport_xsk_open(struct bb_transport *t, const struct bb_config *cfg, uint32_t session,
		       char *err, size_t errlen)
{
	struct xsk_client *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->cfg = cfg;
	c->session = session;
	c->t = t;
	t->name = "afxdp";
	t->ctx = c;
	t->send = xc_send;
	t->flush = xc_flush;
	t->recv = xc_recv;
	t->wait = xc_wait;
	t->write_json = xc_write_json;
	int rc = xsk_port_open(&c->port, cfg, true, err, errlen);
	if (rc)
		return rc;
	/* every TX frame gets the whole template once; sends then touch only the payload header */
	uint8_t *first = xsk_umem__get_data(c->port.umem_area, c->port.tx_free[0]);
	c->frame_len = (uint32_t)pkt_build_template(first, cfg);
	c->base_sum = pkt_udp_base_sum(first, c->frame_len);
	for (uint32_t i = 1; i < c->port.n_tx_free; i++)
		memcpy(xsk_umem__get_data(c->port.umem_area, c->port.tx_free[i]), first, c->frame_len);
	return 0;
}

void transport_xsk_close(struct bb_transport *t)
{
	struct xsk_client *c = t->ctx;
	if (!c)
		return;
	for (int i = 0; i < 100 && xsk_port_tx_unsent(&c->port); i++)
		xsk_port_kick_tx(&c->port);
	xsk_port_read_stats(&c->port);
	xsk_port_close(&c->port);
}
