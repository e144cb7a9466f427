// SPDX-License-Identifier: GPL-2.0
/*
 * ktap_fuzz - libFuzzer target for the ktap parser and its reports.
 *
 * The input is fed as console bytes, in chunks whose sizes come from the
 * input itself.  An input starting with 0xff is a small program instead
 * (see expand()) that builds deep nesting and huge lines cheaply.  Every
 * report is produced (reading the spool back), and with crash attribution
 * off, parse -> isolated lines -> parse must give the same JSON and stats.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ktap.h"
#include "../report.h"

struct buf {
	char *b;
	size_t len, cap;
};

static void put(struct buf *b, const void *s, size_t n)
{
	if (!n)
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->b = realloc(b->b, b->cap);
		if (!b->b)
			abort();
	}
	memcpy(b->b + b->len, s, n);
	b->len += n;
}

static void on_raw(void *arg, const char *line, size_t len)
{
	put(arg, line, len);
	put(arg, "\n", 1);
}

static const char *const lines[] = {
	"KTAP version 1", "TAP version 13", "1..2", "1..0", "ok 1 a",
	"not ok 2 b", "ok 3 c # SKIP x", "# Subtest: s", "# d: diag",
	"BUG: KASAN: x", "WARNING: CPU: 0", "List of all partitions:",
	"kunit executor: e", "not ok 1 t # TODO", "ok 1 s", "# m.speed: slow",
};

/*
 * 0xff, then pairs (op, arg): op & 15 picks a line from lines[], indented
 * by 2 * (arg & 127) spaces and repeated 1 + (op >> 4) times; arg bit 7
 * instead makes one line of (op << 9) 'x' characters.
 */
static void expand(const uint8_t *d, size_t n, struct buf *out)
{
	static char sp[256];
	size_t i;

	memset(sp, ' ', sizeof(sp));
	for (i = 1; i + 1 < n && out->len < (256u << 10); i += 2) {
		unsigned op = d[i], arg = d[i + 1], r;

		if (arg & 128) {
			size_t k = (size_t)op << 9;
			char *x = malloc(k + 1);

			memset(x, 'x', k);
			put(out, x, k);
			put(out, "\n", 1);
			free(x);
			continue;
		}
		for (r = 0; r <= op >> 4; r++) {
			put(out, sp, 2 * arg);
			put(out, lines[op & 15], strlen(lines[op & 15]));
			put(out, "\n", 1);
		}
	}
}

static char *report_str(struct ktap_parser *p, int which)
{
	struct report_opts ro = { .color = which == 4 };
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	switch (which) {
	case 0:
	case 4:
		report_human(f, p, &ro);
		break;
	case 1:
		report_json(f, p);
		break;
	case 2:
		report_junit(f, p, NULL);
		break;
	default:
		report_stats(f, p);
		break;
	}
	fclose(f);
	return s;
}

static struct ktap_parser *parse(const char *d, size_t n, bool no_splat,
				 struct buf *raw, unsigned chunk_seed)
{
	struct ktap_opts o = { .no_splat = no_splat, .raw = on_raw,
			       .arg = raw };
	struct ktap_parser *p = ktap_new(&o);
	size_t i = 0;

	while (i < n) {
		size_t k = 1 + (chunk_seed % 97) * (chunk_seed % 5 ? 1 : 131);

		chunk_seed = chunk_seed * 1103515245u + 12345u;
		if (k > n - i)
			k = n - i;
		ktap_feed(p, d + i, k);
		i += k;
	}
	ktap_finish(p, chunk_seed & 1 ? NULL : "fuzz end");
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf in = { 0 }, raw = { 0 }, raw2 = { 0 };
	struct ktap_parser *p, *q;
	const char *d = (const char *)data;
	unsigned seed = size ? data[size - 1] : 0;
	size_t n = size;
	int k;

	if (size && data[0] == 0xff) {
		expand(data, size, &in);
		d = in.b;
		n = in.len;
	}

	/* with crash attribution, every report */
	p = parse(d, n, false, &raw, seed);
	for (k = 0; k < 5; k++)
		free(report_str(p, k));
	ktap_free(p);

	/* kunit.py mode: parse -> raw -> parse is stable */
	free(raw.b);
	memset(&raw, 0, sizeof(raw));
	p = parse(d, n, true, &raw, seed);
	if (n < KTAP_LINE_MAX / 4) {
		char *j1, *j2, *s1, *s2;

		q = parse(raw.b ? raw.b : "", raw.len, true, &raw2, seed + 1);
		j1 = report_str(p, 1);
		j2 = report_str(q, 1);
		s1 = report_str(p, 3);
		s2 = report_str(q, 3);
		if (strcmp(j1, j2) || strcmp(s1, s2) ||
		    raw.len != raw2.len ||
		    (raw.len && memcmp(raw.b, raw2.b, raw.len))) {
			fprintf(stderr, "round trip differs:\n%s\n---\n%s\n",
				s1, s2);
			abort();
		}
		free(j1);
		free(j2);
		free(s1);
		free(s2);
		ktap_free(q);
	}
	ktap_free(p);
	free(raw.b);
	free(raw2.b);
	free(in.b);
	return 0;
}
