/* Ethernet/IPv4/UDP frames: the client's template, per-packet stamping and the reflector's swap. */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <stdio.h>
#include <string.h>

#include "bb_afxdp.h"

int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

void format_mac(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

/* One's-complement sum of 16-bit words as they lie in memory; storing the folded result back the
 * same way gives the network-order checksum on any host byte order. */
uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len >= 2) {
		uint16_t word;
		memcpy(&word, p, 2);
		sum += word;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t word = 0;
		memcpy(&word, p, 1);
		sum += word;
	}
	return sum;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t udp_pseudo_sum(const struct iphdr *ip, uint16_t udp_len_net)
{
	uint8_t pseudo[12];
	memcpy(pseudo, &ip->saddr, 4);
	memcpy(pseudo + 4, &ip->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	memcpy(pseudo + 10, &udp_len_net, 2);
	return csum_add(0, pseudo, sizeof(pseudo));
}

size_t pkt_build_template(uint8_t *frame, const struct bb_config *cfg)
{
	size_t len = BB_HDR_BYTES + cfg->payload_bytes;
	memset(frame, 0, len);

	struct ethhdr *eth = (struct ethhdr *)frame;
	memcpy(eth->h_dest, cfg->dst_mac, 6);
	memcpy(eth->h_source, cfg->src_mac, 6);
	eth->h_proto = htons(ETH_P_IP);

	struct iphdr *ip = (struct iphdr *)(frame + sizeof(*eth));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)(20 + 8 + cfg->payload_bytes));
	ip->frag_off = htons(0x4000); /* DF: a benchmark frame must never be fragmented */
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = cfg->src_ip.s_addr;
	ip->daddr = cfg->dst_ip.s_addr;
	ip->check = csum_fold(csum_add(0, ip, 20));

	struct udphdr *udp = (struct udphdr *)(frame + sizeof(*eth) + 20);
	udp->source = htons(cfg->src_port);
	udp->dest = htons(cfg->dst_port);
	udp->len = htons((uint16_t)(8 + cfg->payload_bytes));
	return len;
}

uint32_t pkt_udp_base_sum(const uint8_t *frame, size_t len)
{
	const struct iphdr *ip = (const struct iphdr *)(frame + 14);
	const struct udphdr *udp = (const struct udphdr *)(frame + 34);
	uint32_t sum = udp_pseudo_sum(ip, udp->len);
	/* the checksum field and the payload header are still zero in the template */
	return csum_add(sum, udp, len - 34);
}

void pkt_stamp(uint8_t *frame, uint32_t base_sum, uint32_t session, uint32_t seq, uint64_t tx_ns)
{
	struct bb_payload hdr = {.session = session, .seq = seq, .tx_ns = tx_ns};
	memcpy(frame + BB_HDR_BYTES, &hdr, sizeof(hdr));
	uint16_t check = csum_fold(csum_add(base_sum, &hdr, sizeof(hdr)));
	if (check == 0)
		check = 0xffff; /* 0 means "no checksum" in UDP over IPv4 */
	memcpy(frame + 34 + 6, &check, 2);
}

bool pkt_reflect(uint8_t *frame, uint32_t len, bool fix_csum)
{
	if (len < BB_HDR_BYTES)
		return false;
	struct ethhdr *eth = (struct ethhdr *)frame;
	if (eth->h_proto != htons(ETH_P_IP))
		return false;
	struct iphdr *ip = (struct iphdr *)(frame + sizeof(*eth));
	uint32_t ihl = ip->ihl * 4u;
	if (ip->version != 4 || ihl < 20 || ip->protocol != IPPROTO_UDP)
		return false;
	if (sizeof(*eth) + ihl + 8 > len)
		return false;
	/* a non-first fragment carries no UDP header */
	if (ntohs(ip->frag_off) & 0x1fff)
		return false;
	struct udphdr *udp = (struct udphdr *)(frame + sizeof(*eth) + ihl);

	uint8_t mac[6];
	memcpy(mac, eth->h_dest, 6);
	memcpy(eth->h_dest, eth->h_source, 6);
	memcpy(eth->h_source, mac, 6);
	/* Swapping both addresses and both ports leaves both checksums valid: the sums are
	 * commutative. Only a sender that left a partial (offloaded) checksum needs fix_csum. */
	uint32_t a = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = a;
	uint16_t port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;

	if (fix_csum) {
		ip->check = 0;
		ip->check = csum_fold(csum_add(0, ip, ihl));
		uint32_t udp_len = ntohs(udp->len);
		bool whole = !(ntohs(ip->frag_off) & 0x2000);
		if (whole && udp_len >= 8 && sizeof(*eth) + ihl + udp_len <= len) {
			udp->check = 0;
			uint16_t c = csum_fold(csum_add(udp_pseudo_sum(ip, udp->len), udp, udp_len));
			udp->check = c ? c : 0xffff;
		}
	}
	return true;
}

const struct bb_payload *pkt_reply_payload(const uint8_t *frame, uint32_t len,
					   const struct bb_config *cfg)
{
	if (len < BB_HDR_BYTES + BB_MIN_PAYLOAD)
		return NULL;
	const struct ethhdr *eth = (const struct ethhdr *)frame;
	if (eth->h_proto != htons(ETH_P_IP))
		return NULL;
	const struct iphdr *ip = (const struct iphdr *)(frame + sizeof(*eth));
	if (ip->version != 4 || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return NULL;
	if (ip->saddr != cfg->dst_ip.s_addr || ip->daddr != cfg->src_ip.s_addr)
		return NULL;
	const struct udphdr *udp = (const struct udphdr *)(frame + 34);
	if (udp->source != htons(cfg->dst_port) || udp->dest != htons(cfg->src_port))
		return NULL;
	return (const struct bb_payload *)(frame + BB_HDR_BYTES);
}
