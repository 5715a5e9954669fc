/* reflect: answer every IPv4 UDP frame on the queue by sending it back with MACs, addresses and
 * ports swapped, from the same UMEM frame (no copy in user space). Anything else (ARP, IPv6) is
 * dropped and counted: the default XDP program steals the whole queue from the kernel, which is
 * why clients need static neighbour entries. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <string.h>

#include "bb_afxdp.h"

struct reflect_counts {
	uint64_t rx, rx_bytes, tx_submitted, tx_completed;
	uint64_t dropped_not_udp, dropped_ring_full, ring_full_events;
	uint64_t first_rx_ns, last_rx_ns;
};

static void reflect_batch(struct xsk_port *p, const struct bb_config *cfg,
			  struct reflect_counts *c, uint32_t batch)
{
	uint32_t idx_rx;
	uint32_t n = xsk_ring_cons__peek(&p->rx, batch, &idx_rx);
	if (!n)
		return;
	uint64_t now = bb_now_ns();
	if (!c->first_rx_ns)
		c->first_rx_ns = now;
	c->last_rx_ns = now;

	struct xdp_desc out[256];
	uint32_t n_out = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx_rx + i);
		uint8_t *frame = xsk_umem__get_data(p->umem_area, d->addr);
		c->rx++;
		c->rx_bytes += d->len;
		if (pkt_reflect(frame, d->len, cfg->fix_csum)) {
			out[n_out].addr = d->addr;
			out[n_out].len = d->len;
			out[n_out].options = 0;
			n_out++;
		} else {
			c->dropped_not_udp++;
			p->rx_free[p->n_rx_free++] = d->addr & ~(uint64_t)(XSK_FRAME_SIZE - 1);
		}
	}
	xsk_ring_cons__release(&p->rx, n);
	if (!n_out)
		return;

	uint32_t idx_tx;
	uint32_t got = xsk_ring_prod__reserve(&p->tx, n_out, &idx_tx);
	if (got != n_out) {
		/* the TX ring is full: let the kernel drain it once, then give up on this batch */
		c->ring_full_events++;
		xsk_port_kick_tx(p);
		xsk_port_complete_tx(p);
		got = xsk_ring_prod__reserve(&p->tx, n_out, &idx_tx);
	}
	if (got != n_out) {
		c->dropped_ring_full += n_out;
		for (uint32_t i = 0; i < n_out; i++)
			p->rx_free[p->n_rx_free++] = out[i].addr & ~(uint64_t)(XSK_FRAME_SIZE - 1);
		return;
	}
	for (uint32_t i = 0; i < n_out; i++)
		*xsk_ring_prod__tx_desc(&p->tx, idx_tx + i) = out[i];
	xsk_ring_prod__submit(&p->tx, n_out);
	c->tx_submitted += n_out;
	xsk_port_kick_tx(p);
}

static void write_output(const struct bb_config *cfg, struct xsk_port *p, bool opened,
			 const struct reflect_counts *c, const char *error, uint64_t ready_ns,
			 uint64_t stop_ns)
{
	double run_s = ready_ns ? (double)(stop_ns - ready_ns) / 1e9 : NAN;
	double active_s = c->rx > 1 ? (double)(c->last_rx_ns - c->first_rx_ns) / 1e9 : NAN;
	if (!cfg->json) {
		if (error)
			printf("reflect failed: %s\n", error);
		else
			printf("reflect %s: rx=%lu tx=%lu dropped=%lu ringFull=%lu xdp=%s bind=%s\n",
			       p->ifname, (unsigned long)c->rx, (unsigned long)c->tx_completed,
			       (unsigned long)(c->dropped_not_udp + c->dropped_ring_full),
			       (unsigned long)c->ring_full_events, p->xdp_mode_got, p->bind_mode_got);
		return;
	}
	struct jw w;
	out_begin(&w, cfg, error);
	jw_bool(&w, "interrupted", bb_stop != 0);
	jw_str(&w, "transport", "afxdp");
	out_config(&w, cfg);
	if (opened)
		xsk_port_write_json(p, &w);
	else
		jw_null(&w, "xsk");
	jw_obj_open(&w, "counts");
	jw_u64(&w, "rx", c->rx);
	jw_u64(&w, "rxBytes", c->rx_bytes);
	jw_u64(&w, "txSubmitted", c->tx_submitted);
	jw_u64(&w, "tx", c->tx_completed);
	jw_u64(&w, "dropped", c->dropped_not_udp + c->dropped_ring_full);
	jw_u64(&w, "droppedNotUdp", c->dropped_not_udp);
	jw_u64(&w, "droppedRingFull", c->dropped_ring_full);
	jw_u64(&w, "ringFullEvents", c->ring_full_events);
	jw_obj_close(&w);
	jw_obj_open(&w, "rates");
	jw_num(&w, "rxPps", active_s > 0 ? (double)c->rx / active_s : NAN);
	jw_num(&w, "txPps", active_s > 0 ? (double)c->tx_completed / active_s : NAN);
	jw_obj_close(&w);
	jw_obj_open(&w, "durations");
	jw_num(&w, "runS", run_s);
	jw_num(&w, "activeS", active_s);
	jw_obj_close(&w);
	jw_end(&w);
}

int run_reflect(const struct bb_config *cfg)
{
	static struct xsk_port port;
	struct reflect_counts c = {0};
	char err[256] = "";
	if (xsk_port_open(&port, cfg, false, err, sizeof(err)) != 0) {
		LOG("%s", err);
		write_output(cfg, &port, false, &c, err, 0, 0);
		return 1;
	}
	uint64_t ready_ns = bb_now_ns();
	uint64_t end_ns = cfg->duration_s > 0 ? ready_ns + (uint64_t)(cfg->duration_s * 1e9) : 0;
	/* runners wait for this line before starting a client */
	LOG("ready: reflect on %s queue %u, xdp=%s bind=%s%s", port.ifname, port.queue,
	    port.xdp_mode_got, port.bind_mode_got, cfg->busy_poll ? " busy-poll" : " poll");

	struct pollfd pfd = {.fd = port.fd, .events = POLLIN};
	uint32_t idle = 0;
	while (!bb_stop) {
		if (!cfg->busy_poll && xsk_port_tx_unsent(&port) == 0) {
			int r = poll(&pfd, 1, 100);
			if (r < 0 && errno != EINTR) {
				snprintf(err, sizeof(err), "poll: %s", strerror(errno));
				break;
			}
		}
		reflect_batch(&port, cfg, &c, cfg->batch);
		if (xsk_port_tx_unsent(&port))
			xsk_port_kick_tx(&port);
		c.tx_completed += xsk_port_complete_tx(&port);
		xsk_port_refill(&port);
		/* a busy loop reads the clock only every 1024 turns, to stay cheap */
		if (end_ns && (!cfg->busy_poll || (++idle & 1023) == 0) && bb_now_ns() >= end_ns)
			break;
	}
	uint64_t stop_ns = bb_now_ns();
	/* let frames already handed to the kernel complete so tx matches what really left */
	for (int i = 0; i < 100 && xsk_port_tx_unsent(&port); i++) {
		xsk_port_kick_tx(&port);
		c.tx_completed += xsk_port_complete_tx(&port);
	}
	c.tx_completed += xsk_port_complete_tx(&port);
	xsk_port_read_stats(&port);
	xsk_port_close(&port);
	LOG("stopped: rx=%lu tx=%lu dropped=%lu ring-full events=%lu", (unsigned long)c.rx,
	    (unsigned long)c.tx_completed, (unsigned long)(c.dropped_not_udp + c.dropped_ring_full),
	    (unsigned long)c.ring_full_events);
	write_output(cfg, &port, true, &c, err[0] ? err : NULL, ready_ns, stop_ns);
	return err[0] ? 1 : 0;
}
