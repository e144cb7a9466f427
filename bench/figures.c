// SPDX-License-Identifier: GPL-2.0
/*
 * figures.c - see figures.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "figures.h"
#include "json.h"

static char *xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	if (!d)
		abort();
	return d;
}

static void figures_put(struct figures *f, const struct figure *fig)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].name, fig->name)) {
			free(f->v[i].name);
			free(f->v[i].unit);
			f->v[i] = *fig;
			return;
		}
	f->v = realloc(f->v, (f->n + 1) * sizeof(*f->v));
	if (!f->v)
		abort();
	f->v[f->n++] = *fig;
}

/* The value of "key=" in @line, up to the next blank: its length, or 0 */
static size_t field(const char *line, const char *key, const char **val)
{
	size_t klen = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			*val = p + klen + 1;
			return strcspn(*val, " \t\r\n");
		}
		p += klen;
	}
	return 0;
}

static bool number(const char *s, size_t len, double *v)
{
	char buf[64], *end;

	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*v = strtod(buf, &end);
	return *end == '\0' && isfinite(*v);
}

int figures_from_log(struct figures *f, const char *path)
{
	FILE *in = fopen(path, "r");
	size_t cap = 0, ln;
	char *line = NULL;
	int found = 0;

	if (!in)
		return -1;
	while (getline(&line, &cap, in) > 0) {
		const char *b = strstr(line, "BENCH "), *v;
		struct figure fig = { 0 };
		double reps;

		if (!b)
			continue;
		if (!(ln = field(b, "name", &v)))
			continue;
		fig.name = xstrndup(v, ln);
		if ((ln = field(b, "unit", &v)))
			fig.unit = xstrndup(v, ln);
		else
			fig.unit = xstrndup("", 0);
		if (!(ln = field(b, "median", &v)) || !number(v, ln, &fig.median) ||
		    !(ln = field(b, "min", &v)) || !number(v, ln, &fig.min) ||
		    !(ln = field(b, "max", &v)) || !number(v, ln, &fig.max) ||
		    !(ln = field(b, "reps", &v)) || !number(v, ln, &reps)) {
			fprintf(stderr, "%s: a BENCH line without its numbers: %s", path, b);
			free(fig.name);
			free(fig.unit);
			continue;
		}
		fig.reps = (int)reps;
		figures_put(f, &fig);
		found++;
	}
	free(line);
	fclose(in);
	return found;
}

static bool json_num(const struct json *o, const char *key, double *v)
{
	const struct json *j = json_get(o, key);

	return j && j->type == J_NUMBER && number(j->str, j->len, v);
}

int figures_from_json(struct figures *f, const char *path)
{
	const struct json *arr;
	struct json *root;
	const char *err;
	size_t len, off, i;
	char *text = json_slurp(path, &len);

	if (!text) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	root = json_parse(text, len, &err, &off);
	free(text);
	if (!root) {
		fprintf(stderr, "%s: not JSON: %s at byte %zu\n", path, err, off);
		return -1;
	}
	arr = json_get(root, "figures");
	if (!arr || arr->type != J_ARRAY) {
		fprintf(stderr, "%s: no \"figures\" array\n", path);
		json_free(root);
		return -1;
	}
	for (i = 0; i < arr->n; i++) {
		const struct json *o = arr->items[i], *name, *unit;
		struct figure fig = { 0 };
		double reps;

		name = json_get(o, "name");
		unit = json_get(o, "unit");
		if (!name || name->type != J_STRING || !unit || unit->type != J_STRING ||
		    !json_num(o, "median", &fig.median) || !json_num(o, "min", &fig.min) ||
		    !json_num(o, "max", &fig.max) || !json_num(o, "reps", &reps)) {
			fprintf(stderr, "%s: figure %zu is incomplete\n", path, i);
			json_free(root);
			return -1;
		}
		fig.name = xstrndup(name->str, name->len);
		fig.unit = xstrndup(unit->str, unit->len);
		fig.reps = (int)reps;
		figures_put(f, &fig);
	}
	json_free(root);
	return 0;
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void figures_write_json(const struct figures *f, char *const *meta,
			int nmeta, FILE *out)
{
	size_t i;
	int m;

	fprintf(out, "{\n  \"version\": 1,\n");
	for (m = 0; m < nmeta; m++) {
		const char *eq = strchr(meta[m], '=');
		char *key;

		if (!eq)
			continue;
		key = xstrndup(meta[m], eq - meta[m]);
		fprintf(out, "  ");
		json_string(out, key);
		fprintf(out, ": ");
		json_string(out, eq + 1);
		fprintf(out, ",\n");
		free(key);
	}
	fprintf(out, "  \"figures\": [");
	for (i = 0; i < f->n; i++) {
		const struct figure *g = &f->v[i];

		fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
		json_string(out, g->name);
		fprintf(out, ", \"unit\": ");
		json_string(out, g->unit);
		fprintf(out, ", \"median\": %.6g, \"min\": %.6g, \"max\": %.6g, \"reps\": %d}",
			g->median, g->min, g->max, g->reps);
	}
	fprintf(out, "\n  ]\n}\n");
}

const struct figure *figures_find(const struct figures *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].name, name))
			return &f->v[i];
	return NULL;
}

double figure_spread(const struct figure *fig)
{
	return fig->median > 0 ? (fig->max - fig->min) / 2 / fig->median : 0;
}

bool figure_higher_is_better(const struct figure *fig)
{
	return strstr(fig->unit, "/s") || !strcmp(fig->unit, "ratio");
}

void figures_free(struct figures *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].unit);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}
