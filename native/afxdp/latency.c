/* Log-linear latency histogram: fixed memory whatever the packet count (a 1 Mpps load would
 * otherwise need 8 MB of samples per second). Values below 256 ns land in exact 1 ns buckets;
 * above, each power of two is split into 128 buckets, so a bucket is at most 1/128 of its lower
 * bound wide and its midpoint is within 0.4% of every value in it. min, max, mean and stddev are
 * computed exactly from the raw values. */
#include <math.h>
#include <string.h>

#include "bb_afxdp.h"

void lat_init(struct bb_latency *l)
{
	memset(l, 0, sizeof(*l));
	l->min_ns = UINT64_MAX;
}

static unsigned bucket_of(uint64_t v)
{
	if (v < 2 * LAT_SUB_COUNT)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - LAT_SUB_BITS;
	return shift * LAT_SUB_COUNT + (unsigned)(v >> shift);
}

/* Midpoint of a bucket, in ns. */
static double bucket_mid(unsigned idx)
{
	if (idx < 2 * LAT_SUB_COUNT)
		return (double)idx;
	unsigned shift = idx / LAT_SUB_COUNT - 1;
	uint64_t mant = idx - shift * LAT_SUB_COUNT;
	double lo = (double)(mant << shift);
	double width = (double)(1ull << shift);
	return lo + (width - 1) / 2.0;
}

void lat_add(struct bb_latency *l, uint64_t ns)
{
	l->count++;
	if (ns < l->min_ns)
		l->min_ns = ns;
	if (ns > l->max_ns)
		l->max_ns = ns;
	l->sum_ns += (double)ns;
	l->sumsq_ns += (double)ns * (double)ns;
	l->buckets[bucket_of(ns)]++;
}

double lat_quantile_ns(const struct bb_latency *l, double q)
{
	if (l->count == 0)
		return NAN;
	/* nearest rank: the smallest value with at least q of the samples at or below it */
	uint64_t rank = (uint64_t)ceil(q * (double)l->count);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < LAT_BUCKETS; i++) {
		seen += l->buckets[i];
		if (seen >= rank) {
			double v = bucket_mid(i);
			/* never report outside the exact observed range */
			if (v < (double)l->min_ns)
				v = (double)l->min_ns;
			if (v > (double)l->max_ns)
				v = (double)l->max_ns;
			return v;
		}
	}
	return (double)l->max_ns;
}
