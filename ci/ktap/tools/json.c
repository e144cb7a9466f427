// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - a small strict JSON reader, see json.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAX_DEPTH 1000

struct jp {
	const char *s;
	size_t n, i;
	const char *err;
	int depth;
};

static void *jalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		abort();
	return p;
}

static void ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
			       p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static struct json *fail(struct jp *p, const char *msg)
{
	if (!p->err)
		p->err = msg;
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(struct jp *p, unsigned *v)
{
	int k;

	*v = 0;
	if (p->i + 4 > p->n)
		return false;
	for (k = 0; k < 4; k++) {
		int h = hexval(p->s[p->i + k]);

		if (h < 0)
			return false;
		*v = *v << 4 | (unsigned)h;
	}
	p->i += 4;
	return true;
}

static size_t put_utf8(char *d, unsigned cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at p->i (the opening quote); the result is NUL-terminated. */
static char *string(struct jp *p, size_t *len)
{
	char *d;
	size_t o = 0, start;

	if (p->i >= p->n || p->s[p->i] != '"')
		return NULL;
	start = ++p->i;
	/* decoded text is never longer than the source */
	while (p->i < p->n && p->s[p->i] != '"') {
		if (p->s[p->i] == '\\')
			p->i++;
		p->i++;
	}
	if (p->i >= p->n)
		return NULL;
	d = jalloc(p->i - start + 1);
	p->i = start;
	while (p->s[p->i] != '"') {
		unsigned char c = (unsigned char)p->s[p->i];
		unsigned cp, lo;

		if (c < 0x20) {
			free(d);
			p->err = "control character in string";
			return NULL;
		}
		if (c != '\\') {
			d[o++] = (char)c;
			p->i++;
			continue;
		}
		p->i++;
		switch (p->s[p->i++]) {
		case '"':
			d[o++] = '"';
			break;
		case '\\':
			d[o++] = '\\';
			break;
		case '/':
			d[o++] = '/';
			break;
		case 'b':
			d[o++] = '\b';
			break;
		case 'f':
			d[o++] = '\f';
			break;
		case 'n':
			d[o++] = '\n';
			break;
		case 'r':
			d[o++] = '\r';
			break;
		case 't':
			d[o++] = '\t';
			break;
		case 'u':
			if (!hex4(p, &cp))
				goto bad;
			if (cp >= 0xd800 && cp < 0xdc00 && p->i + 1 < p->n &&
			    p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
				size_t save = p->i;

				p->i += 2;
				if (hex4(p, &lo) && lo >= 0xdc00 &&
				    lo < 0xe000)
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
				else
					p->i = save;
			}
			/* lone surrogates are kept as they are encoded */
			o += put_utf8(d + o, cp);
			break;
		default:
			goto bad;
		}
	}
	p->i++;
	d[o] = '\0';
	*len = o;
	return d;
bad:
	free(d);
	p->err = "bad escape in string";
	return NULL;
}

static struct json *value(struct jp *p);

static struct json *container(struct jp *p, bool obj)
{
	struct json *j = jalloc(sizeof(*j));
	size_t cap = 0;

	j->type = obj ? J_OBJECT : J_ARRAY;
	if (++p->depth > MAX_DEPTH) {
		json_free(j);
		return fail(p, "nesting too deep");
	}
	p->i++;
	ws(p);
	if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
		p->i++;
		p->depth--;
		return j;
	}
	for (;;) {
		char *key = NULL;
		struct json *v;
		size_t kl;

		ws(p);
		if (obj) {
			key = string(p, &kl);
			if (!key) {
				json_free(j);
				return fail(p, "expected a key");
			}
			ws(p);
			if (p->i >= p->n || p->s[p->i] != ':') {
				free(key);
				json_free(j);
				return fail(p, "expected ':'");
			}
			p->i++;
		}
		v = value(p);
		if (!v) {
			free(key);
			json_free(j);
			return NULL;
		}
		if (j->n == cap) {
			cap = cap ? cap * 2 : 8;
			j->items = realloc(j->items, cap * sizeof(*j->items));
			if (obj)
				j->keys = realloc(j->keys,
						  cap * sizeof(*j->keys));
			if (!j->items || (obj && !j->keys))
				abort();
		}
		if (obj)
			j->keys[j->n] = key;
		j->items[j->n++] = v;
		ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
			p->i++;
			p->depth--;
			return j;
		}
		json_free(j);
		return fail(p, obj ? "expected ',' or '}'" :
			    "expected ',' or ']'");
	}
}

static bool lit(struct jp *p, const char *w)
{
	size_t l = strlen(w);

	if (p->n - p->i < l || memcmp(p->s + p->i, w, l))
		return false;
	p->i += l;
	return true;
}

static struct json *number(struct jp *p)
{
	size_t start = p->i;
	struct json *j;

	if (p->s[p->i] == '-')
		p->i++;
	if (p->i >= p->n)
		return fail(p, "bad number");
	if (p->s[p->i] == '0') {
		p->i++;
	} else if (p->s[p->i] >= '1' && p->s[p->i] <= '9') {
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	} else {
		return fail(p, "bad number");
	}
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
			return fail(p, "bad number");
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
			return fail(p, "bad number");
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	}
	j = jalloc(sizeof(*j));
	j->type = J_NUMBER;
	j->len = p->i - start;
	j->str = jalloc(j->len + 1);
	memcpy(j->str, p->s + start, j->len);
	return j;
}

static struct json *value(struct jp *p)
{
	struct json *j;

	ws(p);
	if (p->i >= p->n)
		return fail(p, "unexpected end");
	switch (p->s[p->i]) {
	case '{':
		return container(p, true);
	case '[':
		return container(p, false);
	case '"':
		j = jalloc(sizeof(*j));
		j->type = J_STRING;
		j->str = string(p, &j->len);
		if (!j->str) {
			free(j);
			return fail(p, "bad string");
		}
		return j;
	case 't':
	case 'f':
	case 'n':
		j = jalloc(sizeof(*j));
		if (lit(p, "true"))
			j->type = J_TRUE;
		else if (lit(p, "false"))
			j->type = J_FALSE;
		else if (lit(p, "null"))
			j->type = J_NULL;
		else {
			free(j);
			return fail(p, "bad literal");
		}
		return j;
	default:
		return number(p);
	}
}

struct json *json_parse(const char *text, size_t len, const char **err,
			size_t *err_off)
{
	struct jp p = { .s = text, .n = len };
	struct json *j = value(&p);

	if (j) {
		ws(&p);
		if (p.i != p.n) {
			json_free(j);
			j = fail(&p, "trailing text");
		}
	}
	if (!j) {
		if (err)
			*err = p.err ? p.err : "syntax error";
		if (err_off)
			*err_off = p.i;
	}
	return j;
}

void json_free(struct json *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; i < j->n; i++) {
		json_free(j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->str);
	free(j);
}

const struct json *json_get(const struct json *obj, const char *key)
{
	size_t i;

	if (!obj || obj->type != J_OBJECT)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return obj->items[i];
	return NULL;
}

char *json_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, k;

	if (!f)
		return NULL;
	do {
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 1 << 16;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		k = fread(buf + n, 1, cap - n - 1, f);
		n += k;
	} while (k);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
		*len = n;
	}
	fclose(f);
	return buf;
}
