/* One AF_XDP socket on one queue, with its UMEM, set up through libxdp. libxdp loads its default
 * program (redirect every packet of the queue to the socket) but never detaches it, so we do,
 * and only when we were the ones who attached it. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "bb_afxdp.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

static void note(struct xsk_port *p, const char *fmt, ...)
{
	size_t used = strlen(p->notes);
	if (used >= sizeof(p->notes) - 2)
		return;
	if (used)
		used += (size_t)snprintf(p->notes + used, sizeof(p->notes) - used, "; ");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->notes + used, sizeof(p->notes) - used, fmt, ap);
	va_end(ap);
}

/* libxdp and libbpf talk on stderr directly; keep their warnings (tagged, their text starts with
 * "libxdp:"/"libbpf:") and drop info/debug chatter. */
static int libxdp_log(enum libxdp_print_level level, const char *fmt, va_list args)
{
	if (level != LIBXDP_WARN)
		return 0;
	fputs("bb-afxdp: ", stderr);
	return vfprintf(stderr, fmt, args);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level != LIBBPF_WARN)
		return 0;
	fputs("bb-afxdp: ", stderr);
	return vfprintf(stderr, fmt, args);
}

static uint32_t attached_prog_id(int ifindex, uint8_t *attach_mode)
{
	struct bpf_xdp_query_opts q = {.sz = sizeof(q)};
	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	if (attach_mode)
		*attach_mode = q.attach_mode;
	if (q.prog_id)
		return q.prog_id;
	return q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
}

/* One attempt = a fresh UMEM and socket: a socket that failed after bind() cannot be bound again.
 * EBUSY means the queue still belongs to a socket that is being torn down (about a second after
 * its process exits), so retry until the deadline. */
static int try_create(struct xsk_port *p, uint32_t xdp_flags, uint16_t bind_flags,
		      uint64_t deadline_ns)
{
	for (;;) {
		struct xsk_umem_config ucfg = {
			.fill_size = p->ring_size,
			.comp_size = p->ring_size,
			.frame_size = XSK_FRAME_SIZE,
			.frame_headroom = 0,
			.flags = 0,
		};
		int rc = xsk_umem__create(&p->umem, p->umem_area,
					  (uint64_t)p->n_frames * XSK_FRAME_SIZE, &p->fq, &p->cq,
					  &ucfg);
		if (rc)
			return rc;
		struct xsk_socket_config scfg = {
			.rx_size = p->ring_size,
			.tx_size = p->ring_size,
			.libxdp_flags = 0,
			.xdp_flags = xdp_flags,
			.bind_flags = (uint16_t)(bind_flags | XDP_USE_NEED_WAKEUP),
		};
		rc = xsk_socket__create(&p->xsk, p->ifname, p->queue, p->umem, &p->rx, &p->tx,
					&scfg);
		if (rc == 0)
			return 0;
		/* the failed attempt's fill/completion ring mappings stay mapped; a few KB per
		 * retry, and libxdp offers no way to unmap them */
		xsk_umem__delete(p->umem);
		p->umem = NULL;
		p->xsk = NULL;
		if (rc == -EBUSY && bb_now_ns() < deadline_ns && !bb_stop) {
			p->bind_retries++;
			usleep(100 * 1000);
			continue;
		}
		return rc;
	}
}

int xsk_port_open(struct xsk_port *p, const struct bb_config *cfg, bool split_pools, char *err,
		  size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	snprintf(p->ifname, sizeof(p->ifname), "%s", cfg->ifname);
	p->queue = cfg->queue;
	p->split_pools = split_pools;
	p->xdp_mode_got = "unknown";
	p->bind_mode_got = "unknown";
	libxdp_set_print(libxdp_log);
	libbpf_set_print(libbpf_log);

	p->ifindex = (int)if_nametoindex(cfg->ifname);
	if (!p->ifindex) {
		snprintf(err, errlen, "interface '%s' not found: %s", cfg->ifname, strerror(errno));
		return -ENODEV;
	}
	uint32_t prog_before = attached_prog_id(p->ifindex, NULL);

	p->ring_size = cfg->ring_size;
	p->n_frames = 2 * cfg->ring_size;
	p->rx_free = calloc(p->n_frames, sizeof(uint64_t));
	p->tx_free = calloc(p->n_frames, sizeof(uint64_t));
	if (!p->rx_free || !p->tx_free) {
		snprintf(err, errlen, "out of memory for %u frame addresses", p->n_frames);
		return -ENOMEM;
	}
	size_t umem_bytes = (size_t)p->n_frames * XSK_FRAME_SIZE;
	p->umem_area = mmap(NULL, umem_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	if (p->umem_area == MAP_FAILED) {
		p->umem_area = NULL;
		snprintf(err, errlen, "mmap UMEM (%zu bytes): %s", umem_bytes, strerror(errno));
		return -ENOMEM;
	}

	uint32_t xdp_try[2];
	int n_xdp = 0;
	if (cfg->xdp_mode != XDPM_GENERIC)
		xdp_try[n_xdp++] = XDP_FLAGS_DRV_MODE;
	if (cfg->xdp_mode != XDPM_NATIVE)
		xdp_try[n_xdp++] = XDP_FLAGS_SKB_MODE;
	uint16_t bind_try[2];
	int n_bind = 0;
	if (cfg->bind_mode == BINDM_ZEROCOPY) {
		bind_try[n_bind++] = XDP_ZEROCOPY;
		bind_try[n_bind++] = XDP_COPY;
	} else {
		/* auto: flags 0 lets the kernel try zero-copy and fall back to copy by itself */
		bind_try[n_bind++] = cfg->bind_mode == BINDM_COPY ? XDP_COPY : 0;
	}

	uint64_t deadline = bb_now_ns() + (uint64_t)cfg->bind_timeout_ms * 1000000ull;
	int rc = -EINVAL;
	bool done = false;
	for (int x = 0; x < n_xdp && !done; x++) {
		for (int b = 0; b < n_bind; b++) {
			rc = try_create(p, xdp_try[x], bind_try[b], deadline);
			if (rc == 0) {
				done = true;
				break;
			}
			if (rc == -EOPNOTSUPP && bind_try[b] == XDP_ZEROCOPY) {
				p->zerocopy_fallback = true;
				note(p, "zero-copy bind failed (%s); fell back to copy mode",
				     strerror(-rc));
				LOG("zero-copy bind on %s failed (%s); falling back to copy mode",
				    p->ifname, strerror(-rc));
				continue;
			}
			break;
		}
		if (!done && cfg->xdp_mode == XDPM_AUTO && xdp_try[x] == XDP_FLAGS_DRV_MODE) {
			p->native_fallback = true;
			note(p, "native XDP failed (%s); trying generic", strerror(-rc));
			LOG("native XDP on %s failed (%s); trying generic mode", p->ifname,
			    strerror(-rc));
		}
	}
	if (!done) {
		char msg[160];
		libxdp_strerror(rc, msg, sizeof(msg));
		snprintf(err, errlen, "AF_XDP socket on %s queue %u: %s%s", p->ifname, p->queue, msg,
			 rc == -EBUSY ? " (queue still busy after retries)" : "");
		munmap(p->umem_area, umem_bytes);
		p->umem_area = NULL;
		return rc;
	}
	p->fd = xsk_socket__fd(p->xsk);

	uint8_t attach_mode = 0;
	p->prog_id = attached_prog_id(p->ifindex, &attach_mode);
	p->xdp_mode_got = attach_mode == XDP_ATTACHED_DRV   ? "native"
			  : attach_mode == XDP_ATTACHED_SKB ? "generic"
			  : attach_mode == XDP_ATTACHED_HW  ? "offload"
							    : "unknown";
	p->own_prog = prog_before == 0 && p->prog_id != 0;
	if (prog_before)
		note(p, "an XDP program (id %u) was already attached; reused and left attached",
		     prog_before);

	struct xdp_options opts;
	socklen_t optlen = sizeof(opts);
	if (getsockopt(p->fd, SOL_XDP, XDP_OPTIONS, &opts, &optlen) == 0)
		p->bind_mode_got = (opts.flags & XDP_OPTIONS_ZEROCOPY) ? "zero-copy" : "copy";

	/* Frame layout: clients use the upper half of the UMEM for TX, the lower half for RX. */
	for (uint32_t i = 0; i < p->n_frames; i++) {
		uint64_t addr = (uint64_t)i * XSK_FRAME_SIZE;
		if (split_pools && i >= p->n_frames / 2)
			p->tx_free[p->n_tx_free++] = addr;
		else
			p->rx_free[p->n_rx_free++] = addr;
	}
	xsk_port_refill(p);
	return 0;
}

void xsk_port_read_stats(struct xsk_port *p)
{
	socklen_t len = sizeof(p->kstats);
	if (p->fd >= 0 && getsockopt(p->fd, SOL_XDP, XDP_STATISTICS, &p->kstats, &len) == 0)
		p->have_kstats = true;
}

void xsk_port_close(struct xsk_port *p)
{
	if (p->xsk)
		xsk_socket__delete(p->xsk);
	p->xsk = NULL;
	p->fd = -1;
	if (p->umem)
		xsk_umem__delete(p->umem);
	p->umem = NULL;
	/* libxdp 1.3 detaches its program itself when the last socket goes; a libxdp that leaves
	 * it attached gets it detached here, and only while it is still the one we saw. */
	if (p->own_prog && p->prog_id) {
		uint32_t now_id = attached_prog_id(p->ifindex, NULL);
		if (now_id == 0) {
			p->prog_detached = true;
		} else if (now_id == p->prog_id) {
			int prog_fd = bpf_prog_get_fd_by_id(p->prog_id);
			uint32_t flags = strcmp(p->xdp_mode_got, "native") == 0 ? XDP_FLAGS_DRV_MODE
										  : XDP_FLAGS_SKB_MODE;
			struct bpf_xdp_attach_opts o = {.sz = sizeof(o), .old_prog_fd = prog_fd};
			int rc = prog_fd >= 0 ? bpf_xdp_detach(p->ifindex, flags, &o) : prog_fd;
			if (prog_fd >= 0)
				close(prog_fd);
			if (rc == 0)
				p->prog_detached = true;
			else
				LOG("could not detach XDP program %u from %s: %s", p->prog_id,
				    p->ifname, strerror(-rc));
		} else {
			LOG("XDP program on %s is now %u, not ours (%u); left alone", p->ifname, now_id,
			    p->prog_id);
		}
	}
	if (p->umem_area)
		munmap(p->umem_area, (size_t)p->n_frames * XSK_FRAME_SIZE);
	p->umem_area = NULL;
	free(p->rx_free);
	free(p->tx_free);
	p->rx_free = p->tx_free = NULL;
}

uint32_t xsk_port_complete_tx(struct xsk_port *p)
{
	uint32_t idx;
	uint32_t n = xsk_ring_cons__peek(&p->cq, p->ring_size, &idx);
	for (uint32_t i = 0; i < n; i++) {
		/* the reflector sends from an RX address, which carries an offset into its frame */
		uint64_t addr = *xsk_ring_cons__comp_addr(&p->cq, idx + i) & ~(uint64_t)(XSK_FRAME_SIZE - 1);
		if (p->split_pools)
			p->tx_free[p->n_tx_free++] = addr;
		else
			p->rx_free[p->n_rx_free++] = addr;
	}
	if (n)
		xsk_ring_cons__release(&p->cq, n);
	return n;
}

uint32_t xsk_port_tx_unsent(const struct xsk_port *p)
{
	return p->tx.cached_prod - __atomic_load_n(p->tx.consumer, __ATOMIC_ACQUIRE);
}

void xsk_port_refill(struct xsk_port *p)
{
	uint32_t n = xsk_prod_nb_free(&p->fq, p->n_rx_free);
	if (n > p->n_rx_free)
		n = p->n_rx_free;
	if (!n)
		return;
	uint32_t idx;
	if (xsk_ring_prod__reserve(&p->fq, n, &idx) != n)
		return;
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&p->fq, idx + i) = p->rx_free[--p->n_rx_free];
	xsk_ring_prod__submit(&p->fq, n);
}

void xsk_port_kick_tx(struct xsk_port *p)
{
	/* In copy mode the kernel transmits inside this syscall, at most 32 frames per call (then
	 * EAGAIN), so kick again while frames are left; a bounded number of times, because EAGAIN
	 * also means the device pushed back. */
	if (!xsk_ring_prod__needs_wakeup(&p->tx))
		return;
	for (int i = 0; i < 8; i++) {
		if (sendto(p->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) {
			if (!xsk_port_tx_unsent(p))
				return;
			continue;
		}
		if (errno == EAGAIN || errno == EINTR) {
			if (!xsk_port_tx_unsent(p))
				return;
			continue;
		}
		if (errno == EBUSY || errno == ENOBUFS)
			return;
		p->kick_errors++;
		p->last_kick_errno = errno;
		return;
	}
}

void xsk_port_kick_rx(struct xsk_port *p)
{
	if (xsk_ring_prod__needs_wakeup(&p->fq))
		recvfrom(p->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

void xsk_port_write_json(struct xsk_port *p, struct jw *w)
{
	jw_obj_open(w, "xsk");
	jw_str(w, "ifname", p->ifname);
	jw_u64(w, "queue", p->queue);
	jw_str(w, "xdpMode", p->xdp_mode_got);
	jw_str(w, "bindMode", p->bind_mode_got);
	jw_bool(w, "zeroCopyFallback", p->zerocopy_fallback);
	jw_bool(w, "nativeFallback", p->native_fallback);
	jw_u64(w, "bindRetries", p->bind_retries);
	jw_u64(w, "progId", p->prog_id);
	jw_bool(w, "progOwned", p->own_prog);
	jw_bool(w, "progDetached", p->prog_detached);
	jw_u64(w, "umemFrames", p->n_frames);
	jw_u64(w, "frameSizeBytes", XSK_FRAME_SIZE);
	jw_u64(w, "ringSize", p->ring_size);
	jw_u64(w, "kickErrors", p->kick_errors);
	if (p->kick_errors)
		jw_str(w, "lastKickError", strerror(p->last_kick_errno));
	jw_str(w, "notes", p->notes[0] ? p->notes : NULL);
	if (p->have_kstats) {
		jw_obj_open(w, "kernelStats");
		jw_u64(w, "rxDropped", p->kstats.rx_dropped);
		jw_u64(w, "rxInvalidDescs", p->kstats.rx_invalid_descs);
		jw_u64(w, "txInvalidDescs", p->kstats.tx_invalid_descs);
		jw_u64(w, "rxRingFull", p->kstats.rx_ring_full);
		jw_u64(w, "rxFillRingEmptyDescs", p->kstats.rx_fill_ring_empty_descs);
		jw_u64(w, "txRingEmptyDescs", p->kstats.tx_ring_empty_descs);
		jw_obj_close(w);
	} else {
		jw_null(w, "kernelStats");
	}
	jw_obj_close(w);
}
