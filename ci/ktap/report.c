// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - human, JSON, JUnit and stats reports over a ktap parse.
 *
 * The human report reproduces what kunit_parser.py prints while it
 * parses (headers, results, footers, [ERROR] lines, logs of failed tests,
 * dividers, totals), from the finished tree, in the same order.  The JSON
 * is byte-identical to kunit_json.py's json.dumps(..., indent=4).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

#define RED	"\033[1;31m"
#define YELLOW	"\033[1;33m"
#define GREEN	"\033[1;32m"
#define RESET	"\033[0;0m"
#define COLOR_LEN 13	/* len(red('')) in kunit_printer.py */

#define DIVIDER_LEN 60
#define TS_LEN 11	/* "[HH:MM:SS] " */

/* Buffered output: stdio's per-call locking dominates big reports. */
struct out {
	FILE *f;
	size_t len;
	char buf[1 << 18];
};

static void o_flush(struct out *o)
{
	if (o->len)
		fwrite(o->buf, 1, o->len, o->f);
	o->len = 0;
}

static void o_put(struct out *o, const void *s, size_t n)
{
	if (o->len + n > sizeof(o->buf)) {
		o_flush(o);
		if (n > sizeof(o->buf)) {
			fwrite(s, 1, n, o->f);
			return;
		}
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void o_puts(struct out *o, const char *s)
{
	o_put(o, s, strlen(s));
}

/* A string literal, without strlen(). */
#define o_lit(o, lit)	o_put((o), (lit), sizeof(lit) - 1)

static void o_putc(struct out *o, char c)
{
	if (o->len == sizeof(o->buf))
		o_flush(o);
	o->buf[o->len++] = c;
}

static void o_printf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void o_printf(struct out *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		o_put(o, tmp, (size_t)n);
		return;
	}
	o_flush(o);
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
}

static struct out *o_open(FILE *f)
{
	struct out *o = malloc(sizeof(*o));

	if (!o)
		abort();
	o->f = f;
	o->len = 0;
	return o;
}

static void o_close(struct out *o)
{
	o_flush(o);
	free(o);
}

struct hp {
	struct out *f;
	struct ktap_parser *p;
	bool color;
};

const char *report_timestamp(void)
{
	static char buf[32];
	static time_t last = (time_t)-1;
	time_t now = time(NULL);

	if (now != last) {
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(buf, sizeof(buf), "[%H:%M:%S] ", &tm);
		last = now;
	}
	return buf;
}

static void colored(const struct hp *h, const char *code, const char *s,
		    size_t n)
{
	if (h->color)
		o_puts(h->f, code);
	o_put(h->f, s, n);
	if (h->color)
		o_puts(h->f, RESET);
}

static void equals(struct out *f, size_t n)
{
	static const char eq[] =
		"================================================================";

	while (n) {
		size_t k = n < sizeof(eq) - 1 ? n : sizeof(eq) - 1;

		o_put(f, eq, k);
		n -= k;
	}
}

static void divider_sizes(size_t visible, size_t *l1, size_t *l2)
{
	*l1 = *l2 = 3;
	if (visible + 2 < DIVIDER_LEN) {
		size_t diff = DIVIDER_LEN - visible - 2;

		*l1 = diff / 2;
		*l2 = diff - *l1;
	}
}

static void do_report_divider(struct out *f, const char *msg, size_t msg_len,
		    size_t visible_len)
{
	size_t l1, l2;

	divider_sizes(visible_len, &l1, &l2);
	o_put(f, report_timestamp(), TS_LEN);
	equals(f, l1);
	o_putc(f, ' ');
	o_put(f, msg, msg_len);
	o_putc(f, ' ');
	equals(f, l2);
	o_putc(f, '\n');
}

static void error_line(const struct hp *h, const char *name, size_t nlen,
		       const char *msg)
{
	o_put(h->f, report_timestamp(), TS_LEN);
	colored(h, RED, "[ERROR]", 7);
	o_lit(h->f, " Test: ");
	o_put(h->f, name, nlen);
	o_printf(h->f, ": %s\n", msg);
}

/* print_log(): textwrap.dedent() of the lines, each in yellow. */
static void print_log(const struct hp *h, const struct ktap_rec *e)
{
	const char *s, *end, *margin = NULL;
	size_t mlen = 0, nlines = 0, i;
	const char *last_start = NULL;
	size_t last_len = 0;

	if (e->log_dropped) {
		char buf[96];
		int k = snprintf(buf, sizeof(buf),
				 "[... %u earlier log lines not kept ...]",
				 e->log_dropped);

		o_put(h->f, report_timestamp(), TS_LEN);
		colored(h, YELLOW, buf, (size_t)k);
		o_putc(h->f, '\n');
	}
	if (!e->log_len)
		return;
	end = e->log + e->log_len;

	/* the margin: longest common [ \t]* prefix of non-blank lines */
	for (s = e->log; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)(nl - s), k;

		for (k = 0; k < n && (s[k] == ' ' || s[k] == '\t'); k++)
			;
		if (k < n) {
			if (!margin) {
				margin = s;
				mlen = k;
			} else {
				size_t c;

				for (c = 0; c < mlen && c < k &&
				     margin[c] == s[c]; c++)
					;
				if (c < mlen)
					mlen = c;
			}
		}
		nlines++;
		last_start = s;
		last_len = n;
		s = nl + 1;
	}
	/* splitlines() drops the text's final empty line */
	if (last_start) {
		size_t k;

		for (k = 0; k < last_len && (last_start[k] == ' ' ||
					     last_start[k] == '\t'); k++)
			;
		if (k == last_len)
			nlines--;
	}
	for (s = e->log, i = 0; i < nlines; i++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)(nl - s), k;

		for (k = 0; k < n && (s[k] == ' ' || s[k] == '\t'); k++)
			;
		o_put(h->f, report_timestamp(), TS_LEN);
		if (k == n)	/* blank lines are normalised to empty */
			colored(h, YELLOW, "", 0);
		else if (n >= mlen)
			colored(h, YELLOW, s + mlen, n - mlen);
		else
			colored(h, YELLOW, s, n);
		o_putc(h->f, '\n');
		s = nl + 1;
	}
}

/*
 * The crash excerpt, "> " in front of each line; not if the log just
 * printed shows the same report.
 */
static void print_splat(const struct hp *h, const struct ktap_rec *e)
{
	const char *s, *end, *nl;

	if (!e->splat_len)
		return;
	end = e->splat + e->splat_len;
	nl = memchr(e->splat, '\n', e->splat_len);
	if (nl && nl > e->splat && e->log_len &&
	    memmem(e->log, e->log_len, e->splat, (size_t)(nl - e->splat + 1)))
		return;
	for (s = e->splat; s < end;) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		o_put(h->f, report_timestamp(), TS_LEN);
		if (h->color)
			o_puts(h->f, RED);
		o_lit(h->f, "> ");
		o_put(h->f, s, (size_t)(nl - s));
		if (h->color)
			o_puts(h->f, RESET);
		o_putc(h->f, '\n');
		s = nl + 1;
	}
}

/* format_test_result(): prints the log when failed; returns the label. */
static const char *result_label(const struct hp *h, const struct ktap_rec *r,
				const char **color)
{
	switch (r->status) {
	case KTAP_SUCCESS:
		*color = GREEN;
		return "[PASSED] ";
	case KTAP_SKIPPED:
		*color = YELLOW;
		return "[SKIPPED] ";
	case KTAP_NO_TESTS:
		*color = YELLOW;
		return "[NO TESTS RUN] ";
	case KTAP_CRASHED:
		print_log(h, r);
		print_splat(h, r);
		*color = RED;
		return "[CRASHED] ";
	default:
		print_log(h, r);
		print_splat(h, r);
		*color = RED;
		return "[FAILED] ";
	}
}

static void print_result(const struct hp *h, const struct ktap_rec *r)
{
	const char *color, *label = result_label(h, r, &color);

	o_put(h->f, report_timestamp(), TS_LEN);
	colored(h, color, label, strlen(label));
	o_put(h->f, r->name, r->name_len);
	o_putc(h->f, '\n');
}

static void print_footer(const struct hp *h, const struct ktap_rec *r)
{
	const char *color, *label = result_label(h, r, &color);
	size_t l1, l2;

	divider_sizes(strlen(label) + ktap_utf8_len(r->name, r->name_len), &l1, &l2);
	o_put(h->f, report_timestamp(), TS_LEN);
	equals(h->f, l1);
	o_putc(h->f, ' ');
	colored(h, color, label, strlen(label));
	o_put(h->f, r->name, r->name_len);
	o_putc(h->f, ' ');
	equals(h->f, l2);
	o_putc(h->f, '\n');
}

/* Our name while the header and the subtests were parsed. */
static const char *early_name(const struct ktap_rec *r, bool is_sub,
			      size_t *len)
{
	if (r->hname_len) {
		*len = r->hname_len;
		return r->hname;
	}
	/* without "# Subtest:" the name only comes with the result line */
	*len = !is_sub || (r->flags & KTAP_N_HEADER) ? r->name_len : 0;
	return r->name;
}

static void print_header(const struct hp *h, const struct ktap_rec *r)
{
	size_t nlen, vis, l1, l2;
	const char *name = early_name(r, true, &nlen);
	char cnt[48] = "";

	if (r->expected == 1)
		snprintf(cnt, sizeof(cnt), "(1 subtest)");
	else if (r->expected > 0)
		snprintf(cnt, sizeof(cnt), "(%lld subtests)",
			 (long long)r->expected);
	vis = ktap_utf8_len(name, nlen) + (nlen ? 1 : 0) + strlen(cnt);
	divider_sizes(vis, &l1, &l2);
	o_put(h->f, report_timestamp(), TS_LEN);
	equals(h->f, l1);
	o_putc(h->f, ' ');
	o_put(h->f, name, nlen);
	if (nlen)
		o_putc(h->f, ' ');
	o_puts(h->f, cnt);
	o_putc(h->f, ' ');
	equals(h->f, l2);
	o_putc(h->f, '\n');
}

static void version_error(const struct hp *h, uint16_t ef, bool is_main)
{
	const char *type = ef & KTAP_E_VERSION_TAP ? "TAP" : "KTAP";
	char msg[64];

	if (!(ef & (KTAP_E_VERSION_LOW | KTAP_E_VERSION_HIGH)))
		return;
	snprintf(msg, sizeof(msg), "%s version %s than expected!", type,
		 ef & KTAP_E_VERSION_LOW ? "lower" : "higer");
	if (is_main)
		error_line(h, "main", 4, msg);
	else
		error_line(h, "", 0, msg);
}

static void spool_error(const struct hp *h)
{
	error_line(h, "ktap", 4, "cannot read back the results spool!");
}

/* What comes before the subtests: version error, header. */
static void print_pre(const struct hp *h, const struct ktap_rec *r,
		      bool is_sub)
{
	version_error(h, r->errflags, !is_sub);
	if (is_sub && r->parent)
		print_header(h, r);
}

/* A planned test that never came; @early: the parent's early name. */
static void print_placeholder(const struct hp *h, const char *early,
			      size_t early_len, const struct ktap_rec *c)
{
	if (c->errflags & KTAP_E_MISSING_SUB)
		error_line(h, early, early_len, "missing expected subtest!");
	print_result(h, c);
}

/* What comes after the subtests: errors, log, footer or result line. */
static void print_post(const struct hp *h, const struct ktap_rec *r,
		       bool is_sub)
{
	uint16_t ef = r->errflags;
	size_t early_len;
	const char *early = early_name(r, is_sub, &early_len);
	char msg[128];

	if (r->more_missing) {
		snprintf(msg, sizeof(msg),
			 "%llu more crashed/missing subtests not listed",
			 (unsigned long long)r->more_missing);
		error_line(h, early, early_len, msg);
	}
	if (ef & KTAP_E_TOO_DEEP)
		error_line(h, r->name, r->name_len, "nesting too deep, deeper "
			   "lines taken as diagnostics!");
	if (ef & KTAP_E_STRAY_PLAN)
		error_line(h, r->name, r->name_len, "plan line where a test "
			   "should start, taken as a diagnostic!");
	if (ef & KTAP_E_MISSING_RESULT)
		error_line(h, r->name, r->name_len,
			   "missing subtest result line!");
	if (ef & KTAP_E_BAD_NUMBER) {
		snprintf(msg, sizeof(msg),
			 "Expected test number %llu but found %llu",
			 (unsigned long long)r->bad_expected,
			 (unsigned long long)r->bad_found);
		error_line(h, r->name, r->name_len, msg);
	}
	if (ef & KTAP_E_NO_TESTS) {
		print_log(h, r);
		error_line(h, r->name, r->name_len, "0 tests run!");
	}
	if (is_sub && r->parent)
		print_footer(h, r);
	else if (is_sub)
		print_result(h, r);
}

/* The whole output of a test and its subtests, from the spool. */
static void print_test(const struct hp *h, const struct ktap_rec *r,
		       bool is_sub)
{
	struct ktap_parser *p = h->p;
	struct ktap_rec cr = { 0 };
	size_t early_len;
	const char *early = early_name(r, is_sub, &early_len);
	uint64_t c;

	print_pre(h, r, is_sub);
	for (c = r->first_child; c != KTAP_NOFF && c != r->children_end;
	     c = cr.next) {
		if (!ktap_read(p, c, &cr)) {
			spool_error(h);
			break;
		}
		if (cr.flags & KTAP_N_PLACEHOLDER)
			print_placeholder(h, early, early_len, &cr);
		else
			print_test(h, &cr, true);
	}
	ktap_rec_free(&cr);
	print_post(h, r, is_sub);
}

static bool ok_status(uint8_t s)
{
	return s == KTAP_SUCCESS || s == KTAP_SKIPPED;
}

struct failed {
	struct ktap_parser *p;
	char *buf;
	size_t len, cap;
	unsigned count;
};

static void failed_add(struct failed *fl, const char *parent, size_t plen,
		       const char *name, size_t nlen)
{
	size_t need = plen + nlen + 4;

	fl->count++;
	if (fl->count > 10)
		return;
	if (fl->len + need > fl->cap) {
		fl->cap = (fl->len + need) * 2;
		fl->buf = realloc(fl->buf, fl->cap);
		if (!fl->buf)
			abort();
	}
	if (fl->count > 1) {
		memcpy(fl->buf + fl->len, ", ", 2);
		fl->len += 2;
	}
	memcpy(fl->buf + fl->len, parent, plen);
	fl->len += plen;
	if (plen)
		fl->buf[fl->len++] = '.';
	memcpy(fl->buf + fl->len, name, nlen);
	fl->len += nlen;
}

/* _summarize_failed_tests() */
static void failed_names(struct failed *fl, const struct ktap_rec *r,
			 const char *parent, size_t plen, bool top)
{
	struct ktap_rec cr = { 0 };
	size_t all = 0, bad = 0, flen;
	char *full;
	uint64_t c;

	if (fl->count > 10)
		return;
	if (top || !plen || (plen == 4 && !memcmp(parent, "main", 4)))
		plen = 0;
	if (r->first_child == KTAP_NOFF) {
		failed_add(fl, parent, plen, r->name, r->name_len);
		return;
	}
	for (c = r->first_child; c != r->children_end; c = cr.next) {
		if (!ktap_read(fl->p, c, &cr))
			break;
		all++;
		bad += !ok_status(cr.status);
	}
	if (!top && bad == all) {
		failed_add(fl, parent, plen, r->name, r->name_len);
		ktap_rec_free(&cr);
		return;
	}
	flen = plen + r->name_len + (plen ? 1 : 0);
	full = malloc(flen + 1);
	if (!full)
		abort();
	memcpy(full, parent, plen);
	if (plen)
		full[plen] = '.';
	memcpy(full + plen + (plen ? 1 : 0), r->name, r->name_len);
	for (c = r->first_child; c != r->children_end && fl->count <= 10;
	     c = cr.next) {
		if (!ktap_read(fl->p, c, &cr))
			break;
		if (!ok_status(cr.status))
			failed_names(fl, &cr, full, flen, false);
	}
	ktap_rec_free(&cr);
	free(full);
}

static void counts_str(const struct ktap_counts *c, char *buf, size_t size)
{
	const char *names[] = { "passed", "failed", "crashed", "skipped",
				"errors" };
	uint64_t v[] = { c->passed, c->failed, c->crashed, c->skipped,
			 c->errors };
	size_t o;
	int i, first = 1;

	o = (size_t)snprintf(buf, size, "Ran %llu tests: ",
			     (unsigned long long)ktap_count_total(c));
	for (i = 0; i < 5 && o < size; i++) {
		if (!v[i])
			continue;
		o += (size_t)snprintf(buf + o, size - o, "%s%s: %llu",
				      first ? "" : ", ", names[i],
				      (unsigned long long)v[i]);
		first = 0;
	}
}

static void human_head(const struct hp *h)
{
	o_put(h->f, report_timestamp(), TS_LEN);
	equals(h->f, DIVIDER_LEN);
	o_putc(h->f, '\n');
}

/* After the tree: divider, totals, failures, notes. */
static void human_tail(const struct hp *h, const struct report_opts *o)
{
	struct ktap_parser *p = h->p;
	struct out *f = h->f;
	enum ktap_status st = ktap_root_status(p);
	const struct ktap_stray *sv;
	uint32_t ns, total, i;
	bool fail;
	struct ktap_counts c;
	const char *color;
	char buf[256];

	if (ktap_root(p) == KTAP_NOFF)
		return;
	if (st == KTAP_FAILURE_TO_PARSE)
		error_line(h, "<missing>", 9, "Could not find any KTAP output."
			   " Did any KUnit tests run?");
	if (o && o->note)
		error_line(h, "main", 4, o->note);
	human_head(h);

	ktap_root_counts(p, &c);
	if (st == KTAP_SUCCESS)
		color = GREEN;
	else if (st == KTAP_SKIPPED || st == KTAP_NO_TESTS)
		color = YELLOW;
	else
		color = RED;
	snprintf(buf, sizeof(buf), "Testing complete. ");
	counts_str(&c, buf + strlen(buf), sizeof(buf) - strlen(buf));
	o_put(f, report_timestamp(), TS_LEN);
	colored(h, color, buf, strlen(buf));
	o_putc(f, '\n');

	if (!ok_status((uint8_t)st) && ktap_count_total(&c) >= 100 &&
	    st != KTAP_FAILURE_TO_PARSE) {
		struct failed fl = { .p = p };
		struct ktap_rec r = { 0 };

		if (ktap_read(p, ktap_root(p), &r))
			failed_names(&fl, &r, "", 0, true);
		if (fl.count && fl.count <= 10) {
			o_put(f, report_timestamp(), TS_LEN);
			if (h->color)
				o_puts(f, color);
			o_lit(f, "Failures: ");
			o_put(f, fl.buf, fl.len);
			if (h->color)
				o_puts(f, RESET);
			o_putc(f, '\n');
		}
		free(fl.buf);
		ktap_rec_free(&r);
	}

	sv = ktap_strays(p, &ns, &total);
	fail = ktap_strays_fail(p);
	for (i = 0; i < ns; i++) {
		const char *nl = memchr(sv[i].text, '\n', sv[i].len);

		o_put(f, report_timestamp(), TS_LEN);
		if (fail)
			colored(h, RED, "[CRASHED]", 9);
		else
			colored(h, YELLOW, "[NOTE]", 6);
		o_printf(f, " %s: %.*s\n",
			 sv[i].after ? "after the tests" : "outside any test",
			 (int)(nl ? nl - sv[i].text : (long)sv[i].len),
			 sv[i].text);
	}
	if (total > ns) {
		o_put(f, report_timestamp(), TS_LEN);
		if (fail)
			colored(h, RED, "[CRASHED]", 9);
		else
			colored(h, YELLOW, "[NOTE]", 6);
		o_printf(f, " %u more splats outside any test\n", total - ns);
	}
}

static void do_report_human(struct out *f, struct ktap_parser *p,
			    const struct report_opts *o)
{
	struct hp h = { .f = f, .p = p, .color = o && o->color };
	struct ktap_rec r = { 0 };

	human_head(&h);
	if (ktap_root(p) == KTAP_NOFF)
		return;
	if (ktap_root_status(p) != KTAP_FAILURE_TO_PARSE) {
		if (ktap_read(p, ktap_root(p), &r))
			print_test(&h, &r, false);
		else
			spool_error(&h);
	}
	ktap_rec_free(&r);
	human_tail(&h, o);
}

/* --------------------------------------------------- streamed summary */

struct report_stream {
	struct hp h;
	struct report_opts o;
	char *early[KTAP_MAX_DEPTH + 2];	/* name while subtests run */
	size_t early_len[KTAP_MAX_DEPTH + 2];
};

struct report_stream *report_stream_new(FILE *file,
					const struct report_opts *o)
{
	struct report_stream *s = calloc(1, sizeof(*s));

	if (!s)
		abort();
	s->h.f = o_open(file);
	s->h.color = o && o->color;
	if (o)
		s->o = *o;
	human_head(&s->h);
	if (s->o.live)
		o_flush(s->h.f);
	return s;
}

void report_stream_event(struct report_stream *s, struct ktap_parser *p,
			 enum ktap_event ev, const struct ktap_rec *r,
			 int depth)
{
	const struct hp *h = &s->h;

	s->h.p = p;
	if (depth < 0 || depth > KTAP_MAX_DEPTH)
		return;
	switch (ev) {
	case KTAP_EV_HEADER: {
		size_t n;
		const char *e = early_name(r, depth > 0, &n);

		print_pre(h, r, depth > 0);
		free(s->early[depth]);
		s->early[depth] = malloc(n + 1);
		if (!s->early[depth])
			abort();
		memcpy(s->early[depth], e, n);
		s->early_len[depth] = n;
		break;
	}
	case KTAP_EV_TEST_END:
		if ((r->flags & KTAP_N_PLACEHOLDER) && depth > 0)
			print_placeholder(h, s->early[depth - 1] ?
					  s->early[depth - 1] : "",
					  s->early_len[depth - 1], r);
		else
			print_post(h, r, depth > 0);
		break;
	default:
		return;
	}
	if (s->o.live)
		o_flush(s->h.f);
}

void report_stream_end(struct report_stream *s, struct ktap_parser *p)
{
	size_t i;

	s->h.p = p;
	human_tail(&s->h, &s->o);
	o_close(s->h.f);
	for (i = 0; i < KTAP_MAX_DEPTH + 2; i++)
		free(s->early[i]);
	free(s);
}

/* -------------------------------------------------------------- JSON */

static void json_str(struct out *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	o_putc(f, '"');
	while (i < n) {
		unsigned c = s[i], cp;
		size_t l;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			size_t j = i + 1;

			while (j < n && s[j] >= 0x20 && s[j] < 0x7f &&
			       s[j] != '"' && s[j] != '\\')
				j++;
			o_put(f, s + i, j - i);
			i = j;
			continue;
		}
		switch (c) {
		case '"':
			o_lit(f, "\\\"");
			i++;
			continue;
		case '\\':
			o_lit(f, "\\\\");
			i++;
			continue;
		case '\n':
			o_lit(f, "\\n");
			i++;
			continue;
		case '\r':
			o_lit(f, "\\r");
			i++;
			continue;
		case '\t':
			o_lit(f, "\\t");
			i++;
			continue;
		case '\b':
			o_lit(f, "\\b");
			i++;
			continue;
		case '\f':
			o_lit(f, "\\f");
			i++;
			continue;
		default:
			break;
		}
		/* the parser guarantees valid UTF-8 */
		if (c < 0x80) {
			cp = c;
			l = 1;
		} else if (c < 0xe0 && i + 1 < n) {
			cp = (c & 0x1f) << 6 | (s[i + 1] & 0x3f);
			l = 2;
		} else if (c < 0xf0 && i + 2 < n) {
			cp = (c & 0x0f) << 12 | (s[i + 1] & 0x3f) << 6 |
			     (s[i + 2] & 0x3f);
			l = 3;
		} else if (i + 3 < n) {
			cp = (c & 0x07) << 18 | (s[i + 1] & 0x3f) << 12 |
			     (s[i + 2] & 0x3f) << 6 | (s[i + 3] & 0x3f);
			l = 4;
		} else {
			cp = 0xfffd;
			l = 1;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			o_printf(f, "\\u%04x\\u%04x", 0xd800 | (cp >> 10),
				0xdc00 | (cp & 0x3ff));
		} else {
			o_printf(f, "\\u%04x", cp);
		}
		i += l;
	}
	o_putc(f, '"');
}

static void ind(struct out *f, int level)
{
	static const char sp[] = "                                ";
	size_t n = (size_t)level * 4;

	while (n) {
		size_t k = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;

		o_put(f, sp, k);
		n -= k;
	}
}

static const char *json_status(uint8_t s)
{
	switch (s) {
	case KTAP_SUCCESS:
		return "PASS";
	case KTAP_SKIPPED:
		return "SKIP";
	case KTAP_CRASHED:
		return "ERROR";
	default:
		return "FAIL";
	}
}

/*
 * The constant text around a test case at one level, built once:
 *	,\n<ind+2>{\n<ind+3>"name": NAME,\n<ind+3>"status": "S"\n<ind+2>}
 */
struct case_text {
	char open[8192], mid[4096], close[4096];
	size_t open_len, mid_len, close_len;
};

static size_t spaces(char *d, size_t room, int level)
{
	size_t n = (size_t)level * 4;

	if (n > room)
		n = room;
	memset(d, ' ', n);
	return n;
}

static void json_case_prefix(struct case_text *t, int lv)
{
	size_t k = 0;

	t->open[k++] = ',';
	t->open[k++] = '\n';
	k += spaces(t->open + k, 4080, lv + 2);
	memcpy(t->open + k, "{\n", 2);
	k += 2;
	k += spaces(t->open + k, 4080, lv + 3);
	memcpy(t->open + k, "\"name\": ", 8);
	t->open_len = k + 8;
	k = 0;
	t->mid[k++] = ',';
	t->mid[k++] = '\n';
	k += spaces(t->mid + k, 4080, lv + 3);
	memcpy(t->mid + k, "\"status\": \"", 11);
	t->mid_len = k + 11;
	k = 0;
	t->close[k++] = '"';
	t->close[k++] = '\n';
	k += spaces(t->close + k, 4080, lv + 2);
	t->close[k++] = '}';
	t->close_len = k;
}

static void json_group(struct out *f, struct ktap_parser *p,
		       const struct ktap_rec *r, int lv, bool top)
{
	struct ktap_rec cr = { 0 };
	struct case_text *pre = NULL;
	uint64_t c, next;
	bool any, leaves = false;

	o_lit(f, "{\n");
	ind(f, lv + 1);
	o_lit(f, "\"name\": ");
	if (top)
		o_lit(f, "\"KUnit Test Group\"");
	else
		json_str(f, r->name, r->name_len);
	o_lit(f, ",\n");

	ind(f, lv + 1);
	o_lit(f, "\"sub_groups\": [");
	any = false;
	for (c = r->first_child; c != KTAP_NOFF && c != r->children_end;
	     c = next) {
		bool kids;

		if (!ktap_skip(p, c, &next, &kids))
			break;
		if (!kids) {
			leaves = true;
			continue;
		}
		if (!ktap_read(p, c, &cr))
			break;
		o_puts(f, any ? ",\n" : "\n");
		ind(f, lv + 2);
		json_group(f, p, &cr, lv + 2, false);
		any = true;
	}
	if (any) {
		o_putc(f, '\n');
		ind(f, lv + 1);
	}
	o_lit(f, "],\n");

	ind(f, lv + 1);
	o_lit(f, "\"test_cases\": [");
	any = false;
	/* a second pass over the subtests only if some have none */
	for (c = leaves ? r->first_child : KTAP_NOFF;
	     c != KTAP_NOFF && c != r->children_end; c = next) {
		bool kids;

		if (!ktap_skip(p, c, &next, &kids))
			break;
		if (kids)
			continue;
		if (!ktap_read(p, c, &cr))
			break;
		if (!pre) {
			pre = malloc(sizeof(*pre));
			if (!pre)
				abort();
			json_case_prefix(pre, lv);
		}
		o_put(f, pre->open + (any ? 0 : 1),
		      pre->open_len - (any ? 0 : 1));
		json_str(f, cr.name, cr.name_len);
		o_put(f, pre->mid, pre->mid_len);
		o_puts(f, json_status(cr.status));
		o_put(f, pre->close, pre->close_len);
		any = true;
	}
	free(pre);
	ktap_rec_free(&cr);
	if (any) {
		o_putc(f, '\n');
		ind(f, lv + 1);
	}
	o_lit(f, "],\n");

	ind(f, lv + 1);
	o_lit(f, "\"arch\": \"\",\n");
	ind(f, lv + 1);
	o_lit(f, "\"defconfig\": \"\",\n");
	ind(f, lv + 1);
	o_lit(f, "\"build_environment\": \"\",\n");
	ind(f, lv + 1);
	o_lit(f, "\"lab_name\": null,\n");
	ind(f, lv + 1);
	o_lit(f, "\"kernel\": null,\n");
	ind(f, lv + 1);
	o_lit(f, "\"job\": null,\n");
	ind(f, lv + 1);
	o_lit(f, "\"git_branch\": \"kselftest\"\n");
	ind(f, lv);
	o_putc(f, '}');
}

static void do_report_json(struct out *f, struct ktap_parser *p)
{
	struct ktap_rec r = { 0 };

	if (ktap_root(p) == KTAP_NOFF || !ktap_read(p, ktap_root(p), &r))
		return;
	json_group(f, p, &r, 0, true);
	ktap_rec_free(&r);
}

/* ------------------------------------------------------------- JUnit */

static void xml_str(struct out *f, const char *str, size_t n, bool attr)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '&':
			o_lit(f, "&amp;");
			continue;
		case '<':
			o_lit(f, "&lt;");
			continue;
		case '>':
			o_lit(f, "&gt;");
			continue;
		case '"':
			o_lit(f, "&quot;");
			continue;
		case '\'':
			o_lit(f, "&apos;");
			continue;
		case '\n':
			o_puts(f, attr ? "&#10;" : "\n");
			continue;
		case '\t':
			o_puts(f, attr ? "&#9;" : "\t");
			continue;
		case '\r':
			o_lit(f, "&#13;");
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			/* not allowed in XML 1.0, even as a reference */
			o_printf(f, "\\x%02x", c);
			continue;
		}
		if (c == 0xef && i + 2 < n && s[i + 1] == 0xbf &&
		    (s[i + 2] == 0xbe || s[i + 2] == 0xbf)) {
			o_printf(f, "\\u%s", s[i + 2] == 0xbe ? "fffe" : "ffff");
			i += 2;
			continue;
		}
		o_putc(f, c);
	}
}

struct junit {
	struct out *f;
	struct ktap_parser *p;
	unsigned tests, failures, skipped;
	char *path;
	size_t path_len, path_cap;
};

static void path_push(struct junit *j, const char *s, size_t n)
{
	size_t need = j->path_len + n + 2;

	if (need > j->path_cap) {
		j->path_cap = need * 2;
		j->path = realloc(j->path, j->path_cap);
		if (!j->path)
			abort();
	}
	if (j->path_len)
		j->path[j->path_len++] = '.';
	memcpy(j->path + j->path_len, s, n);
	j->path_len += n;
}

static void junit_props(struct out *f, const char *s, size_t n,
			const char *ind)
{
	const char *end = s + n;

	o_printf(f, "%s<properties>\n", ind);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eq;

		if (!nl)
			nl = end;
		eq = memchr(s, '=', (size_t)(nl - s));
		if (eq) {
			o_printf(f, "%s  <property name=\"", ind);
			xml_str(f, s, (size_t)(eq - s), true);
			o_lit(f, "\" value=\"");
			xml_str(f, eq + 1, (size_t)(nl - eq - 1), true);
			o_lit(f, "\"/>\n");
		}
		s = nl + 1;
	}
	o_printf(f, "%s</properties>\n", ind);
}

/*
 * One <testcase>.  @self_crash: the crash of a test with subtests that
 * happened outside them (suite init/exit, an abrupt end).
 */
static void junit_case(struct junit *j, const struct ktap_rec *r,
		       bool self_crash, bool count_only)
{
	struct out *f = j->f;
	uint8_t st = self_crash ? KTAP_CRASHED : r->status;
	char alt[64];

	j->tests++;
	if (st == KTAP_SKIPPED || st == KTAP_NO_TESTS)
		j->skipped++;
	else if (st != KTAP_SUCCESS)
		j->failures++;
	if (count_only)
		return;

	o_lit(f, "    <testcase classname=\"");
	xml_str(f, j->path, j->path_len, true);
	o_lit(f, "\" name=\"");
	if (self_crash) {
		xml_str(f, r->name, r->name_len, true);
		o_lit(f, " [crash outside its subtests]");
	} else if (r->name_len) {
		xml_str(f, r->name, r->name_len, true);
	} else {
		snprintf(alt, sizeof(alt), "%s #%llu]",
			 r->flags & KTAP_N_PLACEHOLDER ? "[missing test" :
			 "[unnamed test", (unsigned long long)r->index);
		o_puts(f, alt);
	}
	o_lit(f, "\" time=\"0\"");
	if (st == KTAP_SUCCESS && !r->attrs_len) {
		o_lit(f, "/>\n");
		return;
	}
	o_lit(f, ">\n");
	if (r->attrs_len && !self_crash)
		junit_props(f, r->attrs, r->attrs_len, "      ");
	if (st == KTAP_SKIPPED || st == KTAP_NO_TESTS) {
		o_lit(f, "      <skipped message=\"");
		if (st == KTAP_NO_TESTS)
			o_lit(f, "no tests run");
		else if (r->reason_len)
			xml_str(f, r->reason, r->reason_len, true);
		else
			o_lit(f, "skipped");
		o_lit(f, "\"/>\n");
	} else if (st == KTAP_CRASHED) {
		const char *nl = r->splat_len ?
				 memchr(r->splat, '\n', r->splat_len) : NULL;

		o_lit(f, "      <failure type=\"crash\" message=\"crashed");
		if (nl) {
			o_lit(f, ": ");
			xml_str(f, r->splat, (size_t)(nl - r->splat), true);
		} else if (r->flags & KTAP_N_PLACEHOLDER) {
			o_lit(f, ": the test never reported a result");
		}
		o_lit(f, "\">");
		xml_str(f, r->splat, r->splat_len, false);
		if (r->log_len && !self_crash) {
			o_lit(f, "--- test log ---\n");
			xml_str(f, r->log, r->log_len, false);
		}
		o_lit(f, "</failure>\n");
	} else if (st != KTAP_SUCCESS) {
		o_lit(f, "      <failure type=\"failure\" message=\"failed\">");
		xml_str(f, r->log, r->log_len, false);
		o_lit(f, "</failure>\n");
	}
	o_lit(f, "    </testcase>\n");
}

/* Every test without subtests below r, plus crashes outside subtests. */
static void junit_walk(struct junit *j, const struct ktap_rec *r,
		       bool count_only)
{
	struct ktap_rec cr = { 0 };
	size_t saved = j->path_len;
	uint64_t c;

	path_push(j, r->name, r->name_len);
	if (r->flags & KTAP_N_SPLAT)
		junit_case(j, r, true, count_only);
	for (c = r->first_child; c != r->children_end; c = cr.next) {
		if (!ktap_read(j->p, c, &cr))
			break;
		if (cr.first_child != KTAP_NOFF)
			junit_walk(j, &cr, count_only);
		else
			junit_case(j, &cr, false, count_only);
	}
	ktap_rec_free(&cr);
	j->path_len = saved;
}

static void junit_suite_open(struct junit *j, const char *name, size_t nlen,
			     unsigned tests, unsigned failures,
			     unsigned skipped)
{
	o_lit(j->f, "  <testsuite name=\"");
	xml_str(j->f, name, nlen, true);
	o_printf(j->f, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" "
		"skipped=\"%u\" time=\"0\">\n", tests, failures, skipped);
}

static void do_report_junit(struct out *f, struct ktap_parser *p, const char *name)
{
	struct junit j = { .f = f, .p = p };
	struct ktap_rec r = { 0 }, cr = { 0 };
	unsigned tests = 0, failures = 0, skipped = 0;
	unsigned top_t = 0, top_f = 0, top_s = 0;
	bool missing = ktap_root_status(p) == KTAP_FAILURE_TO_PARSE;
	uint64_t c;

	if (!name)
		name = "ktap";
	o_lit(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	if (ktap_root(p) == KTAP_NOFF || !ktap_read(p, ktap_root(p), &r))
		return;

	/* totals first: attributes come before the children */
	for (c = r.first_child; c != KTAP_NOFF && c != r.children_end;
	     c = cr.next) {
		if (!ktap_read(p, c, &cr))
			break;
		j.tests = j.failures = j.skipped = 0;
		j.path_len = 0;
		if (cr.first_child != KTAP_NOFF) {
			junit_walk(&j, &cr, true);
		} else {
			junit_case(&j, &cr, false, true);
			top_t += j.tests;
			top_f += j.failures;
			top_s += j.skipped;
		}
		tests += j.tests;
		failures += j.failures;
		skipped += j.skipped;
	}
	if (missing)
		tests++, failures++;

	o_lit(f, "<testsuites name=\"");
	xml_str(f, name, strlen(name), true);
	o_printf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" "
		"skipped=\"%u\" time=\"0\">\n", tests, failures, skipped);

	if (missing) {
		junit_suite_open(&j, name, strlen(name), 1, 1, 0);
		o_puts(f, "    <testcase classname=\"ktap\" name=\"KTAP output\" "
		      "time=\"0\">\n      <failure type=\"error\" message=\""
		      "Could not find any KTAP output. Did any KUnit tests "
		      "run?\"/>\n    </testcase>\n  </testsuite>\n");
	}
	if (top_t) {
		/* tests without subtests at the top (kselftest, KTAP) */
		junit_suite_open(&j, name, strlen(name), top_t, top_f, top_s);
		j.path_len = 0;
		path_push(&j, name, strlen(name));
		for (c = r.first_child; c != KTAP_NOFF && c != r.children_end;
		     c = cr.next) {
			if (!ktap_read(p, c, &cr))
				break;
			if (cr.first_child == KTAP_NOFF)
				junit_case(&j, &cr, false, false);
		}
		o_lit(f, "  </testsuite>\n");
	}
	for (c = r.first_child; c != KTAP_NOFF && c != r.children_end;
	     c = cr.next) {
		if (!ktap_read(p, c, &cr))
			break;
		if (cr.first_child == KTAP_NOFF)
			continue;
		j.tests = j.failures = j.skipped = 0;
		j.path_len = 0;
		junit_walk(&j, &cr, true);
		junit_suite_open(&j, cr.name, cr.name_len, j.tests,
				 j.failures, j.skipped);
		if (cr.attrs_len)
			junit_props(f, cr.attrs, cr.attrs_len, "    ");
		j.path_len = 0;
		junit_walk(&j, &cr, false);
		o_lit(f, "  </testsuite>\n");
	}
	o_lit(f, "</testsuites>\n");
	ktap_rec_free(&r);
	ktap_rec_free(&cr);
	free(j.path);
}

/* ------------------------------------------------------------- stats */

static void do_report_stats(struct out *f, struct ktap_parser *p)
{
	struct ktap_counts c;
	uint32_t n, strays;

	ktap_root_counts(p, &c);
	/* With --fail-strays, splats outside every test are crashes too. */
	ktap_strays(p, &n, &strays);
	if (ktap_strays_fail(p))
		c.crashed += strays;
	o_printf(f, "passed=%llu failed=%llu skipped=%llu crashed=%llu "
		"errors=%llu\n", (unsigned long long)c.passed,
		(unsigned long long)c.failed, (unsigned long long)c.skipped,
		(unsigned long long)c.crashed, (unsigned long long)c.errors);
}

/* ---------------------------------------------------------- wrappers */

void report_divider(FILE *file, const char *msg, size_t msg_len,
		    size_t visible_len)
{
	struct out *f = o_open(file);

	do_report_divider(f, msg, msg_len, visible_len);
	o_close(f);
}

void report_human(FILE *file, struct ktap_parser *p,
		  const struct report_opts *o)
{
	struct out *f = o_open(file);

	do_report_human(f, p, o);
	o_close(f);
}

void report_json(FILE *file, struct ktap_parser *p)
{
	struct out *f = o_open(file);

	do_report_json(f, p);
	o_close(f);
}

void report_junit(FILE *file, struct ktap_parser *p, const char *name)
{
	struct out *f = o_open(file);

	do_report_junit(f, p, name);
	o_close(f);
}

void report_stats(FILE *file, struct ktap_parser *p)
{
	struct out *f = o_open(file);

	do_report_stats(f, p);
	o_close(f);
}
