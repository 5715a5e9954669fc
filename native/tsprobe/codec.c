/* The application model's message codecs. raw: the body is opaque bytes, decode and encode are
 * copies. json: a real JSON object with N fields, parsed and re-serialized with libjansson, so
 * serialization cost grows with size and field count the way it does in a service. */
#define _GNU_SOURCE
#include "tsprobe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct codec_state {
  int codec;
  uint8_t raw[TSP_MAX_PKT];
  size_t raw_len;
  json_t *obj;
};

static json_t *make_object(int fields, size_t str_len) {
  json_t *obj = json_object();
  char key[16];
  char *val = malloc(str_len + 1);
  if (!val) die("out of memory");
  for (size_t i = 0; i < str_len; i++) val[i] = (char)('a' + i % 26);
  val[str_len] = 0;
  for (int i = 0; i < fields; i++) {
    snprintf(key, sizeof key, "f%02d", i);
    /* Alternate numbers and strings, like a typical RPC payload. */
    if (i % 2 == 0) json_object_set_new(obj, key, json_integer(1000003LL * (i + 1)));
    else json_object_set_new(obj, key, json_string(val));
  }
  free(val);
  return obj;
}

size_t codec_make_request(const struct codec_cfg *cfg, size_t target, uint8_t *out, size_t cap) {
  if (cfg->codec == TSP_CODEC_RAW) {
    size_t n = target < cap ? target : cap;
    for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(i * 31 + 7);
    return n;
  }
  int fields = cfg->fields > 0 ? cfg->fields : 1;
  int nstr = fields / 2;
  json_t *obj = make_object(fields, 0);
  size_t base = json_dumpb(obj, NULL, 0, JSON_COMPACT);
  json_decref(obj);
  size_t str_len = (nstr > 0 && target > base) ? (target - base) / (size_t)nstr : 0;
  obj = make_object(fields, str_len);
  size_t n = json_dumpb(obj, (char *)out, cap, JSON_COMPACT);
  json_decref(obj);
  return n <= cap ? n : 0;
}

/* One request is in flight at a time (the server is single-threaded), so the state is reused
 * instead of allocated per request. */
static struct codec_state g_state;

struct codec_state *codec_decode(int codec, const uint8_t *body, size_t len) {
  struct codec_state *st = &g_state;
  st->codec = codec;
  st->obj = NULL;
  if (codec == TSP_CODEC_RAW) {
    st->raw_len = len < sizeof st->raw ? len : sizeof st->raw;
    memcpy(st->raw, body, st->raw_len);
    return st;
  }
  json_error_t jerr;
  st->obj = json_loadb((const char *)body, len, 0, &jerr);
  if (!st->obj || !json_is_object(st->obj)) {
    err_note("json decode: %s", st->obj ? "not an object" : jerr.text);
    json_decref(st->obj);
    st->obj = NULL;
  }
  return st;
}

uint64_t codec_handle(struct codec_state *st) {
  uint64_t acc = 1469598103934665603ull; /* FNV-1a over the content: touches every byte */
  if (st->codec == TSP_CODEC_RAW) {
    for (size_t i = 0; i < st->raw_len; i++) acc = (acc ^ st->raw[i]) * 1099511628211ull;
    return acc;
  }
  if (!st->obj) return 0;
  const char *key;
  json_t *val;
  json_object_foreach(st->obj, key, val) {
    if (json_is_integer(val)) acc = (acc ^ (uint64_t)json_integer_value(val)) * 1099511628211ull;
    else if (json_is_string(val)) acc = (acc ^ json_string_length(val)) * 1099511628211ull;
    (void)key;
  }
  return acc;
}

size_t codec_encode(struct codec_state *st, uint64_t result, uint64_t seq, uint8_t *out, size_t cap) {
  if (st->codec == TSP_CODEC_RAW) {
    size_t n = st->raw_len < cap ? st->raw_len : cap;
    memcpy(out, st->raw, n);
    return n;
  }
  /* The response echoes every field and adds the handler's result, so its size tracks the request. */
  json_t *resp = json_object();
  if (st->obj) {
    const char *key;
    json_t *val;
    json_object_foreach(st->obj, key, val) json_object_set(resp, key, val);
  }
  json_object_set_new(resp, "seq", json_integer((json_int_t)seq));
  json_object_set_new(resp, "result", json_integer((json_int_t)(result >> 1)));
  size_t n = json_dumpb(resp, (char *)out, cap, JSON_COMPACT);
  json_decref(resp);
  if (n > cap) {
    err_note("json encode: response larger than %zu bytes", cap);
    return 0;
  }
  return n;
}

void codec_free(struct codec_state *st) {
  if (!st) return;
  json_decref(st->obj);
  st->obj = NULL;
}
