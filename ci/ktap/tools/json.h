/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - a small strict JSON reader (RFC 8259): "ktap igt" reads
 * igt_runner's results.json with it, the tests validate "ktap parse
 * --json" with it, and jsoncmp compares ktap's and kunit.py's JSON with it.
 */
#ifndef KTAP_JSON_H
#define KTAP_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum json_type {
	J_NULL,
	J_FALSE,
	J_TRUE,
	J_NUMBER,
	J_STRING,
	J_ARRAY,
	J_OBJECT,
};

struct json {
	enum json_type type;
	char *str;		/* J_STRING (decoded UTF-8), J_NUMBER (text) */
	size_t len;
	struct json **items;	/* J_ARRAY, J_OBJECT values */
	char **keys;		/* J_OBJECT keys (decoded, NUL-terminated) */
	size_t n;
};

/* NULL on a syntax error; *err then points at a message. */
struct json *json_parse(const char *text, size_t len, const char **err,
			size_t *err_off);
void json_free(struct json *j);
/* Member of an object, or NULL. */
const struct json *json_get(const struct json *obj, const char *key);
/*
 * The whole file at @path, NUL-terminated (@len bytes before the NUL), or
 * NULL with errno set.  The caller frees it.
 */
char *json_slurp(const char *path, size_t *len);

#endif /* KTAP_JSON_H */
