// SPDX-License-Identifier: GPL-2.0
/*
 * igt.c - igt_runner's results.json as a KTAP document, see igt.h.
 *
 * The document: one suite per test binary (in the order the runner ran
 * them), one test case per subtest or dynamic subtest.  A subtest with
 * dynamic subtests is a case of its own only when it failed and none of
 * them did (so a failure outside its dynamic parts is not lost).  Results:
 * pass is "ok", skip is "ok # SKIP <requirement>", everything else
 * (fail, warn, dmesg-warn, dmesg-fail, crash, timeout, incomplete,
 * abort, notrun) is "not ok" with the runner's result and excerpts of
 * the test's err, out and dmesg as diagnostics.  An entry without a result
 * (output the runner kept between subtests) is no test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igt.h"
#include "tools/json.h"

#define EXCERPT_LINES	24	/* per stream (err, out, dmesg) */
#define EXCERPT_WIDTH	200	/* bytes of one line */

static const char *const result_names[IGT_NRESULTS] = {
	[IGT_PASS] = "pass",
	[IGT_SKIP] = "skip",
	[IGT_WARN] = "warn",
	[IGT_FAIL] = "fail",
	[IGT_DMESG_WARN] = "dmesg-warn",
	[IGT_DMESG_FAIL] = "dmesg-fail",
	[IGT_CRASH] = "crash",
	[IGT_TIMEOUT] = "timeout",
	[IGT_INCOMPLETE] = "incomplete",
	[IGT_ABORT] = "abort",
	[IGT_NOTRUN] = "notrun",
	[IGT_OTHER] = "other",
};

const char *igt_result_name(enum igt_result r)
{
	return r < IGT_NRESULTS ? result_names[r] : "other";
}

static enum igt_result result_of(const struct json *t)
{
	const struct json *r = json_get(t, "result");
	int i;

	if (!r || r->type != J_STRING)
		return IGT_OTHER;
	for (i = 0; i < IGT_OTHER; i++)
		if (!strcmp(r->str, result_names[i]))
			return i;
	return IGT_OTHER;
}

static const char *str_of(const struct json *t, const char *key, size_t *len)
{
	const struct json *v = json_get(t, key);

	if (!v || v->type != J_STRING) {
		*len = 0;
		return "";
	}
	*len = v->len;
	return v->str;
}

static double seconds_of(const struct json *t)
{
	const struct json *tm = json_get(t, "time");
	const struct json *a = tm ? json_get(tm, "start") : NULL;
	const struct json *b = tm ? json_get(tm, "end") : NULL;

	if (!a || !b || a->type != J_NUMBER || b->type != J_NUMBER)
		return 0;
	return strtod(b->str, NULL) - strtod(a->str, NULL);
}

/* A line of text into the parser: PREFIX then TEXT (cut, one line). */
static void feed(struct ktap_parser *p, const char *prefix, const char *text,
		 size_t len)
{
	char line[KTAP_LOG_LINE_BYTES];
	size_t n = strlen(prefix), i;

	if (n > sizeof(line) / 2)
		n = sizeof(line) / 2;
	memcpy(line, prefix, n);
	for (i = 0; i < len && n < sizeof(line); i++) {
		unsigned char c = (unsigned char)text[i];

		/* one console line: no line breaks, no other controls */
		line[n++] = (c < 0x20 && c != '\t') || c == 0x7f ? ' ' : (char)c;
	}
	ktap_feed_line(p, line, n);
}

static void feedf(struct ktap_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void feedf(struct ktap_parser *p, const char *fmt, ...)
{
	char line[KTAP_LOG_LINE_BYTES];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	ktap_feed_line(p, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* The lines of TEXT: their starts, up to MAX, and how many there are. */
static size_t split_lines(const char *text, size_t len, const char **start,
			  size_t *llen, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len;

		if (n < max) {
			start[n] = text + i;
			llen[n] = e - i;
		}
		n++;
		i = e + 1;
	}
	return n;
}

/*
 * An excerpt of one stream: the kernel log from a few lines before its
 * first message at warning level or worse ("<0>".."<4>"), else (and for
 * err/out) its last lines.
 */
static void feed_excerpt(struct ktap_parser *p, const char *what,
			 const char *text, size_t len, bool dmesg)
{
	const char **start;
	size_t *llen, n, first = 0, i, end;

	if (!len)
		return;
	n = split_lines(text, len, NULL, NULL, 0);
	start = calloc(n + 1, sizeof(*start));
	llen = calloc(n + 1, sizeof(*llen));
	if (!start || !llen)
		abort();
	split_lines(text, len, start, llen, n);
	if (n > EXCERPT_LINES)
		first = n - EXCERPT_LINES;
	if (dmesg) {
		for (i = 0; i < n; i++)
			if (llen[i] >= 3 && start[i][0] == '<' &&
			    start[i][1] >= '0' && start[i][1] <= '4' &&
			    start[i][2] == '>')
				break;
		if (i < n)
			first = i > 4 ? i - 4 : 0;
	}
	end = first + EXCERPT_LINES < n ? first + EXCERPT_LINES : n;
	feedf(p, "    # %s (lines %zu-%zu of %zu):", what, first + 1, end, n);
	for (i = first; i < end; i++)
		feed(p, "    #   ", start[i],
		     llen[i] < EXCERPT_WIDTH ? llen[i] : EXCERPT_WIDTH);
	free(start);
	free(llen);
}

/* The first "Test requirement..." line of OUT: why a subtest skipped. */
static void skip_reason(const char *out, size_t len, char *buf, size_t size)
{
	const char *s = memmem(out, len, "Test requirement: ", 18);
	size_t n;

	if (!s)
		s = memmem(out, len, "Test requirement not met", 24);
	buf[0] = 0;
	if (!s)
		return;
	n = (size_t)(out + len - s);
	if (memchr(s, '\n', n))
		n = (size_t)((const char *)memchr(s, '\n', n) - s);
	if (n >= size)
		n = size - 1;
	memcpy(buf, s, n);
	buf[n] = 0;
}

struct entry {
	const char *key;	/* igt@binary@subtest */
	const char *bin;	/* binary, not terminated: binlen */
	size_t binlen;
	const char *name;	/* subtest[@dynamic], or the binary */
	const struct json *t;
	bool parent;		/* has dynamic subtests */
	bool done;
};

static void feed_case(struct ktap_parser *p, const struct entry *e,
		      size_t num, struct igt_summary *s)
{
	enum igt_result r = result_of(e->t);
	double secs = seconds_of(e->t);
	const char *text;
	char reason[160];
	size_t len;

	s->n[r]++;
	s->tests++;
	s->seconds += secs;
	if (r == IGT_PASS) {
		feedf(p, "    ok %zu %s", num, e->name);
		return;
	}
	if (r == IGT_SKIP) {
		text = str_of(e->t, "out", &len);
		skip_reason(text, len, reason, sizeof(reason));
		feedf(p, "    ok %zu %s # SKIP %s", num, e->name, reason);
		return;
	}
	feedf(p, "    # %s: igt result %s (%.3f s)", e->key, igt_result_name(r),
	      secs);
	text = str_of(e->t, "err", &len);
	feed_excerpt(p, "IGT err", text, len, false);
	text = str_of(e->t, "out", &len);
	feed_excerpt(p, "IGT out", text, len, false);
	text = str_of(e->t, "dmesg", &len);
	feed_excerpt(p, "kernel log", text, len, true);
	feedf(p, "    not ok %zu %s", num, e->name);
}

static uint64_t not_passed(const struct igt_summary *s)
{
	return s->tests - s->n[IGT_PASS] - s->n[IGT_SKIP];
}

static bool same_bin(const struct entry *a, const struct entry *b)
{
	return a->binlen == b->binlen && !memcmp(a->bin, b->bin, a->binlen);
}

bool igt_feed_results(struct ktap_parser *p, const char *path,
		      struct igt_summary *s)
{
	const struct json *tests;
	struct json *root;
	struct entry *e;
	const char *err;
	size_t len, off, n, i, j, nbin = 0, num;
	char *text = json_slurp(path, &len);

	memset(s, 0, sizeof(*s));
	if (!text) {
		fprintf(stderr, "ktap: cannot read %s: %s\n", path, strerror(errno));
		return false;
	}
	root = json_parse(text, len, &err, &off);
	free(text);
	if (!root) {
		fprintf(stderr, "ktap: %s: not JSON: %s at byte %zu\n", path, err, off);
		return false;
	}
	tests = json_get(root, "tests");
	if (!tests || tests->type != J_OBJECT) {
		fprintf(stderr, "ktap: %s: no \"tests\" object: not an IGT results.json\n",
			path);
		json_free(root);
		return false;
	}
	n = tests->n;
	e = calloc(n + 1, sizeof(*e));
	if (!e)
		abort();
	for (i = 0; i < n; i++) {
		const char *k = tests->keys[i], *at;

		e[i].key = k;
		e[i].t = tests->items[i];
		e[i].bin = strncmp(k, "igt@", 4) ? k : k + 4;
		at = strchr(e[i].bin, '@');
		e[i].binlen = at ? (size_t)(at - e[i].bin) : strlen(e[i].bin);
		e[i].name = at ? at + 1 : e[i].bin;
	}
	/*
	 * Parents: "igt@b@s" when "igt@b@s@d" exists.  Their dynamic subtests
	 * count; the parent only when it failed and none of them did (a
	 * failure outside its dynamic parts).
	 */
	for (i = 0; i < n; i++) {
		size_t kl = strlen(e[i].key);
		bool child_failed = false;

		for (j = 0; j < n; j++) {
			enum igt_result r = result_of(e[j].t);

			if (strncmp(e[j].key, e[i].key, kl) || e[j].key[kl] != '@')
				continue;
			e[i].parent = true;
			child_failed |= r != IGT_PASS && r != IGT_SKIP;
		}
		if (e[i].parent && (child_failed || result_of(e[i].t) == IGT_PASS ||
				    result_of(e[i].t) == IGT_SKIP))
			e[i].done = true;
		/* no result: the runner kept only output (dmesg between subtests) */
		if (!json_get(e[i].t, "result"))
			e[i].done = true;
	}
	for (i = 0; i < n; i++) {
		bool first = true;

		for (j = 0; j < i && first; j++)
			first = !same_bin(&e[i], &e[j]);
		nbin += first;
	}

	feedf(p, "KTAP version 1");
	feedf(p, "1..%zu", nbin);
	num = 0;
	for (i = 0; i < n; i++) {
		uint64_t failed = not_passed(s);
		size_t k = 0;

		if (e[i].done)
			continue;
		feedf(p, "    KTAP version 1");
		feedf(p, "    # Subtest: %.*s", (int)e[i].binlen, e[i].bin);
		for (j = i; j < n; j++)
			k += same_bin(&e[i], &e[j]) && !e[j].done;
		feedf(p, "    1..%zu", k);
		k = 0;
		for (j = i; j < n; j++) {
			if (e[j].done || !same_bin(&e[i], &e[j]))
				continue;
			feed_case(p, &e[j], ++k, s);
			e[j].done = true;
		}
		feedf(p, "%s %zu %.*s", not_passed(s) != failed ? "not ok" : "ok", ++num,
		      (int)e[i].binlen, e[i].bin);
	}
	free(e);
	json_free(root);
	return true;
}

void igt_print_summary(FILE *f, const struct igt_summary *s)
{
	const char *sep = ": ";
	int i;

	fprintf(f, "igt: %llu tests in %.1f s", (unsigned long long)s->tests,
		s->seconds);
	for (i = 0; i < IGT_NRESULTS; i++) {
		if (!s->n[i])
			continue;
		fprintf(f, "%s%s %llu", sep, result_names[i],
			(unsigned long long)s->n[i]);
		sep = ", ";
	}
	fputc('\n', f);
}
