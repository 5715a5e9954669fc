/* bb-afxdp: entry point, argument parsing and signal handling. See README.md. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "bb_afxdp.h"

volatile sig_atomic_t bb_stop;

static void on_signal(int sig)
{
	(void)sig;
	bb_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bb-afxdp COMMAND [options]   (bb-afxdp --version prints the version)\n"
		"commands:\n"
		"  reflect     AF_XDP UDP reflector (swap MACs, IPv4 addresses, UDP ports); runs until\n"
		"              SIGINT/SIGTERM or --duration, then prints its counters\n"
		"  ping        AF_XDP ping-pong client: one request at a time, RTT per request\n"
		"  load        AF_XDP open-loop client at --rate packets/s for --duration seconds\n"
		"  sock-ping   kernel UDP socket ping-pong client (same payload and output)\n"
		"  sock-load   kernel UDP socket open-loop client (same payload and output)\n"
		"options:\n"
		"  --ifname IF --queue N          AF_XDP interface and queue (queue 0)\n"
		"  --src-mac MAC --dst-mac MAC    AF_XDP clients; src defaults to the interface's MAC\n"
		"  --src-ip IP --dst-ip IP        AF_XDP clients; src defaults to the interface's IPv4\n"
		"  --bind-ip IP                   sock-* clients: local address to bind\n"
		"  --src-port N --dst-port N      UDP ports (defaults 9001 / 9000; sock-*: src 0 = any)\n"
		"  --size BYTES                   UDP payload bytes (>= %u; frame = payload + 42)\n"
		"  --mode native|generic|auto     XDP attach mode (auto: native, else generic)\n"
		"  --copy | --zero-copy | --bind-mode auto|copy|zero-copy   AF_XDP bind mode\n"
		"  --busy-poll                    spin on the rings/socket instead of poll()\n"
		"  --rate PPS --duration S --count N --warmup S --timeout-ms MS\n"
		"  --fix-csum                     reflect: recompute IPv4 and UDP checksums\n"
		"  --batch N                      RX/TX batch (1..256, default 64)\n"
		"  --bind-timeout-ms MS           retry EBUSY binds this long (default 3000)\n"
		"  --cpu N                        pin this process to CPU N\n"
		"  --rcvbuf BYTES                 sock-*: SO_RCVBUF(FORCE)\n"
		"  --ring-size N                  AF_XDP ring entries, power of two 64..16384 (default\n"
		"                                 2048); the UMEM gets 2N frames of 4096 bytes\n"
		"  --json                         one JSON object on stdout at exit\n",
		BB_MIN_PAYLOAD);
}

enum {
	OPT_IFNAME = 256, OPT_QUEUE, OPT_SRC_MAC, OPT_DST_MAC, OPT_SRC_IP, OPT_DST_IP, OPT_BIND_IP,
	OPT_SRC_PORT, OPT_DST_PORT, OPT_SIZE, OPT_MODE, OPT_COPY, OPT_ZEROCOPY, OPT_BIND_MODE,
	OPT_BUSY, OPT_JSON, OPT_RATE, OPT_DURATION, OPT_COUNT, OPT_WARMUP, OPT_TIMEOUT, OPT_FIX,
	OPT_BATCH, OPT_BIND_TIMEOUT, OPT_CPU, OPT_RCVBUF, OPT_RING, OPT_HELP,
};

static const struct option long_opts[] = {
	{"ifname", required_argument, 0, OPT_IFNAME},
	{"queue", required_argument, 0, OPT_QUEUE},
	{"src-mac", required_argument, 0, OPT_SRC_MAC},
	{"dst-mac", required_argument, 0, OPT_DST_MAC},
	{"src-ip", required_argument, 0, OPT_SRC_IP},
	{"dst-ip", required_argument, 0, OPT_DST_IP},
	{"bind-ip", required_argument, 0, OPT_BIND_IP},
	{"src-port", required_argument, 0, OPT_SRC_PORT},
	{"dst-port", required_argument, 0, OPT_DST_PORT},
	{"size", required_argument, 0, OPT_SIZE},
	{"mode", required_argument, 0, OPT_MODE},
	{"copy", no_argument, 0, OPT_COPY},
	{"zero-copy", no_argument, 0, OPT_ZEROCOPY},
	{"bind-mode", required_argument, 0, OPT_BIND_MODE},
	{"busy-poll", no_argument, 0, OPT_BUSY},
	{"json", no_argument, 0, OPT_JSON},
	{"rate", required_argument, 0, OPT_RATE},
	{"duration", required_argument, 0, OPT_DURATION},
	{"count", required_argument, 0, OPT_COUNT},
	{"warmup", required_argument, 0, OPT_WARMUP},
	{"timeout-ms", required_argument, 0, OPT_TIMEOUT},
	{"fix-csum", no_argument, 0, OPT_FIX},
	{"batch", required_argument, 0, OPT_BATCH},
	{"bind-timeout-ms", required_argument, 0, OPT_BIND_TIMEOUT},
	{"cpu", required_argument, 0, OPT_CPU},
	{"rcvbuf", required_argument, 0, OPT_RCVBUF},
	{"ring-size", required_argument, 0, OPT_RING},
	{"help", no_argument, 0, OPT_HELP},
	{0, 0, 0, 0},
};

static char usage_err[256];

#define FAIL(...) do { snprintf(usage_err, sizeof(usage_err), __VA_ARGS__); return -1; } while (0)

static int parse_double(const char *name, const char *s, double min, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min))
		FAIL("--%s must be a number >= %g, got '%s'", name, min, s);
	*out = v;
	return 0;
}

static int parse_u64(const char *name, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		FAIL("--%s must be an integer in [%llu, %llu], got '%s'", name,
		     (unsigned long long)min, (unsigned long long)max, s);
	*out = v;
	return 0;
}

static int parse_ip(const char *name, const char *s, struct in_addr *ip, bool *have)
{
	if (inet_pton(AF_INET, s, ip) != 1)
		FAIL("--%s must be an IPv4 address, got '%s'", name, s);
	*have = true;
	return 0;
}

static int parse_args(int argc, char **argv, struct bb_config *cfg)
{
	static const struct { const char *name; enum bb_cmd cmd; } cmds[] = {
		{"reflect", CMD_REFLECT}, {"ping", CMD_PING}, {"load", CMD_LOAD},
		{"sock-ping", CMD_SOCK_PING}, {"sock-load", CMD_SOCK_LOAD},
	};
	if (argc < 2)
		FAIL("missing command (reflect, ping, load, sock-ping, sock-load)");
	bool found = false;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			cfg->cmd = cmds[i].cmd;
			cfg->cmd_name = cmds[i].name;
			found = true;
		}
	}
	if (!found)
		FAIL("unknown command '%s' (reflect, ping, load, sock-ping, sock-load)", argv[1]);

	bool have_src_port = false;
	uint64_t u;
	optind = 2;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_IFNAME:
			if (strlen(optarg) >= IF_NAMESIZE || !optarg[0])
				FAIL("--ifname must be 1..%d characters, got '%s'", IF_NAMESIZE - 1, optarg);
			snprintf(cfg->ifname, sizeof(cfg->ifname), "%s", optarg);
			break;
		case OPT_QUEUE:
			if (parse_u64("queue", optarg, 0, 4095, &u)) return -1;
			cfg->queue = (uint32_t)u;
			break;
		case OPT_SRC_MAC:
			if (parse_mac(optarg, cfg->src_mac))
				FAIL("--src-mac must look like 02:00:00:00:00:01, got '%s'", optarg);
			cfg->have_src_mac = true;
			break;
		case OPT_DST_MAC:
			if (parse_mac(optarg, cfg->dst_mac))
				FAIL("--dst-mac must look like 02:00:00:00:00:01, got '%s'", optarg);
			cfg->have_dst_mac = true;
			break;
		case OPT_SRC_IP:
			if (parse_ip("src-ip", optarg, &cfg->src_ip, &cfg->have_src_ip)) return -1;
			break;
		case OPT_DST_IP:
			if (parse_ip("dst-ip", optarg, &cfg->dst_ip, &cfg->have_dst_ip)) return -1;
			break;
		case OPT_BIND_IP:
			if (parse_ip("bind-ip", optarg, &cfg->bind_ip, &cfg->have_bind_ip)) return -1;
			break;
		case OPT_SRC_PORT:
			if (parse_u64("src-port", optarg, 0, 65535, &u)) return -1;
			cfg->src_port = (uint16_t)u;
			have_src_port = true;
			break;
		case OPT_DST_PORT:
			if (parse_u64("dst-port", optarg, 1, 65535, &u)) return -1;
			cfg->dst_port = (uint16_t)u;
			break;
		case OPT_SIZE:
			if (parse_u64("size", optarg, BB_MIN_PAYLOAD, 65507, &u)) return -1;
			cfg->payload_bytes = (uint32_t)u;
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "native")) cfg->xdp_mode = XDPM_NATIVE;
			else if (!strcmp(optarg, "generic") || !strcmp(optarg, "skb")) cfg->xdp_mode = XDPM_GENERIC;
			else if (!strcmp(optarg, "auto")) cfg->xdp_mode = XDPM_AUTO;
			else FAIL("--mode must be native, generic or auto, got '%s'", optarg);
			break;
		case OPT_COPY:
			cfg->bind_mode = BINDM_COPY;
			break;
		case OPT_ZEROCOPY:
			cfg->bind_mode = BINDM_ZEROCOPY;
			break;
		case OPT_BIND_MODE:
			if (!strcmp(optarg, "copy")) cfg->bind_mode = BINDM_COPY;
			else if (!strcmp(optarg, "zero-copy")) cfg->bind_mode = BINDM_ZEROCOPY;
			else if (!strcmp(optarg, "auto")) cfg->bind_mode = BINDM_AUTO;
			else FAIL("--bind-mode must be copy, zero-copy or auto, got '%s'", optarg);
			break;
		case OPT_BUSY:
			cfg->busy_poll = true;
			break;
		case OPT_JSON:
			cfg->json = true;
			break;
		case OPT_RATE:
			if (parse_double("rate", optarg, 0, &cfg->rate_pps)) return -1;
			break;
		case OPT_DURATION:
			if (parse_double("duration", optarg, 0, &cfg->duration_s)) return -1;
			break;
		case OPT_COUNT:
			if (parse_u64("count", optarg, 1, UINT32_MAX, &u)) return -1;
			cfg->count = u;
			break;
		case OPT_WARMUP:
			if (parse_double("warmup", optarg, 0, &cfg->warmup_s)) return -1;
			break;
		case OPT_TIMEOUT:
			if (parse_u64("timeout-ms", optarg, 1, 600000, &u)) return -1;
			cfg->timeout_ms = (uint32_t)u;
			break;
		case OPT_FIX:
			cfg->fix_csum = true;
			break;
		case OPT_BATCH:
			if (parse_u64("batch", optarg, 1, 256, &u)) return -1;
			cfg->batch = (uint32_t)u;
			break;
		case OPT_BIND_TIMEOUT:
			if (parse_u64("bind-timeout-ms", optarg, 0, 600000, &u)) return -1;
			cfg->bind_timeout_ms = (uint32_t)u;
			break;
		case OPT_CPU:
			if (parse_u64("cpu", optarg, 0, CPU_SETSIZE - 1, &u)) return -1;
			cfg->cpu = (int)u;
			break;
		case OPT_RCVBUF:
			if (parse_u64("rcvbuf", optarg, 1, INT32_MAX, &u)) return -1;
			cfg->rcvbuf_bytes = (int)u;
			break;
		case OPT_RING:
			if (parse_u64("ring-size", optarg, 64, XSK_MAX_RING_SIZE, &u)) return -1;
			if (u & (u - 1))
				FAIL("--ring-size must be a power of two, got '%s'", optarg);
			cfg->ring_size = (uint32_t)u;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			FAIL("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		FAIL("unexpected argument '%s'", argv[optind]);

	bool xsk = cfg->cmd == CMD_REFLECT || cfg->cmd == CMD_PING || cfg->cmd == CMD_LOAD;
	bool client = cfg->cmd != CMD_REFLECT;
	bool load = cfg->cmd == CMD_LOAD || cfg->cmd == CMD_SOCK_LOAD;
	if (xsk && !cfg->ifname[0])
		FAIL("--ifname is required for %s", cfg->cmd_name);
	if (!have_src_port)
		cfg->src_port = (cfg->cmd == CMD_SOCK_PING || cfg->cmd == CMD_SOCK_LOAD) ? 0 : 9001;
	if (client && !cfg->have_dst_ip)
		FAIL("--dst-ip is required for %s", cfg->cmd_name);
	if (load && !(cfg->rate_pps > 0))
		FAIL("--rate (packets/s, > 0) is required for %s", cfg->cmd_name);
	if (load && cfg->duration_s <= 0)
		cfg->duration_s = 5;
	if (client && !load && !cfg->count && cfg->duration_s <= 0)
		cfg->duration_s = 5;
	if (cfg->cmd == CMD_PING || cfg->cmd == CMD_LOAD) {
		if (!cfg->have_dst_mac)
			FAIL("--dst-mac is required for %s: AF_XDP has no ARP", cfg->cmd_name);
		if (cfg->src_port == 0)
			FAIL("--src-port must be > 0 for %s", cfg->cmd_name);
	}
	return 0;
}

/* Facts that need the interface: defaults for the AF_XDP client and the size limit. */
static int resolve_interface(struct bb_config *cfg)
{
	if (!(cfg->cmd == CMD_PING || cfg->cmd == CMD_LOAD))
		return 0;
	if (!cfg->have_src_mac && if_get_mac(cfg->ifname, cfg->src_mac) == 0)
		cfg->have_src_mac = true;
	if (!cfg->have_src_ip && if_get_ipv4(cfg->ifname, &cfg->src_ip) == 0)
		cfg->have_src_ip = true;
	int mtu = if_get_mtu(cfg->ifname);
	if (mtu < 0)
		return 0; /* a missing interface is reported by the socket setup, with its errno */
	if (!cfg->have_src_mac)
		FAIL("--src-mac is required: cannot read the MAC of %s", cfg->ifname);
	if (!cfg->have_src_ip)
		FAIL("--src-ip is required: %s has no IPv4 address", cfg->ifname);
	uint32_t max_payload = (uint32_t)mtu - 28;
	if (max_payload > XSK_FRAME_SIZE - 256 - BB_HDR_BYTES)
		max_payload = XSK_FRAME_SIZE - 256 - BB_HDR_BYTES;
	if (cfg->payload_bytes > max_payload)
		FAIL("--size %u does not fit %s (MTU %d, frame %u): at most %u payload bytes",
		     cfg->payload_bytes, cfg->ifname, mtu, XSK_FRAME_SIZE, max_payload);
	return 0;
}

static void print_usage_error(const struct bb_config *cfg, const char *msg)
{
	fprintf(stderr, "bb-afxdp: %s\n", msg);
	if (!cfg->json) {
		fprintf(stderr, "try 'bb-afxdp --help'\n");
		return;
	}
	struct jw w;
	out_begin(&w, cfg, msg);
	jw_str(&w, "errorKind", "usage");
	jw_end(&w);
}

int main(int argc, char **argv)
{
	struct bb_config cfg = {
		.dst_port = 9000,
		.payload_bytes = 64,
		.xdp_mode = XDPM_AUTO,
		.bind_mode = BINDM_AUTO,
		.timeout_ms = 500,
		.bind_timeout_ms = 3000,
		.batch = 64,
		.cpu = -1,
		.ring_size = XSK_DEFAULT_RING_SIZE,
	};
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("bb-afxdp %s\n", BB_VERSION);
		return 0;
	}
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			cfg.json = true;
	if (parse_args(argc, argv, &cfg) || resolve_interface(&cfg)) {
		print_usage_error(&cfg, usage_err);
		return 2;
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (cfg.cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cfg.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			LOG("cannot pin to CPU %d: %s (continuing unpinned)", cfg.cpu, strerror(errno));
	}
	return cfg.cmd == CMD_REFLECT ? run_reflect(&cfg) : run_client(&cfg);
}
