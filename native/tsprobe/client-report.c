/* bb-tsprobe client: what is written after the run (formatting stays out of the hot path): the
 * per-request records CSV and the summary's numbers over the measured requests. */
#define _GNU_SOURCE
#include "client.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double pct(const double *v, size_t n, double p) {
  size_t rank = (size_t)ceil(p / 100.0 * (double)n);
  if (rank < 1) rank = 1;
  return v[rank - 1];
}

static json_t *json_num_or_null(bool ok, double v) { return ok ? json_real(v) : json_null(); }

static json_t *latency_json(double *v, size_t n) {
  if (n == 0)
    return json_pack("{s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:i}", "min", "p50", "p90", "p99", "p999", "max",
                     "mean", "stddev", "samples", 0);
  qsort(v, n, sizeof *v, cmp_double);
  double sum = 0, sq = 0;
  for (size_t i = 0; i < n; i++) sum += v[i];
  double mean = sum / (double)n;
  for (size_t i = 0; i < n; i++) sq += (v[i] - mean) * (v[i] - mean);
  double sd = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
  return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:o,s:I}", "min", v[0], "p50", pct(v, n, 50), "p90",
                   pct(v, n, 90), "p99", pct(v, n, 99), "p999", pct(v, n, 99.9), "max", v[n - 1], "mean",
                   mean, "stddev", json_num_or_null(n > 1, sd), "samples", (json_int_t)n);
}

static void put_ts(FILE *f, int64_t v, int64_t t0) {
  if (v) fprintf(f, ",%lld", (long long)(v - t0));
  else fputs(",", f);
}

static const char *k_relay_cols[NRELAY_SLOTS] = {"qrx", "qret", "qsend", "qtx", "prx", "pret", "psend", "ptx"};

int write_records(const struct client *c, const char *path, uint64_t first, uint64_t last, int64_t t0) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fputs("seq,status,sched_ns,c_send_ns,c_txsched_ns,c_tx_ns,c_txhw_ns,c_rxhw_ns,c_rx_ns,c_ret_ns,c_queue_ns,"
        "s_rxhw_ns,s_rx_ns,s_ret_ns,s_dec_ns,s_hdl_ns,s_enc_ns,s_send_ns,s_txsched_ns,s_tx_ns,s_txhw_ns,"
        "s_pause_ns,s_queue_ns",
        f);
  int nrel = c->nrelays > 0 ? c->nrelays : 0;
  for (int k = 0; k < nrel; k++)
    for (int s = 0; s < NRELAY_SLOTS; s++) fprintf(f, ",r%d_%s_ns", k + 1, k_relay_cols[s]);
  fputs(",rtt_ns\n", f);
  for (uint64_t q = first; q < last; q++) {
    const struct crec *r = &c->rec[q];
    fprintf(f, "%llu,%s", (unsigned long long)q, r->got ? "ok" : "lost");
    put_ts(f, r->sched, t0);
    put_ts(f, r->send, t0);
    put_ts(f, r->txsched, t0);
    put_ts(f, r->tx, t0);
    put_ts(f, r->txhw, t0);
    put_ts(f, r->rxhw, t0);
    put_ts(f, r->rx, t0);
    put_ts(f, r->ret, t0);
    if (r->got) fprintf(f, ",%lld", (long long)r->queue);
    else fputs(",", f);
    static const int srv_ts[] = {S_RXHW, S_RX, S_RET, S_DEC, S_HDL, S_ENC, S_SEND, S_TXSCHED, S_TX, S_TXHW};
    for (size_t s = 0; s < sizeof srv_ts / sizeof srv_ts[0]; s++) put_ts(f, r->srv[srv_ts[s]], t0);
    /* Durations: present whenever the server's block arrived (a measured 0 stays 0). */
    bool srv = r->got && r->srv[S_RET] != 0;
    if (srv) fprintf(f, ",%lld,%lld", (long long)r->srv[S_PAUSE], (long long)r->srv[S_QUEUE]);
    else fputs(",,", f);
    for (int k = 0; k < nrel; k++) {
      const int64_t *t = relay_slots(c, q, k);
      for (int s = 0; s < NRELAY_SLOTS; s++) put_ts(f, r->got ? t[s] : 0, t0);
    }
    if (r->got) fprintf(f, ",%lld\n", (long long)(r->ret - r->send));
    else fputs(",\n", f);
  }
  return fclose(f);
}

json_t *measured_summary(const struct client *c, uint64_t first, double duration_s, double rate,
                                uint64_t scheduled, uint64_t unsent, uint64_t *received_out, uint64_t *complete_out) {
  uint64_t n = c->nsent - first, received = 0, complete = 0;
  double *rtt = malloc((n + 1) * sizeof *rtt);
  double *from_sched = malloc((n + 1) * sizeof *from_sched);
  double *lag = malloc((n + 1) * sizeof *lag);
  double *gaps = malloc((n + 1) * sizeof *gaps);
  if (!rtt || !from_sched || !lag || !gaps) die("out of memory for the summary");
  size_t nlag = 0, ngap = 0;
  for (uint64_t q = first; q < c->nsent; q++) {
    const struct crec *r = &c->rec[q];
    lag[nlag++] = (r->send - r->sched) / 1e3;
    if (q > first) gaps[ngap++] = (double)(r->send - c->rec[q - 1].send);
    if (!r->got) continue;
    rtt[received] = (r->ret - r->send) / 1e3;
    from_sched[received++] = (r->ret - r->sched) / 1e3;
    if (r->tx && r->rx && r->srv[S_RX] && r->srv[S_TX]) complete++;
  }
  double gap_mean = 0, gap_sq = 0;
  for (size_t i = 0; i < ngap; i++) gap_mean += gaps[i];
  if (ngap) gap_mean /= (double)ngap;
  for (size_t i = 0; i < ngap; i++) gap_sq += (gaps[i] - gap_mean) * (gaps[i] - gap_mean);
  bool have_cv = ngap > 1 && gap_mean > 0;
  double cv = have_cv ? sqrt(gap_sq / (double)(ngap - 1)) / gap_mean : 0;
  double measured_s = n > 1 ? (c->rec[c->nsent - 1].send - c->rec[first].send) / 1e9 : 0;
  json_t *lagj = json_null();
  if (nlag) {
    qsort(lag, nlag, sizeof *lag, cmp_double);
    lagj = json_pack("{s:f,s:f,s:f}", "p50", pct(lag, nlag, 50), "p99", pct(lag, nlag, 99), "max", lag[nlag - 1]);
  }
  /* Achieved rate: the offered rate times the share of scheduled requests actually sent, so a
   * Poisson schedule's own randomness never reads as a shortfall; sentPps is the raw count over
   * the measured window. */
  bool have_sched = scheduled > 0;
  json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:o}", "scheduled", (json_int_t)scheduled,
                        "sent", (json_int_t)n, "unsent", (json_int_t)unsent, "received", (json_int_t)received,
                        "achievedPps", json_num_or_null(have_sched, have_sched ? rate * (double)n / (double)scheduled : 0),
                        "sentPps", json_num_or_null(duration_s > 0, (double)n / duration_s), "measuredS",
                        json_num_or_null(measured_s > 0, measured_s), "rttUs", latency_json(rtt, received),
                        "latencyFromScheduleUs", latency_json(from_sched, received), "interArrivalCv",
                        json_num_or_null(have_cv, cv), "latencyFrom", "schedule", "sendLagUs", lagj, "lossRatio",
                        json_num_or_null(n > 0, n ? (double)(n - received) / (double)n : 0));
  free(rtt);
  free(from_sched);
  free(lag);
  free(gaps);
  *received_out = received;
  *complete_out = complete;
  return o;
}
