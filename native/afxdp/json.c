/* A minimal JSON writer: the output is one small object, so a library would add a dependency for
 * nothing. Numbers that are not finite print as null (missing, never 0). */
#include <inttypes.h>
#include <math.h>

#include "bb_afxdp.h"

static void put_string(FILE *f, const char *s);

static void sep(struct jw *w, const char *key)
{
	if (w->need_comma[w->depth])
		fputc(',', w->f);
	w->need_comma[w->depth] = true;
	if (key) {
		put_string(w->f, key);
		fputc(':', w->f);
	}
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c == '\n')
			fputs("\\n", f);
		else if (*c < 0x20)
			fprintf(f, "\\u%04x", *c);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}

void jw_begin(struct jw *w, FILE *f)
{
	w->f = f;
	w->depth = 0;
	for (int i = 0; i < 16; i++)
		w->need_comma[i] = false;
	fputc('{', f);
}

/* Objects and arrays nest the same way; only the bracket differs. */
static void open_nested(struct jw *w, const char *key, char bracket)
{
	sep(w, key);
	fputc(bracket, w->f);
	w->need_comma[++w->depth] = false;
}

static void close_nested(struct jw *w, char bracket)
{
	fputc(bracket, w->f);
	w->depth--;
}

void jw_obj_open(struct jw *w, const char *key) { open_nested(w, key, '{'); }
void jw_obj_close(struct jw *w) { close_nested(w, '}'); }
void jw_arr_open(struct jw *w, const char *key) { open_nested(w, key, '['); }
void jw_arr_close(struct jw *w) { close_nested(w, ']'); }

void jw_str(struct jw *w, const char *key, const char *val)
{
	sep(w, key);
	if (val)
		put_string(w->f, val);
	else
		fputs("null", w->f);
}

void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	sep(w, key);
	fprintf(w->f, "%" PRIu64, val);
}

void jw_i64(struct jw *w, const char *key, int64_t val)
{
	sep(w, key);
	fprintf(w->f, "%" PRId64, val);
}

void jw_num(struct jw *w, const char *key, double val)
{
	sep(w, key);
	if (isfinite(val))
		fprintf(w->f, "%.10g", val);
	else
		fputs("null", w->f);
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	sep(w, key);
	fputs(val ? "true" : "false", w->f);
}

void jw_null(struct jw *w, const char *key)
{
	sep(w, key);
	fputs("null", w->f);
}

void jw_end(struct jw *w)
{
	fputs("}\n", w->f);
	fflush(w->f);
}
