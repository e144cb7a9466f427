// SPDX-License-Identifier: GPL-2.0
/*
 * ktap_test - ktap's own tests: unit tests for every parsing rule, a
 * golden test over every log of tools/testing/kunit/test_data/ with the
 * outcomes kunit_tool_test.py asserts, round trips (parse -> raw -> parse,
 * --json validity), reports and the runner.  Prints KTAP, ends with
 * "N passed, N failed".
 *
 *   ktap_test TEST_DATA_DIR KTAP_BINARY
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../ktap.h"
#include "../report.h"
#include "../tools/json.h"

static const char *testdata;
static const char *ktap_bin;
static char tmpdir[256];

static int cur_failed;
static unsigned npassed, nfailed;

#define CHECK(cond)							\
	do {								\
		if (!(cond))						\
			fail_at(__LINE__, "%s", #cond);			\
	} while (0)

#define CHECK_U(a, b)							\
	do {								\
		unsigned long long _a = (a), _b = (b);			\
		if (_a != _b)						\
			fail_at(__LINE__, "%s == %llu, expected %llu",	\
				#a, _a, _b);				\
	} while (0)

#define CHECK_S(a, b)							\
	do {								\
		const char *_a = (a), *_b = (b);			\
		if (!_a || strcmp(_a, _b))				\
			fail_at(__LINE__, "%s == \"%s\", expected \"%s\"", \
				#a, _a ? _a : "(null)", _b);		\
	} while (0)

static void fail_at(int line, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail_at(int line, const char *fmt, ...)
{
	va_list ap;

	printf("        # line %d: ", line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	cur_failed = 1;
}

/* ------------------------------------------------------------ helpers */

struct res {
	struct ktap_parser *p;
	char *raw;		/* isolated KTAP lines */
	size_t raw_len;
	FILE *raw_f;
};

static void on_raw(void *arg, const char *line, size_t len)
{
	struct res *r = arg;

	fwrite(line, 1, len, r->raw_f);
	fputc('\n', r->raw_f);
}

static void res_start(struct res *r, bool no_splat, bool keep_logs)
{
	struct ktap_opts o = { .no_splat = no_splat, .keep_logs = keep_logs,
			       .raw = on_raw, .arg = r };

	memset(r, 0, sizeof(*r));
	r->raw_f = open_memstream(&r->raw, &r->raw_len);
	r->p = ktap_new(&o);
}

static void res_end(struct res *r, const char *why)
{
	ktap_finish(r->p, why);
	fclose(r->raw_f);
	r->raw_f = NULL;
}

static void res_free(struct res *r)
{
	ktap_free(r->p);
	free(r->raw);
}

static void parse_mem(struct res *r, const char *text, size_t len,
		      bool no_splat)
{
	res_start(r, no_splat, false);
	ktap_feed(r->p, text, len);
	res_end(r, NULL);
}

static void parse_str(struct res *r, const char *text)
{
	parse_mem(r, text, strlen(text), false);
}

/* kunit.py's behaviour: no crash attribution */
static void parse_str_kunit(struct res *r, const char *text)
{
	parse_mem(r, text, strlen(text), true);
}

static char *data_path(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", testdata, name);
	return path;
}

static bool parse_file(struct res *r, const char *name, bool keep_logs)
{
	size_t len;
	char *text = json_slurp(data_path(name), &len);

	if (!text)
		return false;
	res_start(r, false, keep_logs);
	ktap_feed(r->p, text, len);
	res_end(r, NULL);
	free(text);
	return true;
}

static char *report(struct ktap_parser *p, int which)
{
	struct report_opts ro = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	switch (which) {
	case 0:
		report_human(f, p, &ro);
		break;
	case 1:
		report_json(f, p);
		break;
	case 2:
		report_junit(f, p, "t");
		break;
	default:
		report_stats(f, p);
		break;
	}
	fclose(f);
	return buf;
}

static char *human(struct ktap_parser *p)
{
	return report(p, 0);
}

static char *strip_stamps(char *h);

/* The human report without the "[HH:MM:SS] " stamps. */
static char *human_plain(struct ktap_parser *p)
{
	return strip_stamps(human(p));
}

static bool contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle);
}

/* The test at a path of child indexes ("", "0", "2.1"). */
static bool at(struct ktap_parser *p, const char *path, struct ktap_rec *r)
{
	uint64_t off = ktap_root(p);

	if (!ktap_read(p, off, r))
		return false;
	while (*path) {
		long i = strtol(path, (char **)&path, 10);
		uint64_t c;

		if (*path == '.')
			path++;
		c = r->first_child;
		if (c == KTAP_NOFF)
			return false;
		while (i-- > 0) {
			if (!ktap_read(p, c, r) || r->next == KTAP_NOFF)
				return false;
			c = r->next;
		}
		if (!ktap_read(p, c, r))
			return false;
	}
	return true;
}

static char *rec_name(const struct ktap_rec *r)
{
	static char buf[4][512];
	static int k;
	char *b = buf[k++ & 3];

	snprintf(b, 512, "%.*s", (int)r->name_len, r->name);
	return b;
}

static const char *name_at(struct ktap_parser *p, const char *path)
{
	struct ktap_rec r = { 0 };
	const char *n = at(p, path, &r) ? rec_name(&r) : NULL;

	ktap_rec_free(&r);
	return n;
}

static int status_at(struct ktap_parser *p, const char *path)
{
	struct ktap_rec r = { 0 };
	int s = at(p, path, &r) ? r.status : -1;

	ktap_rec_free(&r);
	return s;
}

static unsigned nchildren(struct ktap_parser *p, const char *path)
{
	struct ktap_rec r = { 0 };
	unsigned n = 0;
	uint64_t c, end;

	if (at(p, path, &r)) {
		end = r.children_end;
		for (c = r.first_child; c != KTAP_NOFF && c != end;
		     c = r.next) {
			if (!ktap_read(p, c, &r))
				break;
			n++;
		}
	}
	ktap_rec_free(&r);
	return n;
}

static bool log_at_contains(struct ktap_parser *p, const char *path,
			    const char *needle)
{
	struct ktap_rec r = { 0 };
	bool ok = at(p, path, &r) && r.log_len &&
		  memmem(r.log, r.log_len, needle, strlen(needle));

	ktap_rec_free(&r);
	return ok;
}

static bool splat_at_contains(struct ktap_parser *p, const char *path,
			      const char *needle)
{
	struct ktap_rec r = { 0 };
	bool ok = at(p, path, &r) && r.splat_len &&
		  memmem(r.splat, r.splat_len, needle, strlen(needle));

	ktap_rec_free(&r);
	return ok;
}

static struct ktap_counts counts(struct ktap_parser *p)
{
	struct ktap_counts c;

	ktap_root_counts(p, &c);
	return c;
}

#define CHECK_COUNTS(p, P, F, C, S, E)					\
	do {								\
		struct ktap_counts _c = counts(p);			\
		CHECK_U(_c.passed, P);					\
		CHECK_U(_c.failed, F);					\
		CHECK_U(_c.crashed, C);					\
		CHECK_U(_c.skipped, S);					\
		CHECK_U(_c.errors, E);					\
	} while (0)

static struct json *json_of(struct ktap_parser *p)
{
	char *s = report(p, 1);
	const char *err = NULL;
	size_t off = 0;
	struct json *j = json_parse(s, strlen(s), &err, &off);

	if (!j)
		fail_at(__LINE__, "invalid JSON: %s at %zu", err, off);
	free(s);
	return j;
}

/* json["sub_groups"][i]...["test_cases"][k] by a path like "g1.g0.c2" */
static const struct json *json_at(const struct json *j, const char *path)
{
	while (j && *path) {
		const struct json *a;
		char kind = *path++;
		long i = strtol(path, (char **)&path, 10);

		if (*path == '.')
			path++;
		a = json_get(j, kind == 'g' ? "sub_groups" : "test_cases");
		if (!a || a->type != J_ARRAY || i < 0 || (size_t)i >= a->n)
			return NULL;
		j = a->items[i];
	}
	return j;
}

static bool json_case_is(const struct json *j, const char *path,
			 const char *name, const char *status)
{
	const struct json *c = json_at(j, path);
	const struct json *n = json_get(c, "name"), *s = json_get(c,
								  "status");

	return c && c->n == 2 && n && n->type == J_STRING &&
	       !strcmp(n->str, name) && s && s->type == J_STRING &&
	       !strcmp(s->str, status);
}

/*
 * A small XML well-formedness check for the JUnit report: balanced
 * tags, quoted attributes, entities only of the five kinds or &#N;.
 */
static bool xml_ok(const char *s, char *why, size_t why_len)
{
	const char *stack[64];
	size_t stack_len[64];
	int depth = 0;

	if (strncmp(s, "<?xml ", 6)) {
		snprintf(why, why_len, "no XML declaration");
		return false;
	}
	s = strstr(s, "?>") + 2;
	while (*s) {
		if (*s == '&') {
			const char *e = strchr(s, ';');

			if (!e || !(!strncmp(s, "&amp;", 5) ||
				    !strncmp(s, "&lt;", 4) ||
				    !strncmp(s, "&gt;", 4) ||
				    !strncmp(s, "&quot;", 6) ||
				    !strncmp(s, "&apos;", 6) ||
				    !strncmp(s, "&#", 2))) {
				snprintf(why, why_len, "bad entity");
				return false;
			}
			s = e + 1;
			continue;
		}
		if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' &&
		    *s != '\r') {
			snprintf(why, why_len, "control character");
			return false;
		}
		if (*s == '>') {
			snprintf(why, why_len, "stray '>'");
			return false;
		}
		if (*s != '<') {
			s++;
			continue;
		}
		if (s[1] == '/') {
			const char *n = s + 2, *e = strchr(n, '>');

			if (!e || !depth || (size_t)(e - n) != stack_len[depth - 1] ||
			    strncmp(n, stack[depth - 1], stack_len[depth - 1])) {
				snprintf(why, why_len, "unbalanced </%.20s", n);
				return false;
			}
			depth--;
			s = e + 1;
			continue;
		}
		{
			const char *n = ++s, *e;
			bool in_q = false;

			while (*s && *s != ' ' && *s != '>' && *s != '/')
				s++;
			if (s == n || depth >= 64) {
				snprintf(why, why_len, "bad tag");
				return false;
			}
			for (e = s; *e && (in_q || *e != '>'); e++) {
				if (*e == '"')
					in_q = !in_q;
				else if (in_q && (*e == '<' || *e == '\n'))
					break;
			}
			if (*e != '>') {
				snprintf(why, why_len, "unterminated tag");
				return false;
			}
			if (e[-1] != '/') {
				stack[depth] = n;
				stack_len[depth++] = (size_t)(s - n);
			}
			s = e + 1;
		}
	}
	if (depth) {
		snprintf(why, why_len, "unclosed <%.20s", stack[depth - 1]);
		return false;
	}
	return true;
}

/* ------------------------------------------------------- extraction */

static void t_prefix_timestamps(void)
{
	struct res r;

	parse_str(&r, "[    0.000000] Linux version 6.12\n"
		  "[    1.234567] KTAP version 1\n"
		  "[    1.234567] 1..1\n"
		  "[    1.234568]     KTAP version 1\n"
		  "[    1.234568]     # Subtest: s\n"
		  "[    1.234568]     1..2\n"
		  "[    1.234569]     ok 1 a\n"
		  "[    1.234569]     ok 2 b\n"
		  "[    1.234570] ok 1 s\n");
	CHECK_U(ktap_root_status(r.p), KTAP_SUCCESS);
	CHECK_COUNTS(r.p, 2, 0, 0, 0, 0);
	CHECK_S(name_at(r.p, "0"), "s");
	CHECK_S(name_at(r.p, "0.1"), "b");
	CHECK(!strncmp(r.raw, "KTAP version 1\n1..1\n    KTAP version 1\n", 39));
	res_free(&r);
}

static void t_prefix_printk_caller(void)
{
	struct res r;

	parse_str(&r, "[    1.000000][    T1] KTAP version 1\n"
		  "[    1.000000][    T1] 1..1\n"
		  "[    1.000000][    T1] ok 1 only\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 0);
	CHECK_S(name_at(r.p, "0"), "only");
	res_free(&r);
}

static void t_prefix_utf8(void)
{
	struct res r;

	/* the prefix is counted in characters, like Python slicing */
	parse_str(&r, "\xc3\xa9\xc3\xa9 KTAP version 1\n"
		  "abc1..1\n"
		  "\xe2\x82\xac\xe2\x82\xac ok 1 \xc3\xa9t\xc3\xa9\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 0);
	CHECK_S(name_at(r.p, "0"), "\xc3\xa9t\xc3\xa9");
	res_free(&r);
}

static void t_noise_interleaved(void)
{
	struct res r;

	parse_str(&r, "boot noise\nmore noise: 1..3 ok 1 x\n"
		  "KTAP version 1\n1..2\n"
		  "random: crng init done\n"
		  "    # Subtest: s1\n"
		  "usb 1-1: new device\n"
		  "    1..1\n"
		  "EXT4-fs mounted\n"
		  "    ok 1 a\n"
		  "audit: something\n"
		  "ok 1 s1\n"
		  "ok 2 t2\n"
		  "trailing noise\n"
		  "ok 3 ignored_after_plan\n");
	CHECK_U(ktap_root_status(r.p), KTAP_SUCCESS);
	CHECK_COUNTS(r.p, 2, 0, 0, 0, 0);
	CHECK_U(nchildren(r.p, ""), 2);
	CHECK(ktap_done(r.p));
	res_free(&r);
}

static void t_end_markers(void)
{
	static const char *const markers[] = {
		"List of all partitions:",
		"Kernel panic - not syncing: VFS: Unable to mount root fs",
		"reboot: System halted",
	};
	size_t i;

	for (i = 0; i < 3; i++) {
		struct res r;
		char buf[512];

		snprintf(buf, sizeof(buf), "KTAP version 1\n"
			 "ok 1 a\n[ 1.0] %s\nok 2 b\n", markers[i]);
		parse_str_kunit(&r, buf);
		CHECK_COUNTS(r.p, 1, 0, 0, 0, 0);
		CHECK(!contains(r.raw, "ok 2 b"));
		res_free(&r);
	}
}

static void t_executor_error(void)
{
	struct res r;

	parse_str(&r, "noise\nkunit executor: error filtering suites: -12\n"
		  "more noise\n");
	CHECK_U(ktap_root_status(r.p), KTAP_NO_TESTS);
	CHECK_S(r.raw, "kunit executor: error filtering suites: -12\n");
	CHECK_U(ktap_exit_code(r.p, false), 2);
	res_free(&r);
}

static void t_no_ktap(void)
{
	struct res r;
	char *h;

	parse_str(&r, "Linux version 6.12\nno tests here\n");
	CHECK_U(ktap_root_status(r.p), KTAP_FAILURE_TO_PARSE);
	CHECK_COUNTS(r.p, 0, 0, 0, 0, 1);
	CHECK_U(ktap_exit_code(r.p, false), 2);
	h = human_plain(r.p);
	CHECK(contains(h, "[ERROR] Test: <missing>: Could not find any KTAP "
		       "output. Did any KUnit tests run?"));
	CHECK(contains(h, "Testing complete. Ran 0 tests: errors: 1"));
	free(h);
	res_free(&r);

	parse_str(&r, "");
	CHECK_U(ktap_root_status(r.p), KTAP_FAILURE_TO_PARSE);
	res_free(&r);
}

static void t_versions(void)
{
	struct res r;

	parse_str(&r, "TAP version 13\n1..1\nok 1 a\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 0);
	res_free(&r);
	parse_str(&r, "TAP version 14\n1..1\nok 1 a\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 0);
	res_free(&r);
	parse_str(&r, "KTAP version 2\n1..1\n  KTAP version 2\n"
		  "  # Subtest: s\n  1..1\n  ok 1 a\nok 1 s\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 0);
	res_free(&r);
	parse_str(&r, "KTAP version 3\n1..1\nok 1 a\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 1);
	res_free(&r);
	parse_str(&r, "TAP version 12\n1..1\nok 1 a\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 1);
	res_free(&r);
}

static void t_line_endings(void)
{
	struct res r;

	parse_str(&r, "KTAP version 1\r\n1..3\r\nok 1 a\r\nok 2 b\rok 3 c");
	CHECK_COUNTS(r.p, 3, 0, 0, 0, 0);
	CHECK_S(name_at(r.p, "2"), "c");
	res_free(&r);
	/* str.splitlines() also splits at \v \f \x1c \x1d \x1e U+0085 ... */
	parse_str(&r, "KTAP version 1\v1..4\fok 1 a\x1cok 2 b\x1d"
		  "ok 3 c\xc2\x85ok 4 d\xe2\x80\xa8");
	CHECK_COUNTS(r.p, 4, 0, 0, 0, 0);
	res_free(&r);
	/* trailing whitespace of every kind is stripped */
	parse_str(&r, "KTAP version 1 \t\n1..1\nok 1 a\xc2\xa0 \x1f\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 0);
	CHECK_S(name_at(r.p, "0"), "a");
	res_free(&r);
}

static void t_chunked_feed(void)
{
	static const char log[] = "[ 1.0] KTAP version 1\r\n[ 1.0] 1..2\r\n"
		"[ 1.0]   # Subtest: s\xc2\x85[ 1.0]   1..1\n"
		"[ 1.0]   ok 1 \xe2\x82\xac\xe2\x80\xa9[ 1.0] ok 1 s\n"
		"WARNING: x\n[ 1.0] not ok 2 t # SKIP y\n";
	struct res whole, r;
	char *a, *b;
	size_t i, step;

	parse_mem(&whole, log, sizeof(log) - 1, false);
	a = report(whole.p, 1);
	for (step = 1; step < 8; step++) {
		res_start(&r, false, false);
		for (i = 0; i < sizeof(log) - 1; i += step)
			ktap_feed(r.p, log + i, sizeof(log) - 1 - i < step ?
				  sizeof(log) - 1 - i : step);
		res_end(&r, NULL);
		b = report(r.p, 1);
		CHECK_S(b, a);
		CHECK_S(r.raw, whole.raw);
		free(b);
		res_free(&r);
	}
	free(a);
	res_free(&whole);
}

static void t_huge_line(void)
{
	size_t n = 3 * KTAP_LINE_MAX, len;
	char *buf = malloc(n + 200);
	struct res r;

	len = (size_t)sprintf(buf, "KTAP version 1\n1..2\nok 1 ");
	memset(buf + len, 'x', n);
	len += n;
	len += (size_t)sprintf(buf + len, "\nok 2 b\n");
	parse_mem(&r, buf, len, false);
	CHECK_COUNTS(r.p, 2, 0, 0, 0, 0);
	CHECK_S(name_at(r.p, "1"), "b");
	CHECK_U(strlen(name_at(r.p, "0")), 511);	/* rec_name() cut */
	res_free(&r);
	free(buf);
}

static void t_invalid_utf8(void)
{
	struct res r;
	struct json *j;

	parse_str(&r, "KTAP version 1\n1..1\nok 1 a\xff" "b\xe2\x82\n");
	CHECK_S(name_at(r.p, "0"), "a\\xffb\\xe2\\x82");
	j = json_of(r.p);
	CHECK(json_case_is(j, "c0", "a\\xffb\\xe2\\x82", "PASS"));
	json_free(j);
	res_free(&r);
}

/* -------------------------------------------------------- structure */

static void t_results(void)
{
	struct res r;

	parse_str(&r, "KTAP version 1\n1..8\n"
		  "ok 1 plain\n"
		  "not ok 2 - hyphen\n"
		  "ok 3 sk # SKIP no hardware\n"
		  "not ok 4 sk2 # SKIP\n"
		  "not ok 5 todo # TODO not yet\n"
		  "not ok 6 xf # XFAIL known\n"
		  "ok 7 diag # rcode=0\n"
		  "not ok 8 to # TIMEOUT 30 seconds\n");
	CHECK_S(name_at(r.p, "0"), "plain");
	CHECK_S(name_at(r.p, "1"), "hyphen");
	CHECK_U(status_at(r.p, "1"), KTAP_FAILURE);
	CHECK_U(status_at(r.p, "2"), KTAP_SKIPPED);
	CHECK_U(status_at(r.p, "3"), KTAP_SKIPPED);
	CHECK_U(status_at(r.p, "4"), KTAP_SUCCESS);
	CHECK_U(status_at(r.p, "5"), KTAP_SUCCESS);
	CHECK_S(name_at(r.p, "6"), "diag");
	CHECK_U(status_at(r.p, "7"), KTAP_FAILURE);
	CHECK_COUNTS(r.p, 4, 2, 0, 2, 0);
	{
		struct ktap_rec x = { 0 };

		CHECK(at(r.p, "2", &x) && x.reason_len == 11 &&
		      !memcmp(x.reason, "no hardware", 11));
		CHECK(at(r.p, "4", &x) && (x.flags & KTAP_N_DIRECTIVE));
		ktap_rec_free(&x);
	}
	res_free(&r);
}

static void t_result_regex_corners(void)
{
	struct res r;

	/* "ok 1 #x" and "ok 1 a#b" are not result lines (kunit.py) */
	parse_str(&r, "KTAP version 1\n1..2\nok 1 #x\nok 1 a#b\n"
		  "ok 1 - # SKIP\nok 2 s # a # SKIP b\n");
	CHECK_S(name_at(r.p, "0"), "-");
	CHECK_U(status_at(r.p, "0"), KTAP_SKIPPED);
	CHECK_S(name_at(r.p, "1"), "s # a");
	CHECK_U(status_at(r.p, "1"), KTAP_SKIPPED);
	res_free(&r);
}

static void t_subtest_nesting(void)
{
	struct res r;

	parse_str(&r, "KTAP version 1\n1..1\n"
		  "  KTAP version 1\n  # Subtest: l1\n  1..1\n"
		  "    KTAP version 1\n    # Subtest: l2\n    1..1\n"
		  "      KTAP version 1\n      1..1\n"
		  "        # Subtest: l4\n        1..2\n"
		  "          KTAP version 1\n          1..1\n"
		  "          not ok 1 leaf\n"
		  "        not ok 1 l5\n"
		  "        ok 2 l5b\n"
		  "      ok 1 l4\n"
		  "    not ok 1 l3\n"
		  "  ok 1 l2\n"
		  "ok 1 l1\n");
	CHECK_S(name_at(r.p, "0.0.0.0.0.0"), "leaf");
	CHECK_S(name_at(r.p, "0.0.0.0.0"), "l5");
	CHECK_S(name_at(r.p, "0.0.0"), "l3");
	CHECK_COUNTS(r.p, 1, 1, 0, 0, 0);
	CHECK_U(ktap_root_status(r.p), KTAP_FAILURE);
	res_free(&r);
}

static void t_parameterised(void)
{
	struct res r;

	/* kunit 6.12: parameterised tests have no plan */
	parse_str(&r, "KTAP version 1\n1..1\n"
		  "    KTAP version 1\n    # Subtest: s\n    1..2\n"
		  "        KTAP version 1\n        # Subtest: p\n"
		  "        ok 1 size=4096\n        not ok 2 size=8192\n"
		  "        ok 3 size=0 # SKIP nope\n"
		  "    # p.speed: slow\n"
		  "    # p: pass:1 fail:1 skip:1 total:3\n"
		  "    not ok 1 p\n"
		  "    ok 2 q\n"
		  "    # s: pass:1 fail:1 skip:0 total:2\n"
		  "not ok 1 s\n");
	CHECK_COUNTS(r.p, 2, 1, 0, 1, 0);
	CHECK_S(name_at(r.p, "0.0.1"), "size=8192");
	CHECK_U(nchildren(r.p, "0.0"), 3);
	{
		struct ktap_rec x = { 0 };

		CHECK(at(r.p, "0.0", &x) && x.attrs_len &&
		      memmem(x.attrs, x.attrs_len, "p.speed=slow", 12));
		ktap_rec_free(&x);
	}
	res_free(&r);
}

static void t_attributes(void)
{
	struct res r;
	char *x;
	char why[64];

	parse_str(&r, "KTAP version 1\n1..1\n"
		  "  KTAP version 1\n  # Subtest: s\n  # module: gpusvm\n"
		  "  1..1\n  # t.speed: slow\n  # speed: very_slow\n"
		  "  ok 1 t\nok 1 s\n");
	x = report(r.p, 2);
	CHECK(contains(x, "<property name=\"module\" value=\"gpusvm\"/>"));
	CHECK(contains(x, "<property name=\"t.speed\" value=\"slow\"/>"));
	CHECK(contains(x, "<property name=\"speed\" value=\"very_slow\"/>"));
	CHECK(xml_ok(x, why, sizeof(why)));
	free(x);
	res_free(&r);
}

static void t_failure_log_dedent(void)
{
	struct res r;
	char *h;

	/* kunit_tool_test.py test_show_test_output_on_failure */
	parse_str(&r, "\n\t\tKTAP version 1\n\t\t1..1\n\t\t  Test output.\n"
		  "\t\t    Indented more.\n\t\tnot ok 1 test1\n\t\t");
	CHECK_U(ktap_root_status(r.p), KTAP_FAILURE);
	h = human(r.p);
	CHECK(contains(h, "] Test output.\n"));
	CHECK(contains(h, "]   Indented more.\n"));
	CHECK(!contains(h, "not ok 1 test1"));
	free(h);
	res_free(&r);
}

static void t_summarize_failures(void)
{
	char *buf = malloc(1 << 16), *h;
	size_t o = 0;
	struct res r;
	int i;

	/* kunit_tool_test.py test_summarize_failures, >= 100 tests */
	o += (size_t)sprintf(buf + o, "KTAP version 1\n1..2\n"
			     "\t# Subtest: all_failed_suite\n\t1..2\n"
			     "\tnot ok 1 - test1\n\tnot ok 2 - test2\n"
			     "not ok 1 - all_failed_suite\n"
			     "\t# Subtest: some_failed_suite\n\t1..100\n");
	for (i = 1; i <= 100; i++)
		o += (size_t)sprintf(buf + o, "\t%s %d - test%d\n",
				     i == 2 ? "not ok" : "ok", i, i);
	o += (size_t)sprintf(buf + o, "not ok 2 - some_failed_suite\n");
	parse_mem(&r, buf, o, false);
	CHECK_U(ktap_root_status(r.p), KTAP_FAILURE);
	h = human(r.p);
	CHECK(contains(h, "Failures: all_failed_suite, some_failed_suite.test2"));
	free(h);
	res_free(&r);
	free(buf);
}

static void t_zero_tests(void)
{
	struct res r;
	char *h;

	/* kunit_tool_test.py test_exec_no_tests */
	parse_str(&r, "TAP version 14\n1..0\n");
	CHECK_U(ktap_root_status(r.p), KTAP_NO_TESTS);
	h = human(r.p);
	CHECK(contains(h, " 0 tests run!"));
	free(h);
	CHECK_U(ktap_exit_code(r.p, false), 2);
	res_free(&r);
}

/* ----------------------------------------------------------- errors */

static void t_missing_plan(void)
{
	struct res r;

	parse_str(&r, "KTAP version 1\n  # Subtest: s\n  ok 1 a\n  ok 2 b\n"
		  "ok 1 s\nok 2 t\n");
	CHECK_COUNTS(r.p, 3, 0, 0, 0, 0);
	CHECK_U(ktap_root_status(r.p), KTAP_SUCCESS);
	res_free(&r);
}

static void t_fewer_than_planned(void)
{
	struct res r;
	char *h;

	parse_str(&r, "KTAP version 1\n1..1\n  # Subtest: s\n  1..4\n"
		  "  ok 1 a\n  ok 2 b\nok 1 s\n");
	CHECK_COUNTS(r.p, 2, 0, 2, 0, 2);
	CHECK_U(ktap_root_status(r.p), KTAP_CRASHED);
	CHECK_U(status_at(r.p, "0.2"), KTAP_CRASHED);
	CHECK_S(name_at(r.p, "0.3"), "");
	h = human_plain(r.p);
	CHECK(contains(h, "[ERROR] Test: s: missing expected subtest!\n"
		       "[CRASHED] \n"));
	free(h);
	res_free(&r);
}

static void t_more_than_planned(void)
{
	struct res r;

	parse_str(&r, "KTAP version 1\n1..1\n  # Subtest: s\n  1..2\n"
		  "  ok 1 a\n  ok 2 b\n  ok 3 c\nok 1 s\n");
	CHECK_COUNTS(r.p, 2, 0, 0, 0, 1);
	CHECK_U(nchildren(r.p, "0"), 2);
	res_free(&r);
}

static void t_wrong_numbers(void)
{
	struct res r;
	char *h;

	parse_str(&r, "KTAP version 1\n1..3\nok 1 a\nok 3 b\nok 3 c\n");
	CHECK_COUNTS(r.p, 3, 0, 0, 0, 1);
	h = human_plain(r.p);
	CHECK(contains(h, "[ERROR] Test: b: Expected test number 2 but found 3"));
	free(h);
	res_free(&r);
	parse_str(&r, "KTAP version 1\n1..2\nok 1 a\nok 1 b\n");
	CHECK_COUNTS(r.p, 2, 0, 0, 0, 1);
	res_free(&r);
}

static void t_unfinished_block(void)
{
	struct res r;

	/* no plans: kunit.py calls this a success; the suite crashed */
	parse_str(&r, "KTAP version 1\n  # Subtest: s\n  ok 1 a\n");
	CHECK_U(status_at(r.p, "0"), KTAP_CRASHED);
	CHECK_COUNTS(r.p, 1, 0, 1, 0, 1);
	CHECK(splat_at_contains(r.p, "0", "output ended while the test "
				"was running"));
	res_free(&r);
	parse_str_kunit(&r, "KTAP version 1\n  # Subtest: s\n  ok 1 a\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 1);
	CHECK_U(ktap_root_status(r.p), KTAP_SUCCESS);
	res_free(&r);
}

static void t_stray_plan(void)
{
	struct res r;

	/* kunit.py loops forever on this one; we must not */
	parse_str(&r, "KTAP version 1\nok 1 a\n1..5\nok 2 b\n");
	CHECK_COUNTS(r.p, 2, 0, 0, 0, 1);
	res_free(&r);
	/* with a plan kunit.py crashes the rest of the block */
	parse_str(&r, "KTAP version 1\n1..3\nok 1 a\n1..5\nok 2 b\n");
	CHECK_COUNTS(r.p, 1, 0, 2, 0, 0);
	res_free(&r);
}

static void t_too_deep(void)
{
	size_t cap = 1 << 20, o = 0;
	char *buf = malloc(cap);
	struct res r;
	int i;

	o += (size_t)sprintf(buf, "KTAP version 1\n1..1\n");
	for (i = 0; i < KTAP_MAX_DEPTH + 50; i++)
		o += (size_t)sprintf(buf + o, "%*sKTAP version 1\n%*s1..1\n",
				     2 * (i + 1), "", 2 * (i + 1), "");
	o += (size_t)sprintf(buf + o, "ok 1 leaf\n");
	for (i = 0; i < KTAP_MAX_DEPTH + 50; i++)
		o += (size_t)sprintf(buf + o, "ok 1 up%d\n", i);
	parse_mem(&r, buf, o, false);
	CHECK(counts(r.p).errors >= 1);
	CHECK(ktap_root(r.p) != KTAP_NOFF);
	res_free(&r);
	free(buf);
}

static void t_huge_plan(void)
{
	struct res r;
	time_t t0 = time(NULL);

	parse_str(&r, "KTAP version 1\n1..99999999999\nok 1 a\n");
	CHECK_U(counts(r.p).crashed, 99999999998ull);
	CHECK_U(counts(r.p).errors, 99999999998ull);
	CHECK_U(nchildren(r.p, ""), KTAP_MAX_PLACEHOLDERS + 1);
	CHECK(time(NULL) - t0 < 10);
	res_free(&r);
}

/* ------------------------------------------------------------ crashes */

static void t_splat_in_ok_test(void)
{
	struct res r;

	parse_str(&r, "KTAP version 1\n1..1\n  # Subtest: s\n  1..2\n"
		  "  ok 1 a\n"
		  "------------[ cut here ]------------\n"
		  "WARNING: CPU: 1 PID: 9 at drivers/gpu/drm/x.c:1 f+0x1/0x9\n"
		  "Call Trace:\n"
		  "---[ end trace 0000000000000000 ]---\n"
		  "  ok 2 b\nok 1 s\n");
	CHECK_U(status_at(r.p, "0.1"), KTAP_CRASHED);
	CHECK_U(status_at(r.p, "0.0"), KTAP_SUCCESS);
	CHECK_U(status_at(r.p, "0"), KTAP_CRASHED);
	CHECK_U(ktap_root_status(r.p), KTAP_CRASHED);
	CHECK_COUNTS(r.p, 1, 0, 1, 0, 0);
	CHECK(splat_at_contains(r.p, "0.1", "WARNING: CPU: 1"));
	CHECK(splat_at_contains(r.p, "0.1", "end trace"));
	CHECK_U(ktap_exit_code(r.p, false), 1);
	res_free(&r);
	/* kunit.py's view */
	parse_str_kunit(&r, "KTAP version 1\n1..1\nok 1 a\nBUG: x\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 0);
	res_free(&r);
}

static void t_splat_kinds(void)
{
	static const char *const splats[] = {
		"Oops: general protection fault, probably for non-canonical",
		"BUG: kernel NULL pointer dereference, address: 0000000000000008",
		"BUG: KASAN: slab-use-after-free in drm_gpusvm_range_remove",
		"UBSAN: shift-out-of-bounds in drivers/gpu/drm/drm_gpusvm.c:1",
		"WARNING: possible circular locking dependency detected",
		"WARNING: inconsistent lock state",
		"WARNING: possible recursive locking detected",
		"WARNING: suspicious RCU usage",
		"BUG: sleeping function called from invalid context at x.c:2",
		"kmemleak: unreferenced object 0xffff888100a0b000 (size 64):",
		"kmemleak: 2 new suspected memory leaks",
		"Kernel panic - not syncing: Fatal exception",
		"rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
		"INFO: task kworker/0:1:12 blocked for more than 120 seconds.",
		"Internal error: Oops: 0000000096000004 [#1] PREEMPT SMP",
		"KFENCE: use-after-free read in test_use_after_free_read",
		"watchdog: BUG: soft lockup - CPU#0 stuck for 22s!",
	};
	size_t i;

	for (i = 0; i < sizeof(splats) / sizeof(splats[0]); i++) {
		struct res r;
		char buf[512];

		snprintf(buf, sizeof(buf), "KTAP version 1\n1..2\nok 1 a\n"
			 "[   12.345678] %s\nok 2 b\n", splats[i]);
		parse_str(&r, buf);
		if (status_at(r.p, "1") != KTAP_CRASHED)
			fail_at(__LINE__, "not a crash: %s", splats[i]);
		CHECK(splat_at_contains(r.p, "1", splats[i]));
		res_free(&r);
	}
}

static void t_splat_not_kmemleak_status(void)
{
	static const char *const quiet[] = {
		"kmemleak: Kernel memory leak detector disabled",
		"kmemleak: Kernel memory leak detector initialized (mem pool available: 15678)",
	};
	size_t i;

	/* kmemleak's status at boot is no report; its leak reports are */
	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		struct res r;
		char buf[512];

		snprintf(buf, sizeof(buf), "KTAP version 1\n1..1\n"
			 "[    0.512345] %s\nok 1 a\n", quiet[i]);
		parse_str(&r, buf);
		CHECK_COUNTS(r.p, 1, 0, 0, 0, 0);
		res_free(&r);
	}
}

static void t_splat_not_diag(void)
{
	struct res r;

	/* test output ("# ...") mentioning WARNING: is not a splat */
	parse_str(&r, "KTAP version 1\n1..1\n"
		  "# a: EXPECTATION FAILED: WARNING: expected\nok 1 a\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 0);
	res_free(&r);
}

static void t_splat_not_program_output(void)
{
	struct res r;

	/* a program's own "WARNING:" mid-line (IGT's igt_warn) is not a splat */
	parse_str(&r, "KTAP version 1\n1..1\n"
		  "(xe_exec_system_allocator:44) WARNING: pf_count(4) != 5\n"
		  "[ 1.0] (prog:1) BUG: not the kernel\nok 1 a\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 0);
	res_free(&r);
}

static void t_splat_time_stamped_and_glued(void)
{
	struct res r;

	/* time stamp and caller id before the report: still a splat */
	parse_str(&r, "KTAP version 1\n1..2\n"
		  "[    1.5] [    T1] WARNING: CPU: 0 PID: 1 at x.c:1 f\nok 1 a\n"
		  "partial program outputCall Trace:\nok 2 b\n");
	CHECK_COUNTS(r.p, 0, 0, 2, 0, 0);
	res_free(&r);
}

static void t_splat_between_suites(void)
{
	struct res r;

	parse_str(&r, "KTAP version 1\n1..2\n  # Subtest: s1\n  1..1\n"
		  "  ok 1 a\nok 1 s1\n"
		  "BUG: KASAN: use-after-free in s2_init\n"
		  "  # Subtest: s2\n  1..1\n  ok 1 b\nok 2 s2\n");
	CHECK_U(status_at(r.p, "0"), KTAP_SUCCESS);
	CHECK_U(status_at(r.p, "1"), KTAP_CRASHED);
	CHECK_U(status_at(r.p, "1.0"), KTAP_SUCCESS);
	CHECK_COUNTS(r.p, 2, 0, 1, 0, 0);
	CHECK(splat_at_contains(r.p, "1", "s2_init"));
	res_free(&r);
}

static void t_splat_in_suite_exit(void)
{
	struct res r;
	char *x, why[64];

	parse_str(&r, "KTAP version 1\n1..1\n  # Subtest: s1\n  1..1\n"
		  "  ok 1 a\nWARNING: CPU: 0 PID: 1 at s1_exit\nok 1 s1\n");
	CHECK_U(status_at(r.p, "0"), KTAP_CRASHED);
	CHECK_U(status_at(r.p, "0.0"), KTAP_SUCCESS);
	CHECK_COUNTS(r.p, 1, 0, 1, 0, 0);
	x = report(r.p, 2);
	CHECK(contains(x, "name=\"s1 [crash outside its subtests]\""));
	CHECK(xml_ok(x, why, sizeof(why)));
	free(x);
	res_free(&r);
}

static void t_splat_param_depth(void)
{
	struct res r;

	parse_str(&r, "KTAP version 1\n1..1\n    # Subtest: s\n    1..1\n"
		  "        KTAP version 1\n        # Subtest: p\n"
		  "        ok 1 x\n"
		  "[  5.0] BUG: KASAN: out-of-bounds in p\n"
		  "        ok 2 y\n        ok 3 z\n"
		  "    ok 1 p\nok 1 s\n");
	CHECK_U(status_at(r.p, "0.0.1"), KTAP_CRASHED);
	CHECK_U(status_at(r.p, "0.0.2"), KTAP_SUCCESS);
	CHECK_U(status_at(r.p, "0.0"), KTAP_CRASHED);
	CHECK_U(status_at(r.p, "0"), KTAP_CRASHED);
	CHECK_COUNTS(r.p, 2, 0, 1, 0, 0);
	res_free(&r);
}

static void t_splat_stray(void)
{
	struct res r;
	uint32_t n, total;
	const struct ktap_stray *s;
	char *h;

	parse_str(&r, "WARNING: CPU: 0 at boot\nKTAP version 1\n1..1\n"
		  "ok 1 a\nBUG: at shutdown\n");
	CHECK_COUNTS(r.p, 1, 0, 0, 0, 0);
	CHECK_U(ktap_root_status(r.p), KTAP_SUCCESS);
	s = ktap_strays(r.p, &n, &total);
	CHECK_U(n, 2);
	CHECK(n == 2 && !s[0].after && s[1].after);
	h = human(r.p);
	CHECK(contains(h, "[NOTE] after the tests: BUG: at "
		       "shutdown"));
	free(h);
	/* By default they are notes: kunit.py ignores them too. */
	CHECK_U(ktap_exit_code(r.p, false), 0);
	res_free(&r);
}

static void t_splat_stray_fail(void)
{
	struct ktap_opts o = { .fail_strays = true };
	struct ktap_parser *p = ktap_new(&o);
	const char *text = "WARNING: CPU: 0 at boot\nKTAP version 1\n1..1\n"
			   "ok 1 a\n";
	char *h, *s;

	ktap_feed(p, text, strlen(text));
	ktap_finish(p, NULL);
	/* The tests passed, the run did not: the kernel splatted at boot. */
	CHECK_U(ktap_root_status(p), KTAP_SUCCESS);
	CHECK_U(ktap_exit_code(p, false), 1);
	s = report(p, 3);
	CHECK(contains(s, "passed=1 failed=0 skipped=0 crashed=1 errors=0"));
	h = human(p);
	CHECK(contains(h, "[CRASHED] outside any test: WARNING: CPU: 0 at boot"));
	free(s);
	free(h);
	ktap_free(p);
}

static void t_panic_mid_test(void)
{
	struct res r;

	parse_str(&r, "[ 1.0] KTAP version 1\n[ 1.0] 1..2\n"
		  "[ 1.0]   # Subtest: s\n[ 1.0]   1..3\n[ 1.0]   ok 1 a\n"
		  "[ 1.0] Oops: 0002 [#1] PREEMPT SMP\n"
		  "[ 1.0] RIP: 0010:drm_gpusvm_range_find+0x10/0x40\n"
		  "[ 1.0] Kernel panic - not syncing: Fatal exception\n");
	/* kunit.py: 2 + 1 placeholders; the excerpt goes to the first */
	CHECK_COUNTS(r.p, 1, 0, 3, 0, 4);
	CHECK_U(status_at(r.p, "0.1"), KTAP_CRASHED);
	CHECK(splat_at_contains(r.p, "0.1", "RIP: 0010:drm_gpusvm"));
	CHECK(splat_at_contains(r.p, "0.1", "Oops: 0002"));
	res_free(&r);
}

static void t_abrupt_end_param(void)
{
	struct res r;

	/* the running parameterised test crashes; counted once */
	parse_str(&r, "KTAP version 1\n1..1\n  # Subtest: s\n  1..2\n"
		  "    KTAP version 1\n    # Subtest: p\n    ok 1 x\n");
	CHECK_U(status_at(r.p, "0.0"), KTAP_CRASHED);
	CHECK_COUNTS(r.p, 1, 0, 1, 0, 3);
	res_free(&r);
}

static void t_abrupt_end_why(void)
{
	struct res r;

	res_start(&r, false, false);
	ktap_feed(r.p, "KTAP version 1\n1..2\nok 1 a\n", 26);
	res_end(&r, "timed out after 5 s");
	CHECK(splat_at_contains(r.p, "1", "timed out after 5 s"));
	CHECK_COUNTS(r.p, 1, 0, 1, 0, 1);
	res_free(&r);
}

/* ------------------------------------------------------------ reports */

static void t_stats_line(void)
{
	struct res r;
	char *s;

	parse_str(&r, "KTAP version 1\n1..4\nok 1 a\nnot ok 2 b\n"
		  "ok 3 c # SKIP\nBUG: boom\nok 4 d\n");
	s = report(r.p, 3);
	CHECK_S(s, "passed=1 failed=1 skipped=1 crashed=1 errors=0\n");
	free(s);
	res_free(&r);
}

static void t_totals_line(void)
{
	struct res r;
	char *h;

	parse_str(&r, "KTAP version 1\n1..5\nok 1 a\nnot ok 2 b\n"
		  "ok 3 c # SKIP\nok 4 d\n");
	h = human_plain(r.p);
	CHECK(contains(h, "\nTesting complete. Ran 5 tests: passed: 2, "
		       "failed: 1, crashed: 1, skipped: 1, errors: 1\n"));
	free(h);
	res_free(&r);
}

static void t_json_exact(void)
{
	static const char want[] =
		"{\n"
		"    \"name\": \"KUnit Test Group\",\n"
		"    \"sub_groups\": [\n"
		"        {\n"
		"            \"name\": \"s \\\"q\\\" \\\\ \\u00e9\\ud83d\\ude00\","
		"\n"
		"            \"sub_groups\": [],\n"
		"            \"test_cases\": [\n"
		"                {\n"
		"                    \"name\": \"a\\tb\\u007f\",\n"
		"                    \"status\": \"SKIP\"\n"
		"                }\n"
		"            ],\n"
		"            \"arch\": \"\",\n"
		"            \"defconfig\": \"\",\n"
		"            \"build_environment\": \"\",\n"
		"            \"lab_name\": null,\n"
		"            \"kernel\": null,\n"
		"            \"job\": null,\n"
		"            \"git_branch\": \"kselftest\"\n"
		"        }\n"
		"    ],\n"
		"    \"test_cases\": [],\n"
		"    \"arch\": \"\",\n"
		"    \"defconfig\": \"\",\n"
		"    \"build_environment\": \"\",\n"
		"    \"lab_name\": null,\n"
		"    \"kernel\": null,\n"
		"    \"job\": null,\n"
		"    \"git_branch\": \"kselftest\"\n"
		"}";
	struct res r;
	char *s;

	parse_str(&r, "KTAP version 1\n1..1\n"
		  "  # Subtest: s \"q\" \\ \xc3\xa9\xf0\x9f\x98\x80\n  1..1\n"
		  "  ok 1 a\tb\x7f # SKIP\n"
		  "ok 1 s \"q\" \\ \xc3\xa9\xf0\x9f\x98\x80\n");
	s = report(r.p, 1);
	CHECK_S(s, want);
	free(s);
	res_free(&r);
}

static void t_junit_escaping(void)
{
	struct res r;
	char *x, why[64];

	parse_str(&r, "KTAP version 1\n1..1\n  # Subtest: s<&>\"'\n  1..3\n"
		  "  # t: bad \x01 <b>&amp;\n  not ok 1 t<&>\"'\n"
		  "  ok 2 u # SKIP why <not>\n"
		  "BUG: KASAN: <x> & \"y\"\n  ok 3 v\n"
		  "ok 1 s<&>\"'\n");
	x = report(r.p, 2);
	CHECK(xml_ok(x, why, sizeof(why)));
	if (!xml_ok(x, why, sizeof(why)))
		printf("        # %s\n", why);
	CHECK(contains(x, "<testsuite name=\"s&lt;&amp;&gt;&quot;&apos;\" "
		       "tests=\"3\" failures=\"2\" errors=\"0\" skipped=\"1\""));
	CHECK(contains(x, "<skipped message=\"why &lt;not&gt;\"/>"));
	CHECK(contains(x, "bad \\x01 &lt;b&gt;&amp;amp;"));
	CHECK(contains(x, "type=\"crash\" message=\"crashed: BUG: KASAN: "
		       "&lt;x&gt; &amp; &quot;y&quot;\""));
	free(x);
	res_free(&r);
}

static void t_junit_missing_and_empty(void)
{
	struct res r;
	char *x, why[64];

	parse_str(&r, "nothing\n");
	x = report(r.p, 2);
	CHECK(xml_ok(x, why, sizeof(why)));
	CHECK(contains(x, "failures=\"1\""));
	free(x);
	res_free(&r);
	parse_str(&r, "TAP version 13\n1..2\nok 1 k1\nnot ok 2 k2\n");
	x = report(r.p, 2);
	CHECK(xml_ok(x, why, sizeof(why)));
	CHECK(contains(x, "<testsuite name=\"t\" tests=\"2\" failures=\"1\""));
	free(x);
	res_free(&r);
}

static void t_exit_codes(void)
{
	static const struct {
		const char *log;
		int code;
	} cases[] = {
		{ "KTAP version 1\n1..1\nok 1 a\n", 0 },
		{ "KTAP version 1\n1..1\nok 1 a # SKIP\n", 0 },
		{ "KTAP version 1\n1..1\nnot ok 1 a\n", 1 },
		{ "KTAP version 1\n1..2\nok 1 a\n", 1 },
		{ "KTAP version 1\n1..0\n", 2 },
		{ "no ktap\n", 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct res r;

		parse_str(&r, cases[i].log);
		CHECK_U(ktap_exit_code(r.p, false), cases[i].code);
		res_free(&r);
	}
	{
		struct res r;

		parse_str(&r, "KTAP version 1\n1..2\nok 1 a\nok 3 b\n");
		CHECK_U(ktap_exit_code(r.p, false), 0);
		CHECK_U(ktap_exit_code(r.p, true), 1);
		res_free(&r);
	}
}

static void t_spool_file(void)
{
	/* enough tests that the spool moves to a temporary file */
	size_t cap = 8 << 20, o = 0;
	char *buf = malloc(cap), *j1, *j2;
	struct res r, again;
	int i;

	o += (size_t)sprintf(buf, "KTAP version 1\n1..200\n");
	for (i = 1; i <= 200; i++) {
		int k;

		o += (size_t)sprintf(buf + o, "  # Subtest: suite_%d\n"
				     "  1..300\n", i);
		for (k = 1; k <= 300; k++)
			o += (size_t)sprintf(buf + o,
					     "  %s %d t_%d_%d_long_enough\n",
					     k % 97 ? "ok" : "not ok", k, i, k);
		o += (size_t)sprintf(buf + o, "ok %d suite_%d\n", i, i);
	}
	parse_mem(&r, buf, o, false);
	CHECK(ktap_spool_size(r.p) > KTAP_SPOOL_MEM);
	CHECK_COUNTS(r.p, 200 * 297, 200 * 3, 0, 0, 0);
	CHECK_S(name_at(r.p, "199.299"), "t_200_300_long_enough");
	j1 = report(r.p, 1);
	parse_mem(&again, r.raw, r.raw_len, false);
	j2 = report(again.p, 1);
	CHECK(j1 && j2 && !strcmp(j1, j2));
	free(j1);
	free(j2);
	res_free(&again);
	res_free(&r);
	free(buf);
}

/* -------------------------------------------------------------- golden */

struct golden {
	const char *log;
	enum ktap_status status;
	uint64_t p, f, c, s, e;
	int exit;
	void (*extra)(struct res *r);
	const char *source;
};

static void g_resource_name(struct res *r)
{
	CHECK_S(name_at(r->p, "0"), "kunit-resource-test");
}

static void g_insufficient(struct res *r)
{
	char *h = human(r->p);

	CHECK_U(nchildren(r->p, ""), 0);
	CHECK(contains(h, "Could not find any KTAP output."));
	free(h);
}

static void g_nested(struct res *r)
{
	struct json *j = json_of(r->p);

	CHECK(json_case_is(j, "g0.g0.c0", "example_simple_test", "PASS"));
	json_free(j);
}

static void g_failure(struct res *r)
{
	struct json *j = json_of(r->p);

	CHECK(json_case_is(j, "g1.c0", "example_simple_test", "FAIL"));
	json_free(j);
}

static void g_no_tests_no_plan(struct res *r)
{
	CHECK_U(nchildren(r->p, "0.0"), 0);
	CHECK_U(status_at(r->p, "0.0"), KTAP_NO_TESTS);
}

static void g_no_header(struct res *r)
{
	CHECK_U(nchildren(r->p, ""), 0);
}

static void g_with_header(struct res *r)
{
	struct json *j = json_of(r->p);
	const struct json *sg = json_get(j, "sub_groups");

	CHECK_U(nchildren(r->p, ""), 0);
	CHECK(sg && sg->type == J_ARRAY && sg->n == 0);
	json_free(j);
}

static void g_panic(struct res *r)
{
	struct json *j = json_of(r->p);

	g_resource_name(r);
	CHECK(json_case_is(j, "g2.c1", "", "ERROR"));
	json_free(j);
}

static void g_isolated(struct res *r)
{
	static const char *const lines[] = {
		"TAP version 14\n", "# Subtest: example\n", "1..2\n",
		"ok 1 - example_simple_test\n", "ok 2 - example_mock_test\n",
		"ok 1 - example\n",
	};
	size_t i;

	for (i = 0; i < 6; i++)
		CHECK(contains(r->raw, lines[i]));
}

static void g_pound(struct res *r)
{
	static const char *const lines[] = {
		"TAP version 14", "# Subtest: kunit-resource-test", "1..5",
		"ok 1 - kunit_resource_test_init_resources",
		"ok 2 - kunit_resource_test_alloc_resource",
		"ok 3 - kunit_resource_test_destroy_resource",
		"foo bar \t#",
		"ok 4 - kunit_resource_test_cleanup_resources",
		"ok 5 - kunit_resource_test_proper_free_ordering",
		"ok 1 - kunit-resource-test", "foo bar \t# non-kunit output",
		"# Subtest: kunit-try-catch-test", "1..2",
		"ok 1 - kunit_test_try_catch_successful_try_no_catch",
		"ok 2 - kunit_test_try_catch_unsuccessful_try_does_catch",
		"ok 2 - kunit-try-catch-test", "# Subtest: string-stream-test",
		"1..3", "ok 1 - string_stream_test_empty_on_creation",
		"ok 2 - string_stream_test_not_empty_after_add",
		"ok 3 - string_stream_test_get_string",
		"ok 3 - string-stream-test",
	};
	size_t i;

	g_resource_name(r);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		CHECK(contains(r->raw, lines[i]));
}

static void g_attributes(struct res *r)
{
	char *h = human(r->p);

	CHECK(contains(h, "suite (1 subtest)"));
	CHECK(log_at_contains(r->p, "0", "# module: example"));
	CHECK(log_at_contains(r->p, "0.0", "# test.speed: slow"));
	free(h);
}

static void g_ktap_output(struct res *r)
{
	CHECK_S(name_at(r->p, "0"), "suite");
	CHECK_S(name_at(r->p, "0.0"), "case_1");
	CHECK_S(name_at(r->p, "0.1"), "case_2");
}

static void g_subtest_header(struct res *r)
{
	char *h = human(r->p);

	CHECK(contains(h, "suite (1 subtest)"));
	free(h);
}

static void g_skip(struct res *r)
{
	struct json *j = json_of(r->p);

	CHECK(json_case_is(j, "g1.c1", "example_skip_test", "SKIP"));
	json_free(j);
}

static void g_hyphen(struct res *r)
{
	CHECK_S(name_at(r->p, "0"), "sysctl_test");
	CHECK_S(name_at(r->p, "1"), "example");
}

static void g_all_passed(struct res *r)
{
	char *h = human(r->p);

	CHECK(contains(h, "Testing complete."));
	free(h);
}

#define KTT "kunit_tool_test.py"
#define BYHAND "kunit.py parse (not asserted by " KTT ")"

static const struct golden golden[] = {
	{ "test_config_printk_time.log", KTAP_SUCCESS, 10, 0, 0, 0, 0, 0,
	  g_resource_name, KTT " test_ignores_prefix_printk_time" },
	{ "test_insufficient_memory.log", KTAP_FAILURE_TO_PARSE, 0, 0, 0, 0,
	  1, 2, g_insufficient, KTT " test_no_kunit_output" },
	{ "test_interrupted_tap_output.log", KTAP_SUCCESS, 10, 0, 0, 0, 0, 0,
	  g_resource_name, KTT " test_prefix_mixed_kernel_output" },
	{ "test_is_test_passed-all_passed.log", KTAP_SUCCESS, 10, 0, 0, 0, 0,
	  0, g_all_passed, KTT " test_parse_successful_test_log" },
	{ "test_is_test_passed-all_passed_nested.log", KTAP_SUCCESS, 7, 0, 0,
	  0, 0, 0, g_nested, KTT " test_parse_successful_nested_tests_log, "
	  "test_nested_json" },
	{ "test_is_test_passed-failure.log", KTAP_FAILURE, 9, 1, 0, 0, 0, 1,
	  g_failure, KTT " test_parse_failed_test_log, test_failed_test_json" },
	{ "test_is_test_passed-kselftest.log", KTAP_SUCCESS, 2, 0, 0, 0, 0, 0,
	  NULL, KTT " test_kselftest_nested" },
	{ "test_is_test_passed-missing_plan.log", KTAP_SUCCESS, 10, 0, 0, 0, 0,
	  0, NULL, KTT " test_missing_test_plan" },
	{ "test_is_test_passed-no_tests_no_plan.log", KTAP_SUCCESS, 1, 0, 0,
	  0, 1, 0, g_no_tests_no_plan, KTT " test_no_tests_no_plan" },
	{ "test_is_test_passed-no_tests_run_no_header.log",
	  KTAP_FAILURE_TO_PARSE, 0, 0, 0, 0, 1, 2, g_no_header,
	  KTT " test_no_header" },
	{ "test_is_test_passed-no_tests_run_with_header.log", KTAP_NO_TESTS,
	  0, 0, 0, 0, 1, 2, g_with_header,
	  KTT " test_no_tests, test_no_tests_json" },
	{ "test_kernel_panic_interrupt.log", KTAP_CRASHED, 8, 0, 2, 0, 3, 1,
	  g_panic, KTT " test_kernel_panic_end, test_crashed_test_json" },
	{ "test_multiple_prefixes.log", KTAP_SUCCESS, 10, 0, 0, 0, 0, 0,
	  g_resource_name, KTT " test_ignores_multiple_prefixes" },
	{ "test_output_isolated_correctly.log", KTAP_SUCCESS, 2, 0, 0, 0, 0, 0,
	  g_isolated, KTT " test_output_isolated_correctly" },
	{ "test_output_with_prefix_isolated_correctly.log", KTAP_SUCCESS, 10,
	  0, 0, 0, 0, 0, g_resource_name, BYHAND },
	{ "test_parse_attributes.log", KTAP_SUCCESS, 1, 0, 0, 0, 0, 0,
	  g_attributes, KTT " test_parse_attributes" },
	{ "test_parse_ktap_output.log", KTAP_SUCCESS, 3, 0, 0, 0, 0, 0,
	  g_ktap_output, KTT " test_ktap_format" },
	{ "test_parse_subtest_header.log", KTAP_SUCCESS, 1, 0, 0, 0, 0, 0,
	  g_subtest_header, KTT " test_parse_subtest_header" },
	{ "test_pound_no_prefix.log", KTAP_SUCCESS, 10, 0, 0, 0, 0, 0,
	  g_resource_name, KTT " test_pound_no_prefix" },
	{ "test_pound_sign.log", KTAP_SUCCESS, 10, 0, 0, 0, 0, 0, g_pound,
	  KTT " test_prefix_poundsign, test_output_with_prefix_isolated_"
	  "correctly" },
	{ "test_skip_all_tests.log", KTAP_SKIPPED, 0, 0, 0, 5, 0, 0, NULL,
	  KTT " test_skipped_all_tests" },
	{ "test_skip_tests.log", KTAP_SUCCESS, 4, 0, 0, 1, 0, 0, g_skip,
	  KTT " test_skipped_test, test_skipped_test_json" },
	{ "test_strip_hyphen.log", KTAP_SUCCESS, 2, 0, 0, 0, 0, 0, g_hyphen,
	  KTT " test_ignores_hyphen" },
};

#define NGOLDEN (sizeof(golden) / sizeof(golden[0]))

static const char *golden_log;

static void golden_one(void)
{
	const struct golden *g = NULL;
	struct res r;
	struct ktap_counts c;
	size_t i;

	for (i = 0; i < NGOLDEN; i++)
		if (!strcmp(golden[i].log, golden_log))
			g = &golden[i];
	if (!g) {
		fail_at(__LINE__, "no expectations for %s: add them",
			golden_log);
		return;
	}
	if (!parse_file(&r, g->log, true)) {
		fail_at(__LINE__, "cannot read %s", data_path(g->log));
		return;
	}
	c = counts(r.p);
	printf("        # %-48s expected %-22s %llu/%llu/%llu/%llu/%llu, got "
	       "%-22s %llu/%llu/%llu/%llu/%llu\n", g->log,
	       ktap_status_str(g->status), (unsigned long long)g->p,
	       (unsigned long long)g->f, (unsigned long long)g->c,
	       (unsigned long long)g->s, (unsigned long long)g->e,
	       ktap_status_str(ktap_root_status(r.p)),
	       (unsigned long long)c.passed, (unsigned long long)c.failed,
	       (unsigned long long)c.crashed, (unsigned long long)c.skipped,
	       (unsigned long long)c.errors);
	printf("        # (%s)\n", g->source);
	CHECK_U(ktap_root_status(r.p), g->status);
	CHECK_COUNTS(r.p, g->p, g->f, g->c, g->s, g->e);
	CHECK_U(ktap_exit_code(r.p, false), g->exit);
	if (g->extra)
		g->extra(&r);
	res_free(&r);
}

/* Every .log in the directory must be in the table. */
static void t_golden_complete(void)
{
	DIR *d = opendir(testdata);
	struct dirent *e;
	unsigned logs = 0;

	if (!d) {
		fail_at(__LINE__, "cannot open %s", testdata);
		return;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), i;
		bool found = false;

		if (l < 4 || strcmp(e->d_name + l - 4, ".log"))
			continue;
		logs++;
		for (i = 0; i < NGOLDEN; i++)
			found |= !strcmp(golden[i].log, e->d_name);
		if (!found)
			fail_at(__LINE__, "%s has no golden entry", e->d_name);
	}
	closedir(d);
	CHECK_U(logs, NGOLDEN);
}

/* ---------------------------------------------------------- round trip */

static const char *status_json(int s)
{
	return s == KTAP_SUCCESS ? "PASS" : s == KTAP_SKIPPED ? "SKIP" :
	       s == KTAP_CRASHED ? "ERROR" : "FAIL";
}

static bool jstr_is(const struct json *j, const char *s, size_t n)
{
	return j && j->type == J_STRING && j->len == n && !memcmp(j->str, s, n);
}

/* Does the JSON group j describe the test r and its subtests exactly? */
static bool json_matches(struct ktap_parser *p, const struct ktap_rec *r,
			 const struct json *j, bool top)
{
	const struct json *sg = json_get(j, "sub_groups");
	const struct json *tc = json_get(j, "test_cases");
	struct ktap_rec cr = { 0 };
	size_t ng = 0, nc = 0;
	bool ok = sg && tc && sg->type == J_ARRAY && tc->type == J_ARRAY;
	uint64_t c;

	if (ok && !top)
		ok = jstr_is(json_get(j, "name"), r->name, r->name_len);
	for (c = r->first_child; ok && c != KTAP_NOFF && c != r->children_end;
	     c = cr.next) {
		if (!ktap_read(p, c, &cr)) {
			ok = false;
			break;
		}
		if (cr.first_child != KTAP_NOFF) {
			ok = ng < sg->n && json_matches(p, &cr, sg->items[ng],
							false);
			ng++;
		} else {
			const char *st = status_json(cr.status);

			ok = nc < tc->n &&
			     jstr_is(json_get(tc->items[nc], "name"), cr.name,
				     cr.name_len) &&
			     jstr_is(json_get(tc->items[nc], "status"), st,
				     strlen(st));
			nc++;
		}
	}
	ktap_rec_free(&cr);
	return ok && ng == sg->n && nc == tc->n;
}

static void roundtrip_text(const char *text, size_t len, const char *what)
{
	struct res a, b;
	char *ja, *jb, *sa, *sb, *ha, *hb;
	int k;

	for (k = 0; k < 2; k++) {
		bool ns = k == 1;

		parse_mem(&a, text, len, ns);
		parse_mem(&b, a.raw, a.raw_len, ns);
		ja = report(a.p, 1);
		jb = report(b.p, 1);
		sa = report(a.p, 3);
		sb = report(b.p, 3);
		if (strcmp(ja, jb) || strcmp(sa, sb))
			fail_at(__LINE__, "%s: parse -> raw -> parse differs "
				"(no_splat=%d)", what, ns);
		if (ktap_root_status(a.p) != ktap_root_status(b.p))
			fail_at(__LINE__, "%s: status differs", what);
		CHECK_S(b.raw, a.raw);
		if (ns) {
			ha = human_plain(a.p);
			hb = human_plain(b.p);
			CHECK_S(hb, ha);
			free(ha);
			free(hb);
		}
		{
			struct json *j = json_of(a.p);
			struct ktap_rec root = { 0 };

			if (ktap_root_status(a.p) != KTAP_FAILURE_TO_PARSE &&
			    (!ktap_read(a.p, ktap_root(a.p), &root) ||
			     !json_matches(a.p, &root, j, true)))
				fail_at(__LINE__, "%s: JSON does not match the "
					"results", what);
			ktap_rec_free(&root);
			json_free(j);
		}
		free(ja);
		free(jb);
		free(sa);
		free(sb);
		res_free(&a);
		res_free(&b);
	}
}

static void roundtrip_one(void)
{
	size_t len;
	char *text = json_slurp(data_path(golden_log), &len);

	if (!text) {
		fail_at(__LINE__, "cannot read %s", golden_log);
		return;
	}
	roundtrip_text(text, len, golden_log);
	free(text);
}

static void t_roundtrip_synthetic(void)
{
	static const char *const logs[] = {
		"[ 1.0] KTAP version 1\n[ 1.0] 1..2\n[ 1.0]   # Subtest: s\n"
		"[ 1.0]   1..2\n[ 1.0]   ok 1 a\n[ 1.0] WARNING: x\n"
		"[ 1.0]   ok 2 b\n"
		"[ 1.0] ok 1 s\n",
		"KTAP version 1\n1..3\n  KTAP version 1\n  1..1\n"
		"    KTAP version 1\n    # Subtest: p\n    ok 1 x\n"
		"    not ok 2 y\n  not ok 1 p\nnot ok 1 q\nok 2 r # SKIP\n",
		"kunit executor: oops\nTAP version 13\n1..1\n# x\nok 1 k\n",
	};
	size_t i;

	for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++)
		roundtrip_text(logs[i], strlen(logs[i]), "synthetic");
}

/* The summary printed while parsing equals the one read back later. */
static void on_stream(void *arg, struct ktap_parser *p, enum ktap_event ev,
		      const struct ktap_rec *r, int depth)
{
	report_stream_event(arg, p, ev, r, depth);
}

static char *strip_stamps(char *h)
{
	char *s, *d;

	for (s = d = h; *s;) {
		if ((s == h || s[-1] == '\n') && s[0] == '[' && s[3] == ':' &&
		    s[6] == ':' && s[9] == ']')
			s += 11;
		while (*s && *s != '\n')
			*d++ = *s++;
		if (*s)
			*d++ = *s++;
	}
	*d = '\0';
	return h;
}

static void stream_vs_posthoc(const char *text, size_t len, const char *what)
{
	struct report_opts ro = { 0 };
	struct ktap_opts ko = { .event = on_stream };
	struct report_stream *rs;
	struct ktap_parser *p;
	char *streamed = NULL, *later;
	size_t slen = 0;
	FILE *f = open_memstream(&streamed, &slen);

	rs = report_stream_new(f, &ro);
	ko.arg = rs;
	p = ktap_new(&ko);
	ktap_feed(p, text, len);
	ktap_finish(p, NULL);
	report_stream_end(rs, p);
	fclose(f);
	later = human(p);
	strip_stamps(streamed);
	strip_stamps(later);
	if (strcmp(streamed, later))
		fail_at(__LINE__, "%s: streamed summary differs:\n%s\n---\n%s",
			what, streamed, later);
	free(streamed);
	free(later);
	ktap_free(p);
}

static void t_stream_summary(void)
{
	static const char *const logs[] = {
		"KTAP version 1\n1..2\n  # Subtest: s\n  1..4\n  ok 1 a\n"
		"  # d: failed\n  not ok 2 b\nBUG: x\n  ok 3 c\nok 1 s\n",
		"KTAP version 3\n1..3\n  KTAP version 0\n  1..0\nok 1 z\n"
		"  # Subtest: s # x\n  1..1\n  ok 5 q\n"
		"ok 2 s # x # SKIP r\n",
		"TAP version 14\n1..0\n",
		"KTAP version 1\n1..1\n  KTAP version 1\n  1..1\n"
		"    KTAP version 1\n    1..1\n    ok 1 leaf\n  ok 1\n"
		"  ok 1 mid\nok 1 top\n",
		"nothing at all\n",
	};
	DIR *d = opendir(testdata);
	struct dirent *e;
	size_t i;

	for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++)
		stream_vs_posthoc(logs[i], strlen(logs[i]), "synthetic");
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name), len;
		char *text;

		if (l < 4 || strcmp(e->d_name + l - 4, ".log"))
			continue;
		text = json_slurp(data_path(e->d_name), &len);
		if (text)
			stream_vs_posthoc(text, len, e->d_name);
		free(text);
	}
	if (d)
		closedir(d);
}

/* ------------------------------------------------------------- runner */

/* Where run_ktap() sends ktap's stdout (NULL: /dev/null; stderr always is). */
static const char *run_stdout;

/* Run "ktap run ARGS -- sh -c SCRIPT"; returns the exit status. */
static int run_ktap(const char *script, const char *const *args,
		    double *secs)
{
	char *argv[32];
	int n = 0, status;
	struct timespec t0, t1;
	pid_t pid;

	argv[n++] = (char *)ktap_bin;
	argv[n++] = "run";
	while (*args)
		argv[n++] = (char *)*args++;
	argv[n++] = "--";
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = (char *)script;
	argv[n] = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);
		int out = run_stdout ? open(run_stdout, O_WRONLY | O_CREAT |
					    O_TRUNC, 0644) : fd;

		dup2(out, 1);
		dup2(fd, 2);
		execv(ktap_bin, argv);
		_exit(126);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (secs)
		*secs = (double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static char *tmp_file(const char *name)
{
	static char buf[8][512];
	static int k;
	char *b = buf[k++ & 7];

	snprintf(b, 512, "%s/%s", tmpdir, name);
	return b;
}

static char *read_tmp(const char *name)
{
	size_t len;

	return json_slurp(tmp_file(name), &len);
}

static void t_run_pass(void)
{
	const char *args[] = { "--timeout", "30", "--log",
			       tmp_file("pass.log"), "--json",
			       tmp_file("pass.json"), "--junit",
			       tmp_file("pass.xml"), "--stats",
			       tmp_file("pass.stats"), NULL };
	char *s, *l, why[64];
	int rc;

	rc = run_ktap("echo booting; echo 'KTAP version 1'; echo '1..1'; "
		      "echo '  # Subtest: s'; echo '  1..2'; echo '  ok 1 a';"
		      " echo noise >&2; echo '  ok 2 b'; echo 'ok 1 s'; "
		      "echo 'reboot: System halted'", args, NULL);
	CHECK_U(rc, 0);
	s = read_tmp("pass.stats");
	CHECK_S(s, "passed=2 failed=0 skipped=0 crashed=0 errors=0\n");
	free(s);
	l = read_tmp("pass.log");
	CHECK(contains(l, "booting\nKTAP version 1\n1..1\n"));
	CHECK(contains(l, "noise\n"));
	CHECK(contains(l, "reboot: System halted\n"));
	free(l);
	s = read_tmp("pass.json");
	{
		struct json *j = s ? json_parse(s, strlen(s), NULL, NULL) :
				 NULL;

		CHECK(j);
		json_free(j);
	}
	free(s);
	s = read_tmp("pass.xml");
	CHECK(s && xml_ok(s, why, sizeof(why)));
	free(s);
}


/* --echo copies the whole console, KTAP and noise alike, to stdout. */
static void t_run_echo(void)
{
	const char *args[] = { "--echo", "--quiet", "--stats",
			       tmp_file("echo.stats"), NULL };
	const char *want = "booting\nKTAP version 1\n1..1\nok 1 t\n"
			   "after the plan\n";
	char *s;
	int rc;

	run_stdout = tmp_file("echo.out");
	rc = run_ktap("printf 'booting\\nKTAP version 1\\n1..1\\nok 1 t\\n'; "
		      "echo 'after the plan'", args, NULL);
	run_stdout = NULL;
	CHECK_U(rc, 0);
	s = read_tmp("echo.out");
	CHECK_S(s, want);
	free(s);
	s = read_tmp("echo.stats");
	CHECK_S(s, "passed=1 failed=0 skipped=0 crashed=0 errors=0\n");
	free(s);
}
static void t_run_linger(void)
{
	const char *args[] = { "--grace", "0.5", "--stats",
			       tmp_file("linger.stats"), NULL };
	double secs = 0;
	char *s;
	int rc;

	/* the plan completes, the "kernel" does not exit: not a failure */
	rc = run_ktap("echo 'KTAP version 1'; echo '1..1'; echo 'ok 1 a'; "
		      "exec sleep 60", args, &secs);
	CHECK_U(rc, 0);
	CHECK(secs < 10);
	s = read_tmp("linger.stats");
	CHECK_S(s, "passed=1 failed=0 skipped=0 crashed=0 errors=0\n");
	free(s);
}

static void t_run_timeout(void)
{
	const char *args[] = { "--timeout", "1", "--json",
			       tmp_file("to.json"), "--stats",
			       tmp_file("to.stats"), NULL };
	double secs = 0;
	char *s;
	int rc;

	rc = run_ktap("echo 'KTAP version 1'; echo '1..1'; "
		      "echo '  # Subtest: slow_suite'; echo '  1..2'; "
		      "echo '  ok 1 fast'; trap '' TERM; sleep 30", args, &secs);
	CHECK_U(rc, 3);
	CHECK(secs < 15);
	s = read_tmp("to.stats");
	CHECK_S(s, "passed=1 failed=0 skipped=0 crashed=1 errors=2\n");
	free(s);
}

static void t_run_timeout_message(void)
{
	char cmd[1024], *out;
	int rc;

	snprintf(cmd, sizeof(cmd), "%s run --timeout 1 -- /bin/sh -c \"echo "
		 "'KTAP version 1'; echo '1..1'; echo '  # Subtest: "
		 "slow_suite'; echo '  1..2'; echo '  ok 1 fast'; sleep 30\" "
		 "> %s 2>&1", ktap_bin, tmp_file("to.out"));
	rc = system(cmd);
	CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 3);
	out = read_tmp("to.out");
	CHECK(contains(out, "timed out after 1 s while running slow_suite "
		       "test #2 (after fast)"));
	free(out);
}

static void t_run_crash_exit(void)
{
	const char *args[] = { "--stats", tmp_file("crash.stats"), NULL };
	char *s;
	int rc;

	rc = run_ktap("echo 'KTAP version 1'; echo '1..2'; echo 'ok 1 a'; "
		      "echo 'BUG: unable to handle page fault'; exit 1",
		      args, NULL);
	CHECK_U(rc, 1);
	s = read_tmp("crash.stats");
	CHECK_S(s, "passed=1 failed=0 skipped=0 crashed=1 errors=1\n");
	free(s);
}

static void t_run_no_command(void)
{
	const char *args[] = { NULL };
	char *argv[] = { (char *)ktap_bin, "run", "--", "/nonexistent/kernel",
			 NULL };
	int status;
	pid_t pid;

	(void)args;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(ktap_bin, argv);
		_exit(126);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2);
}

static bool alive(pid_t pid)
{
	char path[64], buf[256], *s;
	FILE *f;

	if (kill(pid, 0) && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	s = fgets(buf, sizeof(buf), f);
	fclose(f);
	s = s ? strrchr(buf, ')') : NULL;
	return !(s && s[1] == ' ' && (s[2] == 'Z' || s[2] == 'X'));
}

static void t_run_kills_group(void)
{
	const char *args[] = { "--grace", "0.2", NULL };
	char script[512], *pidtxt;
	int rc;
	pid_t child;

	/* a helper process of the "kernel" must not survive the run */
	snprintf(script, sizeof(script), "sleep 300 & echo $! > %s; "
		 "echo 'KTAP version 1'; echo '1..1'; echo 'ok 1 a'; "
		 "exec sleep 300", tmp_file("helper.pid"));
	rc = run_ktap(script, args, NULL);
	CHECK_U(rc, 0);
	pidtxt = read_tmp("helper.pid");
	child = pidtxt ? (pid_t)atoi(pidtxt) : 0;
	free(pidtxt);
	CHECK(child > 0);
	if (child > 0) {
		int tries;

		/* it was SIGKILLed: gone, or a zombie nobody reaps yet */
		for (tries = 0; tries < 100 && alive(child); tries++)
			usleep(20000);
		CHECK(!alive(child));
	}
}

static void t_parse_cli(void)
{
	char cmd[2048], *s;
	int rc;

	snprintf(cmd, sizeof(cmd), "%s parse --stats %s --json %s %s > %s",
		 ktap_bin, tmp_file("cli.stats"), tmp_file("cli.json"),
		 data_path("test_is_test_passed-failure.log"),
		 tmp_file("cli.out"));
	rc = system(cmd);
	CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
	s = read_tmp("cli.stats");
	CHECK_S(s, "passed=9 failed=1 skipped=0 crashed=0 errors=0\n");
	free(s);
	s = read_tmp("cli.out");
	CHECK(contains(s, "Testing complete. Ran 10 tests: passed: 9, "
		       "failed: 1\n"));
	free(s);
	snprintf(cmd, sizeof(cmd), "%s parse --raw < %s > %s", ktap_bin,
		 data_path("test_pound_sign.log"), tmp_file("cli.raw"));
	rc = system(cmd);
	CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	s = read_tmp("cli.raw");
	CHECK(s && !strncmp(s, "TAP version 14\n1..3\n", 20));
	free(s);
	snprintf(cmd, sizeof(cmd), "%s parse --bogus 2>/dev/null", ktap_bin);
	rc = system(cmd);
	CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
}


/*
 * "ktap igt": igt_runner's results.json as suites of test cases; a
 * subtest with dynamic subtests counts through them (unless it failed
 * outside them); a failure carries the IGT and kernel log excerpts.
 */
static void t_igt_cli(void)
{
	static const char results[] =
		"{\"__type__\": \"TestrunResult\", \"results_version\": 10,\n"
		" \"tests\": {\n"
		"  \"igt@xe_a@once\": {\"result\": \"pass\", \"out\": \"\",\n"
		"    \"time\": {\"__type__\": \"TimeAttribute\", \"start\": 1.5, \"end\": 2.0}},\n"
		"  \"igt@xe_a@huge\": {\"result\": \"skip\", \"out\": \"Test requirement not met in f\\n"
		"Test requirement: hugepages\\nSubtest huge: SKIP\\n\"},\n"
		"  \"igt@xe_a@bad\": {\"result\": \"fail\", \"err\": \"Starting subtest: bad\\n"
		"(xe_a:7) CRITICAL: Failed assertion: data == 1\\n\",\n"
		"    \"out\": \"Subtest bad: FAIL (0.5s)\\n\",\n"
		"    \"dmesg\": \"<6> [1.0] one\\n<6> [1.1] two\\n<6> [1.2] three\\n<6> [1.3] four\\n"
		"<6> [1.4] five\\n<6> [1.5] six\\n<4> [1.6] WARNING: CPU: 0 PID: 7 at vxe_pt.c:1\\n"
		"<4> [1.7] Call Trace:\\n\"},\n"
		"  \"igt@ours@w\": {\"result\": \"pass\"},\n"
		"  \"igt@ours@w@rcs0\": {\"result\": \"pass\"},\n"
		"  \"igt@ours@w@bcs0\": {\"result\": \"dmesg-warn\", \"dmesg\": \"<4> [2.0] oops\\n\"},\n"
		"  \"igt@ours@v\": {\"result\": \"fail\"},\n"
		"  \"igt@ours@v@x\": {\"result\": \"fail\"},\n"
		"  \"igt@ours@u\": {\"result\": \"fail\"},\n"
		"  \"igt@ours@u@x\": {\"result\": \"pass\"},\n"
		"  \"igt@xe_a\": {\"dmesg\": \"<6> [3.0] between subtests\\n\"},\n"
		"  \"igt@xe_a@late\": {\"result\": \"warn\"}\n"
		" }}\n";
	char cmd[2048], *s;
	FILE *f = fopen(tmp_file("results.json"), "w");
	int rc;

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(results, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s igt --color=never --stats %s --junit %s %s > %s",
		 ktap_bin, tmp_file("igt.stats"), tmp_file("igt.xml"),
		 tmp_file("results.json"), tmp_file("igt.out"));
	rc = system(cmd);
	CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
	s = read_tmp("igt.stats");
	CHECK_S(s, "passed=3 failed=5 skipped=1 crashed=0 errors=0\n");
	free(s);
	s = read_tmp("igt.out");
	CHECK(contains(s, "[SKIPPED] huge"));
	CHECK(contains(s, "[FAILED] bad"));
	CHECK(contains(s, "[FAILED] w@bcs0"));
	CHECK(contains(s, "[PASSED] w@rcs0"));
	CHECK(!contains(s, "[PASSED] w\n"));
	CHECK(contains(s, "#   (xe_a:7) CRITICAL: Failed assertion: data == 1"));
	/* the kernel log from a few lines before its first warning */
	CHECK(contains(s, "# kernel log (lines 3-8 of 8):"));
	CHECK(contains(s, "#   <4> [1.6] WARNING: CPU: 0 PID: 7 at vxe_pt.c:1"));
	CHECK(contains(s, "igt: 9 tests in 0.5 s: pass 3, skip 1, warn 1, fail 3, "
		       "dmesg-warn 1\n"));
	/* a failed parent counts when none of its dynamic subtests failed */
	CHECK(contains(s, "[FAILED] v@x\n"));
	CHECK(!contains(s, "[FAILED] v\n"));
	CHECK(contains(s, "[FAILED] u\n"));
	CHECK(contains(s, "[PASSED] u@x\n"));
	free(s);
	s = read_tmp("igt.xml");
	CHECK(contains(s, "<testsuite name=\"xe_a\""));
	CHECK(contains(s, "<skipped message=\"Test requirement: hugepages\""));
	CHECK(contains(s, "igt@xe_a@bad: igt result fail"));
	free(s);
	snprintf(cmd, sizeof(cmd), "%s igt %s 2>/dev/null", ktap_bin,
		 tmp_file("igt.out"));
	rc = system(cmd);
	CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);	/* not JSON */
}
/* -------------------------------------------------------------- driver */

struct test {
	const char *name;
	void (*fn)(void);
};

#define T(f) { &#f[2], f }

static const struct test t_extract[] = {
	T(t_prefix_timestamps), T(t_prefix_printk_caller), T(t_prefix_utf8),
	T(t_noise_interleaved), T(t_end_markers), T(t_executor_error),
	T(t_no_ktap), T(t_versions), T(t_line_endings), T(t_chunked_feed),
	T(t_huge_line), T(t_invalid_utf8),
};

static const struct test t_structure[] = {
	T(t_results), T(t_result_regex_corners), T(t_subtest_nesting),
	T(t_parameterised), T(t_attributes), T(t_failure_log_dedent),
	T(t_summarize_failures), T(t_zero_tests),
};

static const struct test t_errors[] = {
	T(t_missing_plan), T(t_fewer_than_planned), T(t_more_than_planned),
	T(t_wrong_numbers), T(t_unfinished_block), T(t_stray_plan),
	T(t_too_deep), T(t_huge_plan),
};

static const struct test t_crashes[] = {
	T(t_splat_in_ok_test), T(t_splat_kinds), T(t_splat_not_kmemleak_status),
	T(t_splat_not_diag),
	T(t_splat_not_program_output), T(t_splat_time_stamped_and_glued),
	T(t_splat_between_suites), T(t_splat_in_suite_exit),
	T(t_splat_param_depth), T(t_splat_stray), T(t_splat_stray_fail),
	T(t_panic_mid_test),
	T(t_abrupt_end_param), T(t_abrupt_end_why),
};

static const struct test t_reports[] = {
	T(t_stats_line), T(t_totals_line), T(t_json_exact),
	T(t_junit_escaping), T(t_junit_missing_and_empty), T(t_exit_codes),
	T(t_spool_file), T(t_golden_complete), T(t_roundtrip_synthetic),
	T(t_stream_summary),
};

static const struct test t_runner[] = {
	T(t_run_pass), T(t_run_echo), T(t_run_linger), T(t_run_timeout),
	T(t_run_timeout_message), T(t_run_crash_exit), T(t_run_no_command),
	T(t_run_kills_group), T(t_parse_cli), T(t_igt_cli),
};

struct suite {
	const char *name;
	const struct test *tests;
	size_t n;
	void (*each)(void);	/* golden/roundtrip: one test per log */
};

#define S(n, a) { n, a, sizeof(a) / sizeof(a[0]), NULL }

static void run_test(size_t num, const char *name, void (*fn)(void))
{
	cur_failed = 0;
	fn();
	printf("    %s %zu %s\n", cur_failed ? "not ok" : "ok", num, name);
	if (cur_failed)
		nfailed++;
	else
		npassed++;
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct suite suites[] = {
		S("extraction", t_extract),
		S("structure", t_structure),
		S("errors", t_errors),
		S("crash_attribution", t_crashes),
		S("reports", t_reports),
		{ "golden", NULL, NGOLDEN, golden_one },
		{ "roundtrip", NULL, NGOLDEN, roundtrip_one },
		S("runner", t_runner),
	};
	size_t ns = sizeof(suites) / sizeof(suites[0]), i, k;
	const char *tmp = getenv("TMPDIR");

	if (argc != 3) {
		fprintf(stderr, "usage: ktap_test TEST_DATA_DIR KTAP_BINARY\n");
		return 2;
	}
	testdata = argv[1];
	ktap_bin = argv[2];
	snprintf(tmpdir, sizeof(tmpdir), "%s/ktap-test-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("ktap_test: mkdtemp");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	printf("KTAP version 1\n1..%zu\n", ns);
	for (i = 0; i < ns; i++) {
		const struct suite *s = &suites[i];
		unsigned before = nfailed;

		printf("    KTAP version 1\n    # Subtest: %s\n    1..%zu\n",
		       s->name, s->n);
		for (k = 0; k < s->n; k++) {
			if (s->each) {
				golden_log = golden[k].log;
				run_test(k + 1, golden_log, s->each);
			} else {
				run_test(k + 1, s->tests[k].name,
					 s->tests[k].fn);
			}
		}
		printf("%s %zu %s\n", nfailed > before ? "not ok" : "ok", i + 1,
		       s->name);
	}
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			fprintf(stderr, "ktap_test: could not remove %s\n",
				tmpdir);
	}
	printf("%u passed, %u failed\n", npassed, nfailed);
	return nfailed ? 1 : 0;
}
