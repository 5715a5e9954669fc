/* JSON pieces every command prints: the configuration it ran with and the latency summary. */
#include <arpa/inet.h>
#include <math.h>

#include "bb_afxdp.h"

const char *xdp_mode_name(enum bb_xdp_mode m)
{
	return m == XDPM_NATIVE ? "native" : m == XDPM_GENERIC ? "generic" : "auto";
}

const char *bind_mode_name(enum bb_bind_mode m)
{
	return m == BINDM_COPY ? "copy" : m == BINDM_ZEROCOPY ? "zero-copy" : "auto";
}

static void put_ip(struct jw *w, const char *key, bool have, struct in_addr ip)
{
	char buf[INET_ADDRSTRLEN];
	if (!have) {
		jw_null(w, key);
		return;
	}
	inet_ntop(AF_INET, &ip, buf, sizeof(buf));
	jw_str(w, key, buf);
}

static void put_mac(struct jw *w, const char *key, bool have, const uint8_t mac[6])
{
	char buf[18];
	if (!have) {
		jw_null(w, key);
		return;
	}
	format_mac(mac, buf);
	jw_str(w, key, buf);
}

void out_begin(struct jw *w, const struct bb_config *cfg, const char *error)
{
	jw_begin(w, stdout);
	jw_str(w, "tool", "bb-afxdp");
	jw_str(w, "version", BB_VERSION);
	jw_str(w, "command", cfg->cmd_name);
	jw_bool(w, "ok", error == NULL);
	jw_str(w, "error", error);
}

void out_config(struct jw *w, const struct bb_config *cfg)
{
	bool xsk = cfg->cmd == CMD_REFLECT || cfg->cmd == CMD_PING || cfg->cmd == CMD_LOAD;
	bool client = cfg->cmd != CMD_REFLECT;
	jw_obj_open(w, "config");
	if (xsk) {
		jw_str(w, "ifname", cfg->ifname);
		jw_u64(w, "queue", cfg->queue);
		jw_str(w, "xdpModeRequested", xdp_mode_name(cfg->xdp_mode));
		jw_str(w, "bindModeRequested", bind_mode_name(cfg->bind_mode));
	}
	if (client) {
		if (xsk) {
			put_mac(w, "srcMac", cfg->have_src_mac, cfg->src_mac);
			put_mac(w, "dstMac", cfg->have_dst_mac, cfg->dst_mac);
			put_ip(w, "srcIp", cfg->have_src_ip, cfg->src_ip);
		} else {
			put_ip(w, "bindIp", cfg->have_bind_ip, cfg->bind_ip);
		}
		put_ip(w, "dstIp", cfg->have_dst_ip, cfg->dst_ip);
		jw_u64(w, "srcPort", cfg->src_port);
		jw_u64(w, "dstPort", cfg->dst_port);
		jw_u64(w, "payloadBytes", cfg->payload_bytes);
		/* Ethernet header + IPv4 + UDP + payload, without FCS */
		jw_u64(w, "frameBytes", BB_HDR_BYTES + cfg->payload_bytes);
		jw_num(w, "ratePps", cfg->rate_pps > 0 ? cfg->rate_pps : NAN);
		jw_num(w, "durationS", cfg->duration_s > 0 ? cfg->duration_s : NAN);
		if (cfg->count)
			jw_u64(w, "count", cfg->count);
		else
			jw_null(w, "count");
		jw_num(w, "warmupS", cfg->warmup_s);
		jw_u64(w, "timeoutMs", cfg->timeout_ms);
	} else {
		jw_bool(w, "fixCsum", cfg->fix_csum);
		jw_num(w, "durationS", cfg->duration_s > 0 ? cfg->duration_s : NAN);
	}
	jw_bool(w, "busyPoll", cfg->busy_poll);
	jw_u64(w, "batch", cfg->batch);
	if (cfg->cpu >= 0)
		jw_i64(w, "cpu", cfg->cpu);
	else
		jw_null(w, "cpu");
	jw_obj_close(w);
}

void out_latency(struct jw *w, const char *key, const struct bb_latency *l)
{
	if (!l->count) {
		jw_null(w, key);
		return;
	}
	double mean = l->sum_ns / (double)l->count;
	double var = l->sumsq_ns / (double)l->count - mean * mean;
	jw_obj_open(w, key);
	jw_u64(w, "samples", l->count);
	jw_num(w, "min", (double)l->min_ns / 1e3);
	jw_num(w, "p50", lat_quantile_ns(l, 0.50) / 1e3);
	jw_num(w, "p90", lat_quantile_ns(l, 0.90) / 1e3);
	jw_num(w, "p99", lat_quantile_ns(l, 0.99) / 1e3);
	jw_num(w, "p999", lat_quantile_ns(l, 0.999) / 1e3);
	jw_num(w, "p9999", lat_quantile_ns(l, 0.9999) / 1e3);
	jw_num(w, "max", (double)l->max_ns / 1e3);
	jw_num(w, "mean", mean / 1e3);
	jw_num(w, "stddev", var > 0 ? sqrt(var) / 1e3 : 0.0);
	jw_obj_close(w);
	jw_str(w, "latencyPrecision",
	       "log-linear histogram: exact below 0.256 us, else bucket midpoint within 0.4%; "
	       "min/max/mean/stddev exact; percentiles are nearest-rank");
}
