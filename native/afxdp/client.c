/* ping and load clients, written once against struct bb_transport so the AF_XDP client and the
 * kernel-socket client measure exactly the same way.
 *
 * RTT = (CLOCK_MONOTONIC when the reply is taken off the RX ring / out of recv())
 *     - (CLOCK_MONOTONIC written into the request just before it is queued).
 *
 * No coordinated omission: a paced or open-loop client that falls behind its schedule would hide
 * the delay it caused if it only timed each request from its actual send. So every measured
 * request is timed twice, from its actual send (latencyUs: the service time) and from the time
 * the schedule said it should have been sent (latencyFromScheduleUs: what a user at that offered
 * rate would see), and slots the client never sent are counted (counts.unsent).
 *
 * load runs TX pacing and RX in one loop on one CPU: on a 2-vCPU machine where the reflector
 * needs a CPU of its own, a second busy thread would share a CPU and add scheduler latency to
 * every reply instead of removing it. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "bb_afxdp.h"

#define RX_BATCH 64

struct client_stats {
	uint64_t sent, received, late, duplicates, reordered, timeouts, tx_ring_full, unsent;
	uint64_t scheduled; /* load: requests the schedule asked for in the measured window */
	uint64_t sent_late; /* load: of `sent`, those stamped after the window closed (last burst) */
	uint64_t window_end_ns;
	uint64_t warmup_sent, warmup_received, warmup_unsent;
	uint64_t lag_count;
	double lag_sum_ns;
	uint64_t lag_max_ns;
	uint64_t measure_start_ns, send_end_ns, end_ns, start_ns;
	struct bb_latency lat;
	struct bb_latency lat_sched; /* from the scheduled send time */
};

static uint32_t new_session(void)
{
	uint32_t s = 0;
	if (getrandom(&s, sizeof(s), 0) != sizeof(s))
		s = (uint32_t)bb_now_ns();
	return s | 1u;
}

/* Queue one request, retrying while the ring/socket is momentarily full. */
static int send_one(struct bb_transport *t, uint32_t seq, uint64_t *tx_ns, uint64_t *ring_full)
{
	for (int tries = 0; tries < 1000 && !bb_stop; tries++) {
		int rc = t->send(t->ctx, seq, tx_ns);
		if (rc != 0)
			return rc;
		(*ring_full)++;
		t->flush(t->ctx);
	}
	return 0;
}

/* Sleep most of the way, then spin: a timed sleep overshoots by tens of µs on a VM, more than a
 * whole send interval at high rates (sockperf paces the same way). */
static void pace_until_ns(uint64_t due)
{
	uint64_t now = bb_now_ns();
	if (due > now + 200000)
		bb_sleep_until_ns(due - 100000);
	while (!bb_stop && bb_now_ns() < due)
		;
}

static void run_ping(const struct bb_config *cfg, struct bb_transport *t, struct client_stats *s)
{
	uint64_t timeout_ns = (uint64_t)cfg->timeout_ms * 1000000ull;
	uint64_t interval_ns = cfg->rate_pps > 0 ? (uint64_t)(1e9 / cfg->rate_pps) : 0;
	s->start_ns = bb_now_ns();
	uint64_t warm_end = s->start_ns + (uint64_t)(cfg->warmup_s * 1e9);
	uint64_t end = cfg->duration_s > 0 ? warm_end + (uint64_t)(cfg->duration_s * 1e9) : 0;
	uint32_t first_measured = UINT32_MAX;
	struct bb_reply replies[RX_BATCH];

	/* Paced ping-pong: one send slot every interval, on an absolute schedule so the average
	 * rate holds. A short backlog (a slow reply, a sleep that overshot) is made up at once;
	 * a long one (a timeout, a stall) is dropped and the schedule restarts from now, so a
	 * stall is never followed by a burst above the offered rate. */
	uint64_t slot = 0;
	uint64_t max_backlog_ns = interval_ns * 16 > 2000000ull ? interval_ns * 16 : 2000000ull;
	for (uint32_t seq = 0; !bb_stop; seq++) {
		uint64_t due = 0; /* this request's slot on the schedule; 0 = unpaced */
		if (interval_ns) {
			due = s->start_ns + slot * interval_ns;
			uint64_t late = bb_now_ns();
			if (late > due + max_backlog_ns) {
				/* The slots between `due` and now are never sent: counted as unsent when
				 * they fall in the measured window, never silently forgotten. */
				uint64_t next = (late - s->start_ns) / interval_ns + 1;
				for (uint64_t k = slot; k < next; k++) {
					uint64_t at = s->start_ns + k * interval_ns;
					if (at >= warm_end && (!end || at < end))
						s->unsent++;
				}
				slot = next;
				due = s->start_ns + slot * interval_ns;
			}
			pace_until_ns(due);
			slot++;
		}
		uint64_t now = bb_now_ns();
		bool warm = now < warm_end;
		if (!warm) {
			if (first_measured == UINT32_MAX) {
				first_measured = seq;
				s->measure_start_ns = now;
			}
			if (cfg->count && s->sent >= cfg->count)
				break;
			if (end && now >= end)
				break;
		}
		uint64_t tx_ns;
		int rc = send_one(t, seq, &tx_ns, &s->tx_ring_full);
		if (rc <= 0) {
			/* an ICMP error is reported on the next send of a connected socket: count it
			 * and go on; any other send error ends the run */
			if (rc < 0 && rc != -ECONNREFUSED)
				break;
			continue;
		}
		t->flush(t->ctx);
		if (warm)
			s->warmup_sent++;
		else
			s->sent++;

		uint64_t deadline = tx_ns + timeout_ns;
		bool got = false;
		while (!got && !bb_stop) {
			int n = t->recv(t->ctx, replies, RX_BATCH);
			for (int i = 0; i < n; i++) {
				if (replies[i].seq == seq) {
					got = true;
					uint64_t rtt = replies[i].rx_ns - replies[i].tx_ns;
					if (warm) {
						s->warmup_received++;
					} else {
						s->received++;
						lat_add(&s->lat, rtt);
						/* from the slot, or from the send when unpaced */
						uint64_t from = due && due < replies[i].tx_ns ? due : replies[i].tx_ns;
						lat_add(&s->lat_sched, replies[i].rx_ns - from);
					}
				} else if (replies[i].seq < seq && replies[i].seq >= first_measured) {
					s->late++; /* answer to a probe that already timed out */
				} else if (replies[i].seq > seq) {
					t->unexpected++;
				}
			}
			if (got)
				break;
			now = bb_now_ns();
			if (now >= deadline) {
				if (!warm)
					s->timeouts++;
				break;
			}
			if (!cfg->busy_poll)
				t->wait(t->ctx, (int64_t)(deadline - now));
		}
	}
	s->send_end_ns = s->end_ns = bb_now_ns();
	if (!s->measure_start_ns)
		s->measure_start_ns = s->end_ns;
}

/* Seqs answered so far (a reply counts once); grows with the run. */
struct seen_bitmap {
	uint8_t *bits;
	uint64_t nbits;
};

static bool seen_test_and_set(struct seen_bitmap *b, uint32_t seq)
{
	if (seq >= b->nbits) {
		uint64_t n = b->nbits ? b->nbits : 1u << 20;
		while (n <= seq)
			n *= 2;
		uint8_t *nb = realloc(b->bits, n / 8);
		if (!nb)
			return false;
		memset(nb + b->nbits / 8, 0, (n - b->nbits) / 8);
		b->bits = nb;
		b->nbits = n;
	}
	uint8_t mask = (uint8_t)(1u << (seq & 7));
	bool was = b->bits[seq >> 3] & mask;
	b->bits[seq >> 3] |= mask;
	return was;
}

struct load_state {
	const struct bb_config *cfg;
	struct client_stats *s;
	struct bb_transport *t;
	struct seen_bitmap seen;
	uint32_t first_measured; /* seqs below it were sent during warm-up */
	uint32_t next_seq;
	uint32_t max_seq_seen;
	bool any_seen;
	uint64_t timeout_ns;
	uint64_t t0_ns;     /* the schedule's origin: request i is due at t0 + i × interval */
	double interval_ns;
};

static int load_receive(struct load_state *L)
{
	struct bb_reply replies[RX_BATCH];
	int n = L->t->recv(L->t->ctx, replies, RX_BATCH);
	for (int i = 0; i < n; i++) {
		const struct bb_reply *r = &replies[i];
		if (r->seq >= L->next_seq) {
			L->t->unexpected++;
			continue;
		}
		if (r->seq < L->first_measured) {
			L->s->warmup_received++;
			continue;
		}
		if (seen_test_and_set(&L->seen, r->seq)) {
			L->s->duplicates++;
			continue;
		}
		if (L->any_seen && r->seq < L->max_seq_seen)
			L->s->reordered++;
		if (!L->any_seen || r->seq > L->max_seq_seen)
			L->max_seq_seen = r->seq;
		L->any_seen = true;
		uint64_t rtt = r->rx_ns - r->tx_ns;
		if (rtt > L->timeout_ns) {
			L->s->late++;
		} else {
			L->s->received++;
			lat_add(&L->s->lat, rtt);
			uint64_t due = L->t0_ns + (uint64_t)((double)r->seq * L->interval_ns);
			lat_add(&L->s->lat_sched, r->rx_ns - (due < r->tx_ns ? due : r->tx_ns));
		}
	}
	return n;
}

static void run_load(const struct bb_config *cfg, struct bb_transport *t, struct client_stats *s)
{
	struct load_state L = {.cfg = cfg, .s = s, .t = t,
			       .timeout_ns = (uint64_t)cfg->timeout_ms * 1000000ull};
	double interval_ns = 1e9 / cfg->rate_pps;
	uint64_t warm_pkts = (uint64_t)floor(cfg->warmup_s * cfg->rate_pps);
	uint64_t total_pkts = warm_pkts + (uint64_t)floor(cfg->duration_s * cfg->rate_pps);
	if (total_pkts > UINT32_MAX)
		total_pkts = UINT32_MAX;
	L.first_measured = (uint32_t)warm_pkts;

	s->start_ns = bb_now_ns();
	uint64_t t0 = s->start_ns;
	L.t0_ns = t0;
	L.interval_ns = interval_ns;
	s->measure_start_ns = t0 + (uint64_t)(warm_pkts * interval_ns);
	s->scheduled = total_pkts - warm_pkts;
	uint64_t send_deadline = s->measure_start_ns + (uint64_t)(cfg->duration_s * 1e9);
	s->window_end_ns = send_deadline;
	uint64_t i = 0;

	while (!bb_stop) {
		uint64_t now = bb_now_ns();
		if (i >= total_pkts || now >= send_deadline)
			break;
		/* A generator that fell behind during the warm-up drops the warm-up's backlog when
		 * the measured window opens, instead of spending the window sending it. */
		if (i < warm_pkts && now >= s->measure_start_ns) {
			s->warmup_unsent += warm_pkts - i;
			i = warm_pkts;
		}
		uint32_t burst = 0;
		/* open loop: send everything that is due by now, whether or not replies came */
		while (i < total_pkts && burst < cfg->batch) {
			uint64_t due = t0 + (uint64_t)((double)i * interval_ns);
			if (due > now)
				break;
			uint64_t tx_ns;
			int rc = t->send(t->ctx, (uint32_t)i, &tx_ns);
			if (rc == 0) {
				s->tx_ring_full++;
				break;
			}
			L.next_seq = (uint32_t)i + 1;
			if (rc > 0) {
				if (i >= warm_pkts) {
					s->sent++;
					if (tx_ns >= send_deadline)
						s->sent_late++;
					uint64_t lag = tx_ns > due ? tx_ns - due : 0;
					s->lag_count++;
					s->lag_sum_ns += (double)lag;
					if (lag > s->lag_max_ns)
						s->lag_max_ns = lag;
				} else {
					s->warmup_sent++;
				}
			}
			i++;
			burst++;
		}
		t->flush(t->ctx);
		int got = load_receive(&L);
		if (!cfg->busy_poll && !burst && !got) {
			uint64_t due = t0 + (uint64_t)((double)i * interval_ns);
			now = bb_now_ns();
			if (due > now)
				t->wait(t->ctx, (int64_t)(due - now));
		}
	}
	s->send_end_ns = bb_now_ns();
	s->unsent = total_pkts > i ? total_pkts - i : 0;

	/* drain: wait for outstanding replies up to the reply timeout */
	uint64_t drain_end = s->send_end_ns + L.timeout_ns;
	while (!bb_stop && s->received + s->late < s->sent) {
		t->flush(t->ctx);
		load_receive(&L);
		uint64_t now = bb_now_ns();
		if (now >= drain_end)
			break;
		if (!cfg->busy_poll)
			t->wait(t->ctx, (int64_t)(drain_end - now));
	}
	s->end_ns = bb_now_ns();
	free(L.seen.bits);
}

static void write_client_output(const struct bb_config *cfg, struct bb_transport *t, bool opened,
				const struct client_stats *s, const char *error)
{
	bool load = cfg->cmd == CMD_LOAD || cfg->cmd == CMD_SOCK_LOAD;
	double measured_s = s->send_end_ns > s->measure_start_ns
				    ? (double)(s->send_end_ns - s->measure_start_ns) / 1e9
				    : NAN;
	double total_s = s->end_ns > s->start_ns ? (double)(s->end_ns - s->start_ns) / 1e9 : NAN;
	uint64_t lost = s->sent > s->received ? s->sent - s->received : 0;
	double loss = s->sent ? (double)lost / (double)s->sent : NAN;
	/* Open loop: requests sent within the requested window, over that window. The elapsed
	 * time is no measure of it: the loop sees the deadline only between bursts, and a client
	 * descheduled there (up to ~12 ms on a loaded VM) read a complete schedule as 0.6 % short
	 * at 2 s. Otherwise (ping, count-based runs) sent over the elapsed time. */
	bool in_window = load && cfg->duration_s > 0;
	double achieved = in_window ? (double)(s->sent - s->sent_late) / cfg->duration_s
				    : (measured_s > 0 ? (double)s->sent / measured_s : NAN);
	double received_pps = in_window ? (double)s->received / cfg->duration_s
					: (measured_s > 0 ? (double)s->received / measured_s : NAN);

	if (!cfg->json) {
		if (error) {
			printf("%s failed: %s\n", cfg->cmd_name, error);
			return;
		}
		printf("%s: sent=%lu received=%lu lost=%lu late=%lu loss=%.6f achieved=%.0f pps",
		       cfg->cmd_name, (unsigned long)s->sent, (unsigned long)s->received,
		       (unsigned long)lost, (unsigned long)s->late, loss, achieved);
		if (s->lat.count)
			printf(" rtt p50=%.3f p99=%.3f max=%.3f us",
			       lat_quantile_ns(&s->lat, 0.5) / 1e3, lat_quantile_ns(&s->lat, 0.99) / 1e3,
			       (double)s->lat.max_ns / 1e3);
		printf("\n");
		return;
	}
	struct jw w;
	out_begin(&w, cfg, error);
	jw_bool(&w, "interrupted", bb_stop != 0);
	jw_str(&w, "transport", t->name);
	out_config(&w, cfg);
	if (opened)
		t->write_json(t->ctx, &w);
	else if (strcmp(t->name, "afxdp") == 0)
		jw_null(&w, "xsk");
	else
		jw_null(&w, "socket");

	jw_obj_open(&w, "counts");
	jw_u64(&w, "sent", s->sent);
	jw_u64(&w, "received", s->received);
	jw_u64(&w, "lost", lost);
	jw_u64(&w, "late", s->late);
	jw_u64(&w, "duplicates", s->duplicates);
	jw_u64(&w, "reordered", s->reordered);
	jw_u64(&w, "unexpected", t->unexpected);
	jw_u64(&w, "unsent", s->unsent);
	if (load) {
		jw_u64(&w, "scheduled", s->scheduled);
		jw_u64(&w, "sentLate", s->sent_late);
	}
	if (!load)
		jw_u64(&w, "timeouts", s->timeouts);
	jw_u64(&w, "txRingFull", s->tx_ring_full);
	jw_u64(&w, "sendErrors", t->send_errors);
	if (t->send_errors)
		jw_str(&w, "lastSendError", strerror(t->last_send_errno));
	jw_u64(&w, "warmupSent", s->warmup_sent);
	jw_u64(&w, "warmupUnsent", s->warmup_unsent);
	jw_u64(&w, "warmupReceived", s->warmup_received);
	jw_obj_close(&w);

	jw_num(&w, "lossRatio", loss);
	jw_obj_open(&w, "rates");
	jw_num(&w, "offeredPps", cfg->rate_pps > 0 ? cfg->rate_pps : NAN);
	jw_num(&w, "achievedPps", achieved);
	jw_num(&w, "receivedPps", received_pps);
	jw_str(&w, "achievedFrom", in_window ? "window" : "elapsed");
	jw_obj_close(&w);

	jw_obj_open(&w, "durations");
	jw_num(&w, "warmupS", cfg->warmup_s);
	jw_num(&w, "measuredS", measured_s);
	if (load) {
		jw_num(&w, "windowS", cfg->duration_s);
		jw_num(&w, "overrunS", s->send_end_ns > s->window_end_ns
					       ? (double)(s->send_end_ns - s->window_end_ns) / 1e9
					       : 0.0);
	}
	jw_num(&w, "drainS", s->end_ns > s->send_end_ns ? (double)(s->end_ns - s->send_end_ns) / 1e9 : NAN);
	jw_num(&w, "totalS", total_s);
	jw_obj_close(&w);

	if (load) {
		jw_obj_open(&w, "sendLagUs");
		jw_num(&w, "mean", s->lag_count ? s->lag_sum_ns / (double)s->lag_count / 1e3 : NAN);
		jw_num(&w, "max", s->lag_count ? (double)s->lag_max_ns / 1e3 : NAN);
		jw_obj_close(&w);
	}
	jw_str(&w, "latencyKind", "rtt");
	out_latency(&w, "latencyUs", &s->lat);
	if (cfg->rate_pps > 0)
		out_latency(&w, "latencyFromScheduleUs", &s->lat_sched);
	jw_end(&w);
}

int run_client(const struct bb_config *cfg)
{
	static struct client_stats s;
	static struct bb_transport t;
	memset(&s, 0, sizeof(s));
	lat_init(&s.lat);
	lat_init(&s.lat_sched);
	uint32_t session = new_session();
	char err[256] = "";
	bool xsk = cfg->cmd == CMD_PING || cfg->cmd == CMD_LOAD;
	int rc = xsk ? transport_xsk_open(&t, cfg, session, err, sizeof(err))
		     : transport_sock_open(&t, cfg, session, err, sizeof(err));
	if (rc) {
		LOG("%s", err);
		if (xsk)
			transport_xsk_close(&t);
		else
			transport_sock_close(&t);
		write_client_output(cfg, &t, false, &s, err);
		return 1;
	}
	if (xsk) {
		const struct xsk_port *p = t.ctx; /* struct xsk_client starts with its port */
		LOG("%s on %s queue %u: xdp=%s bind=%s%s", cfg->cmd_name, cfg->ifname, cfg->queue,
		    p->xdp_mode_got, p->bind_mode_got, cfg->busy_poll ? " busy-poll" : " poll");
	}
	/* The runner times its CPU window from this line (the counted window follows the warm-up). */
	LOG("traffic starts: warm-up %.3f s, then %.3f s counted", cfg->warmup_s, cfg->duration_s);
	if (cfg->cmd == CMD_PING || cfg->cmd == CMD_SOCK_PING)
		run_ping(cfg, &t, &s);
	else
		run_load(cfg, &t, &s);
	if (xsk)
		transport_xsk_close(&t);
	else
		transport_sock_close(&t);

	const char *error = NULL;
	if (t.send_errors && s.sent == 0) {
		snprintf(err, sizeof(err), "every send failed: %s", strerror(t.last_send_errno));
		error = err;
	}
	write_client_output(cfg, &t, true, &s, error);
	return error ? 1 : 0;
}
