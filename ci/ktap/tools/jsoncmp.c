// SPDX-License-Identifier: GPL-2.0
/*
 * jsoncmp - compare two kunit.py-style JSON results (kunit_json.py's
 * shape): the group tree, every test case's name and status, in order.
 * Metadata fields are ignored.  Prints the differences and the status
 * totals of both files.
 *
 *   jsoncmp A.json B.json
 *
 * Exit status: 0 same, 1 different, 2 unreadable or not kunit JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct totals {
	unsigned long cases, pass, fail, skip, error, other, groups;
};

static unsigned long ndiff;

static char *slurp(const char *path, size_t *len)
{
	char *buf = json_slurp(path, len);

	if (!buf)
		perror(path);
	return buf;
}

static struct json *load(const char *path)
{
	const char *err;
	size_t len, off;
	char *text = slurp(path, &len);
	struct json *j;

	if (!text)
		return NULL;
	j = json_parse(text, len, &err, &off);
	if (!j)
		fprintf(stderr, "jsoncmp: %s: %s at byte %zu\n", path, err,
			off);
	free(text);
	return j;
}

static const char *sval(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);

	return v && v->type == J_STRING ? v->str : NULL;
}

static const struct json *aval(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);

	return v && v->type == J_ARRAY ? v : NULL;
}

static void count(const struct json *g, struct totals *t)
{
	const struct json *sg = aval(g, "sub_groups");
	const struct json *tc = aval(g, "test_cases");
	size_t i;

	t->groups++;
	for (i = 0; sg && i < sg->n; i++)
		count(sg->items[i], t);
	for (i = 0; tc && i < tc->n; i++) {
		const char *s = sval(tc->items[i], "status");

		t->cases++;
		if (!s)
			t->other++;
		else if (!strcmp(s, "PASS"))
			t->pass++;
		else if (!strcmp(s, "FAIL"))
			t->fail++;
		else if (!strcmp(s, "SKIP"))
			t->skip++;
		else if (!strcmp(s, "ERROR"))
			t->error++;
		else
			t->other++;
	}
}

static bool valid_group(const struct json *g)
{
	return g && g->type == J_OBJECT && sval(g, "name") &&
	       aval(g, "sub_groups") && aval(g, "test_cases");
}

static void diff(const char *path, const char *fmt, const char *a,
		 const char *b)
{
	if (++ndiff <= 50) {
		printf("  %s: ", path);
		printf(fmt, a ? a : "(none)", b ? b : "(none)");
		putchar('\n');
	}
}

static void cmp_group(const struct json *a, const struct json *b,
		      const char *path)
{
	const struct json *sa = aval(a, "sub_groups"), *sb = aval(b,
							       "sub_groups");
	const struct json *ta = aval(a, "test_cases"), *tb = aval(b,
							       "test_cases");
	size_t i, n;
	char sub[4096];

	if (strcmp(sval(a, "name"), sval(b, "name")))
		diff(path, "group name '%s' vs '%s'", sval(a, "name"),
		     sval(b, "name"));
	n = sa->n < sb->n ? sa->n : sb->n;
	if (sa->n != sb->n) {
		char x[32], y[32];

		snprintf(x, sizeof(x), "%zu", sa->n);
		snprintf(y, sizeof(y), "%zu", sb->n);
		diff(path, "%s vs %s sub_groups", x, y);
	}
	for (i = 0; i < n; i++) {
		if (!valid_group(sa->items[i]) || !valid_group(sb->items[i])) {
			diff(path, "malformed sub_group%s%s", "", "");
			continue;
		}
		snprintf(sub, sizeof(sub), "%s/%s", path,
			 sval(sa->items[i], "name"));
		cmp_group(sa->items[i], sb->items[i], sub);
	}
	n = ta->n < tb->n ? ta->n : tb->n;
	if (ta->n != tb->n) {
		char x[32], y[32];

		snprintf(x, sizeof(x), "%zu", ta->n);
		snprintf(y, sizeof(y), "%zu", tb->n);
		diff(path, "%s vs %s test_cases", x, y);
	}
	for (i = 0; i < n; i++) {
		const char *na = sval(ta->items[i], "name");
		const char *nb = sval(tb->items[i], "name");
		const char *xa = sval(ta->items[i], "status");
		const char *xb = sval(tb->items[i], "status");

		snprintf(sub, sizeof(sub), "%s/#%zu", path, i + 1);
		if (!na || !nb || strcmp(na, nb))
			diff(sub, "name '%s' vs '%s'", na, nb);
		if (!xa || !xb || strcmp(xa, xb)) {
			snprintf(sub, sizeof(sub), "%s/%s", path,
				 na ? na : "?");
			diff(sub, "status %s vs %s", xa, xb);
		}
	}
}

static void show(const char *path, const struct totals *t)
{
	printf("  %-40s %lu test cases: PASS %lu, FAIL %lu, SKIP %lu, ERROR "
	       "%lu%s; %lu groups\n", path, t->cases, t->pass, t->fail,
	       t->skip, t->error, t->other ? " (+ other)" : "", t->groups);
}

int main(int argc, char **argv)
{
	struct totals ta = { 0 }, tb = { 0 };
	struct json *a, *b;

	if (argc != 3) {
		fprintf(stderr, "usage: jsoncmp A.json B.json\n");
		return 2;
	}
	a = load(argv[1]);
	b = load(argv[2]);
	if (!a || !b || !valid_group(a) || !valid_group(b)) {
		if (a && b)
			fprintf(stderr, "jsoncmp: not kunit JSON\n");
		json_free(a);
		json_free(b);
		return 2;
	}
	cmp_group(a, b, "");
	count(a, &ta);
	count(b, &tb);
	show(argv[1], &ta);
	show(argv[2], &tb);
	if (ndiff > 50)
		printf("  ... %lu differences in all\n", ndiff);
	printf("jsoncmp: %s\n", ndiff ? "DIFFERENT" : "same tests, names and "
	       "statuses");
	json_free(a);
	json_free(b);
	return ndiff ? 1 : 0;
}
