/* Interface facts the AF_XDP client needs because it has no kernel stack to ask: its own MAC,
 * its IPv4 address and the MTU. Also the clock helpers. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bb_afxdp.h"

static int if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	int rc = ioctl(fd, req, ifr) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

int if_get_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int rc = if_ioctl(ifname, SIOCGIFHWADDR, &ifr);
	if (rc == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return rc;
}

int if_get_ipv4(const char *ifname, struct in_addr *ip)
{
	struct ifreq ifr;
	int rc = if_ioctl(ifname, SIOCGIFADDR, &ifr);
	if (rc == 0)
		*ip = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr;
	return rc;
}

int if_get_mtu(const char *ifname)
{
	struct ifreq ifr;
	int rc = if_ioctl(ifname, SIOCGIFMTU, &ifr);
	return rc ? rc : ifr.ifr_mtu;
}

uint64_t bb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bb_sleep_until_ns(uint64_t t_ns)
{
	struct timespec ts = {.tv_sec = (time_t)(t_ns / 1000000000ull),
			      .tv_nsec = (long)(t_ns % 1000000000ull)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !bb_stop)
		;
}
