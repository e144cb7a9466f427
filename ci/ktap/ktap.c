// SPDX-License-Identifier: GPL-2.0
/*
 * ktap.c - streaming KTAP / TAP parser, see ktap.h.
 *
 * The recursive descent of kunit_parser.py (parse_test()) is turned into
 * an explicit stack of frames, one per open test, each with a phase.  A
 * line is offered to the innermost frame; a frame either consumes it or
 * moves on to its next phase (possibly finishing and handing the same
 * line to its parent, or opening a child that gets it), exactly where
 * parse_test() would peek() without pop().  Only one line of look-ahead
 * is ever needed, so the input can be streamed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktap.h"

#define IBUF_SIZE	(64 * 1024)

enum phase {
	PH_DIAG0,	/* main: diagnostics before the version line */
	PH_HEADER,	/* version line? */
	PH_SUBHDR,	/* "# Subtest:" line? */
	PH_DIAG1,	/* diagnostics before the plan */
	PH_PLAN,	/* plan line? */
	PH_LOOP,	/* next subtest or end of block */
	PH_LOOP_DIAG,	/* diagnostics before the next subtest */
	PH_AFTER_DIAG,	/* diagnostics before our own result line */
	PH_RESULT,	/* our own result line */
	PH_FINISH,	/* main: finish */
	PH_DONE,	/* main: finished, ignore everything */
};

enum kind {
	K_DIAG,
	K_RESULT,
	K_HEADER,
	K_KTAP,
	K_TAP,
	K_PLAN,
};

struct cline {
	const char *s;
	size_t n;
	enum kind kind;
	bool ok;
	bool skip;
	uint64_t num;		/* result number, version or plan */
	const char *name;	/* TEST_RESULT group 4 / header name */
	size_t name_len;
	const char *sname;	/* TEST_RESULT_SKIP group 4 */
	size_t sname_len;
	const char *tail;	/* text after the first " # ", or NULL */
	size_t tail_len;
	const char *sreason;	/* text after the last " # SKIP" */
	size_t sreason_len;
};

/* A bounded tail of lines ("line\n" each) plus attributes seen in it. */
struct tail {
	char *buf;
	uint32_t start, end, cap;
	uint32_t nlines;
	uint32_t dropped;
	char *attrs;
	uint32_t attrs_len;
};

/* A bounded head of text (crash excerpts). */
struct head {
	char *buf;
	uint32_t len, cap;
	uint32_t nlines;
	uint32_t nsplat;
	bool full;
};

/* A growable string owned by a frame; kept when the frame is reused. */
struct sbuf {
	char *b;
	uint32_t len, cap;
};

struct frame {
	struct sbuf name;	/* current name */
	struct sbuf hname;	/* "# Subtest:" name if the result renamed us */
	struct sbuf last;	/* name of the last finished subtest */
	struct sbuf reason;	/* SKIP/TODO/XFAIL text */
	uint64_t start_off;	/* our START record, KTAP_NOFF for leaves */
	bool has_last;
	enum phase phase;
	bool is_main;
	bool ktap_line;
	bool parent_test;
	bool has_header;
	bool has_sub;
	bool too_deep;
	int64_t expected;	/* -1: no plan */
	uint64_t expected_num;	/* our number in the parent's block */
	uint64_t test_num;	/* next subtest number */
	uint64_t nplace;	/* placeholder nodes made in this block */
	uint64_t more_missing;
	struct ktap_counts counts;
	uint16_t errflags;
	uint32_t nerr;
	uint64_t bad_expected, bad_found;
	uint8_t status;
	uint8_t flags;
};

enum target {
	T_STRAY_BEFORE,
	T_STRAY_AFTER,
	T_OWN,
	T_PENDING,
};

struct ktap_parser {
	struct ktap_opts opts;

	/* line splitting */
	unsigned char *ib;
	size_t ilen, ib_cap;
	bool skip_lf;
	bool discard;
	char *trunc;
	size_t trunc_len;
	char *fix;
	size_t fix_cap;
	uint64_t nlines;

	/* extraction */
	bool started;		/* saw the version line */
	bool yielded;		/* yielded any line at all */
	bool ended;		/* saw a KTAP end marker */
	size_t prefix;		/* in code points */

	/* structure */
	struct frame *fr;
	struct tail *logs;	/* logs[d]: log of frame d, pending of d-1 */
	struct head *splats;	/* same scheme for crash excerpts */
	uint32_t nfr;		/* frames allocated (logs, splats: + 1) */
	int depth;
	bool main_made;
	bool finished;
	bool eof_crash_counted;	/* the end makes kunit.py placeholders */

	/* results: the spool (memory, then an unlinked temporary file) */
	int spool_fd;
	unsigned char *sp;	/* memory spool / file write buffer */
	size_t sp_len, sp_cap;
	uint64_t sp_flushed;	/* bytes in the file */
	unsigned char *win;	/* read cache of the file */
	uint64_t win_off;
	size_t win_len;
	struct ktap_rec out;	/* record being written */
	unsigned char *enc;	/* its encoding */
	size_t enc_cap;
	uint64_t root;
	uint8_t root_status;
	struct ktap_counts root_counts;

	/* crash capture */
	bool capturing;
	enum target cap_target;
	int cap_depth;
	struct head cap;

	struct ktap_stray strays[KTAP_MAX_STRAY];
	uint32_t nstrays, strays_total;

	/* last console lines, for an abrupt end */
	char *ctx[KTAP_CONTEXT_LINES];
	uint32_t ctx_len[KTAP_CONTEXT_LINES];
	uint32_t ctx_pos;
};

/* ---------------------------------------------------------------- utils */

static void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p) {
		fprintf(stderr, "ktap: out of memory (%zu bytes)\n", size);
		abort();
	}
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "ktap: out of memory\n");
		abort();
	}
	return p;
}

static char *xmemdup(const char *s, size_t n)
{
	char *d = xrealloc(NULL, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static inline bool starts_n(const char *s, size_t n, const char *lit,
			    size_t l)
{
	return n >= l && !memcmp(s, lit, l);
}

/* Does s[0..n) start with the string literal lit? */
#define starts(s, n, lit)	starts_n((s), (n), (lit), sizeof(lit) - 1)

static const char *memmem_last(const char *h, size_t hn, const char *nd,
			       size_t nn)
{
	size_t i;

	if (nn > hn)
		return NULL;
	for (i = hn - nn + 1; i-- > 0;)
		if (h[i] == nd[0] && !memcmp(h + i, nd, nn))
			return h + i;
	return NULL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parse ASCII digits, saturating. */
static uint64_t parse_num(const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return UINT64_MAX;
		v = v * 10 + d;
	}
	return v;
}

/*
 * Python's str.isspace() on the UTF-8 character at s: returns its length
 * in bytes, or 0.
 */
static size_t space_at(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80) {
		if ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20))
			return 1;
		return 0;
	}
	if (c == 0xc2 && n >= 2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if (c == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
		return 3;
	if (c == 0xe2 && s[1] == 0x80 &&
	    (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
		return 3;
	if (c == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
		return 3;
	if (c == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

static size_t skip_space(const char *s, size_t n)
{
	size_t i = 0, l;

	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i >= n ||
		    !(l = space_at((const unsigned char *)s + i, n - i)))
			return i;
		i += l;
	}
}

/* Is the first non-space character c? */
static bool first_is(const char *s, size_t n, char c)
{
	size_t i = skip_space(s, n);

	return i < n && s[i] == c;
}

/* Length after Python's str.rstrip(); the text is valid UTF-8. */
static size_t rstrip_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	while (n) {
		unsigned char c = s[n - 1];

		if (c < 0x80) {
			if ((c >= 0x09 && c <= 0x0d) ||
			    (c >= 0x1c && c <= 0x20)) {
				n--;
				continue;
			}
			break;
		}
		if (n >= 2 && s[n - 2] == 0xc2 && (c == 0x85 || c == 0xa0)) {
			n -= 2;
			continue;
		}
		if (n >= 3 && space_at(s + n - 3, 3) == 3) {
			n -= 3;
			continue;
		}
		break;
	}
	return n;
}

/* Number of code points in valid UTF-8. */
size_t ktap_utf8_len(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

/* Byte offset after skipping @cps code points (or n). */
static size_t cp_skip(const char *s, size_t n, size_t cps)
{
	size_t i = 0;

	while (cps && i < n) {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		cps--;
	}
	return i;
}

/* Length of the valid UTF-8 sequence at s, 0 if invalid (Python rules). */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = 0x80, hi = 0xbf;

		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
		if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = 0x80, hi = 0xbf;

		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
		if (n < 4 || s[1] < lo || s[1] > hi ||
		    (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/* ------------------------------------------------------------- matcher */

enum { M_END = 1, M_SPLAT = 2, M_EXEC = 4, M_QUIET = 8 };

struct pattern {
	const char *text;
	uint8_t kind;
	uint8_t anywhere;	/* may start mid-line (else: starts the line) */
	uint8_t len;
	uint8_t at;		/* offset of the first ':' */
	uint8_t next;		/* next pattern with the same key, + 1 */
};

#define PAT(t, k)	{ .text = (t), .kind = (k) }
#define PAT_ANY(t, k)	{ .text = (t), .kind = (k), .anywhere = 1 }

/*
 * Substrings searched in every console line.  M_END are kunit.py's
 * KTAP_END markers, M_EXEC its EXECUTOR_ERROR, M_SPLAT the crash
 * reports.  Every pattern has a ':'; the scan looks only at the colons of
 * a line (memchr) and at the byte before each, so it costs next to
 * nothing on lines without colons.  Lockdep, kmemleak, RCU-stall and
 * hung-task reports all start with one of these (their headers are
 * "WARNING: possible circular locking dependency detected", "BUG:
 * sleeping function called from invalid context", "kmemleak: unreferenced
 * object ...", "rcu: INFO: rcu_preempt detected stalls", "INFO: task ...
 * blocked for more than ..."), as do GPFs ("Oops: general protection
 * fault") and BUG_ON()s ("kernel BUG at ..." then "Oops: invalid
 * opcode", or "Internal error: Oops - BUG" on arm64).
 *
 * A crash report starts its line: after the printk time stamp and caller
 * id ("[    1.234567] [    T1] "), if any, and blanks.  Program output
 * that merely contains such words (IGT prints "(test:42) WARNING: ...")
 * is not a splat.  "Call Trace:" counts anywhere: it follows every report
 * on its own line, so a report whose first line was glued to a program's
 * unfinished output line is still caught.
 *
 * M_QUIET lines start like a report but are not one: kmemleak's status
 * at boot ("kmemleak: Kernel memory leak detector initialized (mem pool
 * available: 15678)", or "... disabled" when it is off unless asked for).
 * Its failures print a stack trace before that line, and a scan that
 * finds leaks says "kmemleak: N new suspected memory leaks".
 */
static struct pattern patterns[] = {
	PAT("List of all partitions:", M_END),
	PAT("Kernel panic - not syncing: VFS:", M_END),
	PAT("reboot: System halted", M_END),
	PAT("kunit executor: ", M_EXEC),
	PAT("Kernel panic - not syncing:", M_SPLAT),
	PAT("Oops: ", M_SPLAT),
	PAT("Internal error: ", M_SPLAT),
	PAT("BUG: ", M_SPLAT),
	PAT("WARNING: ", M_SPLAT),
	PAT("KASAN: ", M_SPLAT),
	PAT("UBSAN: ", M_SPLAT),
	PAT("KFENCE: ", M_SPLAT),
	PAT("KCSAN: ", M_SPLAT),
	PAT("KMSAN: ", M_SPLAT),
	PAT("stack-protector: Kernel stack is corrupted", M_SPLAT),
	PAT("kmemleak: ", M_SPLAT),
	PAT("kmemleak: Kernel memory leak detector ", M_QUIET),
	PAT("INFO: task ", M_SPLAT),
	PAT("INFO: rcu_", M_SPLAT),
	PAT("rcu: INFO: ", M_SPLAT),
	PAT("watchdog: BUG: ", M_SPLAT),
	PAT_ANY("Call Trace:", M_SPLAT),
};

#define NPATTERNS	(sizeof(patterns) / sizeof(patterns[0]))

static uint8_t colon_pat[256];	/* byte before the ':' -> pattern + 1 */
static bool matcher_ready;

static void matcher_init(void)
{
	size_t i;

	if (matcher_ready)
		return;
	for (i = NPATTERNS; i-- > 0;) {
		struct pattern *pt = &patterns[i];
		const char *c = strchr(pt->text, ':');
		unsigned char key;

		if (!c || c == pt->text) {
			fprintf(stderr, "ktap: bad pattern '%s'\n", pt->text);
			abort();
		}
		pt->len = (uint8_t)strlen(pt->text);
		pt->at = (uint8_t)(c - pt->text);
		key = (unsigned char)c[-1];
		pt->next = colon_pat[key];
		colon_pat[key] = (uint8_t)(i + 1);
	}
	matcher_ready = true;
}

/* Where a console line's text starts: after time stamps and blanks. */
static size_t line_body(const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < n && s[i] == '[') {
			const char *e = memchr(s + i, ']', n - i);

			if (!e)
				return i;
			i = (size_t)(e - s) + 1;
			continue;
		}
		return i;
	}
}

static unsigned match_line(const char *s, size_t n)
{
	const char *c = memchr(s, ':', n);
	size_t body = (size_t)-1;
	unsigned found = 0;

	while (c) {
		size_t i = (size_t)(c - s);
		unsigned k;

		for (k = i ? colon_pat[(unsigned char)c[-1]] : 0; k;
		     k = patterns[k - 1].next) {
			const struct pattern *pt = &patterns[k - 1];

			if (i < pt->at || i - pt->at + pt->len > n ||
			    memcmp(c - pt->at, pt->text, pt->len))
				continue;
			if ((pt->kind & (M_SPLAT | M_QUIET)) && !pt->anywhere) {
				if (body == (size_t)-1)
					body = line_body(s, n);
				if (i - pt->at != body)
					continue;
			}
			found |= pt->kind;
		}
		c = memchr(c + 1, ':', n - i - 1);
	}
	return found & M_QUIET ? found & ~(M_QUIET | M_SPLAT) : found;
}

/* --------------------------------------------------------- classifying */

static bool is_result(const char *s, size_t n, struct cline *L)
{
	size_t i = skip_space(s, n), j, d;
	const char *r;
	size_t rn;

	if (starts(s + i, n - i, "ok ")) {
		L->ok = true;
		i += 3;
	} else if (starts(s + i, n - i, "not ok ")) {
		L->ok = false;
		i += 7;
	} else {
		return false;
	}
	for (j = i; j < n && is_digit(s[j]); j++)
		;
	if (j == i || j >= n || s[j] != ' ')
		return false;
	L->num = parse_num(s + i, j - i);
	r = s + j + 1;
	rn = n - (j + 1);

	/* (- )?([^#]*)( # .*)?$ : try with the "- " first */
	for (d = (rn >= 2 && r[0] == '-' && r[1] == ' ') ? 2 : 0;; d = 0) {
		const char *q = r + d;
		size_t qn = rn - d;
		const char *h = memchr(q, '#', qn);

		if (!h) {
			L->name = q;
			L->name_len = qn;
			L->tail = NULL;
			L->tail_len = 0;
			break;
		}
		if (h > q && h[-1] == ' ' && (size_t)(h - q) + 1 < qn &&
		    h[1] == ' ') {
			L->name = q;
			L->name_len = (size_t)(h - q) - 1;
			L->tail = h + 2;
			L->tail_len = qn - (size_t)(h - q) - 2;
			break;
		}
		if (!d)
			return false;
	}

	/* (- )?(.*) # SKIP(.*)$ : the last " # SKIP" wins */
	{
		const char *k = memmem_last(r, rn, " # SKIP", 7);

		L->skip = false;
		if (k) {
			size_t at = (size_t)(k - r);

			L->skip = true;
			if (rn >= 2 && r[0] == '-' && r[1] == ' ' && at >= 2) {
				L->sname = r + 2;
				L->sname_len = at - 2;
			} else {
				L->sname = r;
				L->sname_len = at;
			}
			L->sreason = k + 7;
			L->sreason_len = rn - at - 7;
		}
	}
	return true;
}

static bool version_at(const char *s, size_t n, const char *lit,
		       uint64_t *ver)
{
	size_t l = strlen(lit), j;

	if (!starts_n(s, n, lit, l) || n == l)
		return false;
	for (j = l; j < n; j++)
		if (!is_digit(s[j]))
			return false;
	*ver = parse_num(s + l, n - l);
	return true;
}

static void classify(const char *s, size_t n, struct cline *L)
{
	size_t i = skip_space(s, n);
	const char *t = s + i;
	size_t tn = n - i;

	L->s = s;
	L->n = n;
	L->kind = K_DIAG;
	if (!tn)
		return;
	switch (t[0]) {
	case 'o':
	case 'n':
		if (is_result(s, n, L))
			L->kind = K_RESULT;
		break;
	case '#':
		if (starts(t, tn, "# Subtest: ")) {
			L->kind = K_HEADER;
			L->name = t + 11;
			L->name_len = tn - 11;
		}
		break;
	case 'K':
		if (version_at(t, tn, "KTAP version ", &L->num))
			L->kind = K_KTAP;
		break;
	case 'T':
		if (version_at(t, tn, "TAP version ", &L->num))
			L->kind = K_TAP;
		break;
	case '1':
		if (tn >= 4 && t[1] == '.' && t[2] == '.' && is_digit(t[3])) {
			size_t j;

			for (j = 3; j < tn && is_digit(t[j]); j++)
				;
			L->kind = K_PLAN;
			L->num = parse_num(t + 3, j - 3);
		}
		break;
	default:
		break;
	}
}

/* -------------------------------------------------------------- buffers */

static void tail_reserve(struct tail *t, size_t add)
{
	size_t used = t->end - t->start, need;

	if (t->end + add <= t->cap)
		return;
	if (t->start) {
		memmove(t->buf, t->buf + t->start, used);
		t->start = 0;
		t->end = (uint32_t)used;
		if (t->end + add <= t->cap)
			return;
	}
	need = t->cap ? t->cap : 256;
	while (need < used + add)
		need *= 2;
	t->buf = xrealloc(t->buf, need);
	t->cap = (uint32_t)need;
}

static void tail_drop_first(struct tail *t)
{
	char *nl = memchr(t->buf + t->start, '\n', t->end - t->start);

	t->start = nl ? (uint32_t)(nl - t->buf) + 1 : t->end;
	t->nlines--;
	t->dropped++;
}

static bool attr_key_ok(const char *k, size_t n)
{
	static const char *const names[] = { "speed", "module", "is_init" };
	size_t i;

	for (i = 0; i < n; i++) {
		char c = k[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      is_digit(c) || c == '_' || c == '.' || c == '-'))
			return false;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t l = strlen(names[i]);

		if (n == l && !memcmp(k, names[i], l))
			return true;
		if (n > l + 1 && k[n - l - 1] == '.' &&
		    !memcmp(k + n - l, names[i], l))
			return true;
	}
	return false;
}

static void tail_attr(struct tail *t, const char *s, size_t n)
{
	size_t i = skip_space(s, n), k, v;
	const char *c;

	if (!starts(s + i, n - i, "# "))
		return;
	i += 2;
	c = memchr(s + i, ':', n - i);
	if (!c || (size_t)(c - s) + 1 >= n || c[1] != ' ')
		return;
	k = (size_t)(c - s) - i;
	if (!k || !attr_key_ok(s + i, k))
		return;
	v = n - (size_t)(c - s) - 2;
	if (t->attrs_len + k + v + 2 > KTAP_ATTR_BYTES)
		return;
	t->attrs = xrealloc(t->attrs, t->attrs_len + k + v + 2);
	memcpy(t->attrs + t->attrs_len, s + i, k);
	t->attrs[t->attrs_len + k] = '=';
	memcpy(t->attrs + t->attrs_len + k + 1, c + 2, v);
	t->attrs[t->attrs_len + k + 1 + v] = '\n';
	t->attrs_len += (uint32_t)(k + v + 2);
}

static void tail_add(struct tail *t, const char *s, size_t n)
{
	if (n > KTAP_LOG_LINE_BYTES)
		n = KTAP_LOG_LINE_BYTES;
	if (first_is(s, n, '#'))
		tail_attr(t, s, n);
	while (t->nlines && (t->nlines >= KTAP_LOG_LINES ||
			     t->end - t->start + n + 1 > KTAP_LOG_BYTES))
		tail_drop_first(t);
	tail_reserve(t, n + 1);
	memcpy(t->buf + t->end, s, n);
	t->buf[t->end + n] = '\n';
	t->end += (uint32_t)(n + 1);
	t->nlines++;
}

static void tail_clear(struct tail *t)
{
	t->start = t->end = 0;
	t->nlines = 0;
	t->dropped = 0;
	t->attrs_len = 0;
}

/* Append all of src to dst, then clear src. */
static void tail_move(struct tail *dst, struct tail *src)
{
	uint32_t i = src->start;

	dst->dropped += src->dropped;
	while (i < src->end) {
		char *nl = memchr(src->buf + i, '\n', src->end - i);
		uint32_t e = (uint32_t)(nl - src->buf);

		/* attributes are moved below, not re-parsed */
		if (e - i > KTAP_LOG_LINE_BYTES)
			e = i + KTAP_LOG_LINE_BYTES;
		while (dst->nlines && (dst->nlines >= KTAP_LOG_LINES ||
				       dst->end - dst->start + (e - i) + 1 >
				       KTAP_LOG_BYTES))
			tail_drop_first(dst);
		tail_reserve(dst, e - i + 1);
		memcpy(dst->buf + dst->end, src->buf + i, e - i + 1);
		dst->end += e - i + 1;
		dst->nlines++;
		i = (uint32_t)(nl - src->buf) + 1;
	}
	if (src->attrs_len && dst->attrs_len + src->attrs_len <=
	    KTAP_ATTR_BYTES) {
		dst->attrs = xrealloc(dst->attrs, dst->attrs_len +
				      src->attrs_len);
		memcpy(dst->attrs + dst->attrs_len, src->attrs,
		       src->attrs_len);
		dst->attrs_len += src->attrs_len;
	}
	tail_clear(src);
}

static void head_add(struct head *h, const char *s, size_t n)
{
	if (h->full)
		return;
	if (h->nlines >= KTAP_SPLAT_LINES || h->len + 1 >= KTAP_SPLAT_BYTES) {
		h->full = true;
		return;
	}
	if (h->len + n + 1 > KTAP_SPLAT_BYTES)
		n = KTAP_SPLAT_BYTES - h->len - 1;
	if (h->len + n + 1 > h->cap) {
		size_t c = h->cap ? h->cap : 256;

		while (c < h->len + n + 1)
			c *= 2;
		h->buf = xrealloc(h->buf, c);
		h->cap = (uint32_t)c;
	}
	memcpy(h->buf + h->len, s, n);
	h->buf[h->len + n] = '\n';
	h->len += (uint32_t)(n + 1);
	h->nlines++;
}

static void head_clear(struct head *h)
{
	h->len = 0;
	h->nlines = 0;
	h->nsplat = 0;
	h->full = false;
}

/* Append all of src to dst (a second splat in the same test). */
static void head_move(struct head *dst, struct head *src)
{
	uint32_t i = 0;

	if (!src->nsplat)
		return;
	if (dst->nsplat && dst->nlines && !dst->full)
		head_add(dst, "...", 3);
	while (i < src->len) {
		char *nl = memchr(src->buf + i, '\n', src->len - i);
		uint32_t e = (uint32_t)(nl - src->buf);

		head_add(dst, src->buf + i, e - i);
		i = e + 1;
	}
	dst->nsplat += src->nsplat;
	head_clear(src);
}

/* --------------------------------------------------------------- counts */

uint64_t ktap_count_total(const struct ktap_counts *c)
{
	return c->passed + c->failed + c->crashed + c->skipped;
}

enum ktap_status ktap_counts_status(const struct ktap_counts *c)
{
	if (!ktap_count_total(c))
		return KTAP_NO_TESTS;
	if (c->crashed)
		return KTAP_CRASHED;
	if (c->failed)
		return KTAP_FAILURE;
	if (c->passed)
		return KTAP_SUCCESS;
	return KTAP_SKIPPED;
}

static void add_status(struct ktap_counts *c, enum ktap_status s)
{
	switch (s) {
	case KTAP_SUCCESS:
		c->passed++;
		break;
	case KTAP_FAILURE:
		c->failed++;
		break;
	case KTAP_SKIPPED:
		c->skipped++;
		break;
	case KTAP_NO_TESTS:
		break;
	default:
		c->crashed++;
		break;
	}
}

static void add_counts(struct ktap_counts *d, const struct ktap_counts *s)
{
	d->passed += s->passed;
	d->failed += s->failed;
	d->crashed += s->crashed;
	d->skipped += s->skipped;
	d->errors += s->errors;
}

static void frame_error(struct frame *f, uint16_t flag)
{
	f->errflags |= flag;
	f->counts.errors++;
	f->nerr++;
}

/* ---------------------------------------------------------------- spool */

/*
 * Every finished test is appended to the spool as one record; a test with
 * subtests is a START record (type, 8-byte offset of its END record,
 * patched when it finishes), the records of its subtests, then its END
 * record.  END and LEAF records carry everything about the test:
 *
 *	type, varint payload length, payload:
 *	status, flags, varints (errflags, nerr, 5 counts, expected + 1,
 *	index, bad_expected, bad_found, more_missing, nsplat, log_dropped),
 *	strings as varint length + bytes (name, hname, log, splat, reason,
 *	attrs).
 *
 * Most tests need only a SIMPLE record: type, status, flags, varint
 * index, name (everything else zero, counts from the status).
 */
enum { R_START = 1, R_END = 2, R_LEAF = 3, R_SIMPLE = 4 };

#define SPOOL_WBUF	(64 * 1024)

static void sbuf_set(struct sbuf *s, const char *d, size_t n)
{
	if (n + 1 > s->cap) {
		s->cap = (uint32_t)(n + 1 < 64 ? 64 : n + 1);
		s->b = xrealloc(s->b, s->cap);
	}
	if (n)
		memcpy(s->b, d, n);
	s->b[n] = '\0';
	s->len = (uint32_t)n;
}

static void spool_die(const char *what)
{
	fprintf(stderr, "ktap: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void write_all(int fd, const void *d, size_t n)
{
	const char *s = d;

	while (n) {
		ssize_t k = write(fd, s, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			spool_die("writing the spool file");
		s += k;
		n -= (size_t)k;
	}
}

static void spool_flush(struct ktap_parser *p)
{
	if (p->spool_fd < 0 || !p->sp_len)
		return;
	write_all(p->spool_fd, p->sp, p->sp_len);
	p->sp_flushed += p->sp_len;
	p->sp_len = 0;
	p->win_len = 0;
}

/* Move a grown spool from memory to an unlinked file in $TMPDIR. */
static void spool_to_file(struct ktap_parser *p)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/ktap-spool-XXXXXX", dir);
	p->spool_fd = mkstemp(path);
	if (p->spool_fd < 0)
		spool_die(path);
	unlink(path);
	p->sp_flushed = 0;
	spool_flush(p);
	if (p->sp_cap > 2 * SPOOL_WBUF) {
		p->sp = xrealloc(p->sp, SPOOL_WBUF);
		p->sp_cap = SPOOL_WBUF;
	}
}

static uint64_t spool_tell(const struct ktap_parser *p)
{
	return p->sp_flushed + p->sp_len;
}

static void spool_write(struct ktap_parser *p, const void *d, size_t n)
{
	if (p->spool_fd < 0 && p->sp_len + n > KTAP_SPOOL_MEM)
		spool_to_file(p);
	if (p->spool_fd >= 0 && p->sp_len + n > SPOOL_WBUF) {
		spool_flush(p);
		if (n > SPOOL_WBUF) {
			write_all(p->spool_fd, d, n);
			p->sp_flushed += n;
			return;
		}
	}
	if (p->sp_len + n > p->sp_cap) {
		size_t c = p->sp_cap ? p->sp_cap : 4096;

		while (c < p->sp_len + n)
			c *= 2;
		p->sp = xrealloc(p->sp, c);
		p->sp_cap = c;
	}
	memcpy(p->sp + p->sp_len, d, n);
	p->sp_len += n;
}

static void spool_patch(struct ktap_parser *p, uint64_t off,
			const unsigned char *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, off++) {
		if (off >= p->sp_flushed) {
			p->sp[off - p->sp_flushed] = d[i];
		} else if (pwrite(p->spool_fd, d + i, 1, (off_t)off) != 1) {
			spool_die("patching the spool file");
		} else {
			p->win_len = 0;
		}
	}
}

#define SPOOL_WIN	(256 * 1024)

/* Fill the read window with the file from off on. */
static bool spool_window(struct ktap_parser *p, uint64_t off)
{
	size_t got = 0, want;

	if (!p->win)
		p->win = xrealloc(NULL, SPOOL_WIN);
	off &= ~(uint64_t)4095;
	want = p->sp_flushed - off < SPOOL_WIN ? (size_t)(p->sp_flushed - off) :
	       SPOOL_WIN;
	while (got < want) {
		ssize_t k = pread(p->spool_fd, p->win + got, want - got,
				  (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		got += (size_t)k;
	}
	p->win_off = off;
	p->win_len = got;
	return true;
}

/*
 * A pointer to n bytes of the spool at off, valid until the next spool
 * access, or NULL if they are not in one piece (use spool_read()).
 */
static const unsigned char *spool_peek(struct ktap_parser *p, uint64_t off,
				       size_t n)
{
	if (off > spool_tell(p) || n > spool_tell(p) - off)
		return NULL;
	if (off >= p->sp_flushed)
		return p->sp + (off - p->sp_flushed);
	if (off + n > p->sp_flushed || n > SPOOL_WIN / 2)
		return NULL;
	if (!p->win || off < p->win_off ||
	    off + n > p->win_off + p->win_len) {
		if (!spool_window(p, off))
			return NULL;
		if (off + n > p->win_off + p->win_len)
			return NULL;
	}
	return p->win + (off - p->win_off);
}

static bool spool_read(struct ktap_parser *p, uint64_t off, void *d,
		       size_t n)
{
	char *o = d;

	if (off > spool_tell(p) || n > spool_tell(p) - off)
		return false;
	while (n) {
		size_t k;

		if (off >= p->sp_flushed) {
			memcpy(o, p->sp + (off - p->sp_flushed), n);
			return true;
		}
		if (!p->win || off < p->win_off ||
		    off >= p->win_off + p->win_len) {
			if (!spool_window(p, off))
				return false;
		}
		k = (size_t)(p->win_off + p->win_len - off);
		if (k > n)
			k = n;
		memcpy(o, p->win + (off - p->win_off), k);
		o += k;
		off += k;
		n -= k;
	}
	return true;
}

static size_t put_varint(unsigned char *d, uint64_t v)
{
	size_t k = 0;

	while (v >= 0x80) {
		d[k++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	d[k++] = (unsigned char)v;
	return k;
}

static bool get_varint(const unsigned char **s, const unsigned char *end,
		       uint64_t *v)
{
	unsigned sh = 0;

	*v = 0;
	while (*s < end && sh < 64) {
		unsigned char c = *(*s)++;

		*v |= (uint64_t)(c & 0x7f) << sh;
		if (!(c & 0x80))
			return true;
		sh += 7;
	}
	return false;
}

static void enc_reserve(struct ktap_parser *p, size_t need)
{
	if (need > p->enc_cap) {
		p->enc_cap = need * 2;
		p->enc = xrealloc(p->enc, p->enc_cap);
	}
}

static void derived_counts(const struct ktap_rec *r, struct ktap_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (!(r->flags & KTAP_N_PLACEHOLDER))
		add_status(c, (enum ktap_status)r->status);
}

static bool is_simple(const struct ktap_rec *r)
{
	struct ktap_counts c;

	if (r->errflags || r->nerr || r->expected != -1 || r->bad_expected ||
	    r->bad_found || r->more_missing || r->nsplat || r->log_dropped ||
	    r->hname_len || r->log_len || r->splat_len || r->reason_len ||
	    r->attrs_len)
		return false;
	derived_counts(r, &c);
	return c.passed == r->counts.passed && c.failed == r->counts.failed &&
	       c.crashed == r->counts.crashed &&
	       c.skipped == r->counts.skipped &&
	       c.errors == r->counts.errors;
}

/* Write p->out as an END or LEAF record. */
static void write_rec(struct ktap_parser *p, int type)
{
	const struct ktap_rec *r = &p->out;
	size_t need = 32 + 16 * 10 + r->name_len + r->hname_len + r->log_len +
		      r->splat_len + r->reason_len + r->attrs_len + 6 * 10;
	uint64_t nums[] = {
		r->errflags, r->nerr, r->counts.passed, r->counts.failed,
		r->counts.crashed, r->counts.skipped, r->counts.errors,
		(uint64_t)r->expected + 1, r->index, r->bad_expected,
		r->bad_found, r->more_missing, r->nsplat, r->log_dropped,
	};
	const char *strs[] = { r->name, r->hname, r->log, r->splat, r->reason,
			       r->attrs };
	size_t lens[] = { r->name_len, r->hname_len, r->log_len, r->splat_len,
			  r->reason_len, r->attrs_len };
	unsigned char *d, hdr[12];
	size_t i, k = 0, h;

	enc_reserve(p, need);
	d = p->enc;
	if (type == R_LEAF && is_simple(r)) {
		d[k++] = R_SIMPLE;
		d[k++] = r->status;
		d[k++] = r->flags;
		k += put_varint(d + k, r->index);
		k += put_varint(d + k, r->name_len);
		memcpy(d + k, r->name, r->name_len);
		spool_write(p, d, k + r->name_len);
		return;
	}
	d[k++] = r->status;
	d[k++] = r->flags;
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		k += put_varint(d + k, nums[i]);
	for (i = 0; i < 6; i++) {
		k += put_varint(d + k, lens[i]);
		if (lens[i])
			memcpy(d + k, strs[i], lens[i]);
		k += lens[i];
	}
	hdr[0] = (unsigned char)type;
	h = 1 + put_varint(hdr + 1, k);
	spool_write(p, hdr, h);
	spool_write(p, d, k);
}

static void write_start(struct ktap_parser *p, struct frame *f)
{
	unsigned char rec[9] = { R_START };

	f->start_off = spool_tell(p);
	spool_write(p, rec, sizeof(rec));
}

void ktap_rec_free(struct ktap_rec *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

/* Read an END or LEAF record at off into r; returns its total size. */
static uint64_t read_body(struct ktap_parser *p, uint64_t off,
			  struct ktap_rec *r, int want)
{
	unsigned char hdr[11];
	const unsigned char *s, *end;
	uint64_t len, v, nums[14], hl;
	size_t h = sizeof(hdr), i;
	const char **strs[] = { &r->name, &r->hname, &r->log, &r->splat,
				&r->reason, &r->attrs };
	size_t *lens[] = { &r->name_len, &r->hname_len, &r->log_len,
			   &r->splat_len, &r->reason_len, &r->attrs_len };

	if (spool_tell(p) - off < h)
		h = (size_t)(spool_tell(p) - off);
	if (h < 2 || !spool_read(p, off, hdr, h) || hdr[0] != want)
		return 0;
	s = hdr + 1;
	if (!get_varint(&s, hdr + h, &len) || len > spool_tell(p))
		return 0;
	hl = (uint64_t)(s - hdr);
	off += hl;
	if (len + 1 > r->cap) {
		r->cap = (size_t)len + 1;
		r->buf = xrealloc(r->buf, r->cap);
	}
	if (!spool_read(p, off, r->buf, (size_t)len))
		return 0;
	s = (const unsigned char *)r->buf;
	end = s + len;
	if (len < 2)
		return 0;
	r->status = *s++;
	r->flags = *s++;
	for (i = 0; i < 14; i++)
		if (!get_varint(&s, end, &nums[i]))
			return 0;
	r->errflags = (uint16_t)nums[0];
	r->nerr = (uint32_t)nums[1];
	r->counts.passed = nums[2];
	r->counts.failed = nums[3];
	r->counts.crashed = nums[4];
	r->counts.skipped = nums[5];
	r->counts.errors = nums[6];
	/* expected + 1 was stored: 0 is -1 (no plan), at most INT64_MAX + 1 */
	r->expected = nums[7] ? (int64_t)(nums[7] - 1) : -1;
	r->index = nums[8];
	r->bad_expected = nums[9];
	r->bad_found = nums[10];
	r->more_missing = nums[11];
	r->nsplat = (uint32_t)nums[12];
	r->log_dropped = (uint32_t)nums[13];
	for (i = 0; i < 6; i++) {
		if (!get_varint(&s, end, &v) || v > (uint64_t)(end - s))
			return 0;
		*strs[i] = (const char *)s;
		*lens[i] = (size_t)v;
		s += v;
	}
	return hl + len;
}

/* A SIMPLE record; returns its size. */
static uint64_t read_simple(struct ktap_parser *p, uint64_t off,
			    struct ktap_rec *r)
{
	unsigned char hdr[24];
	const unsigned char *s, *e, *pk;
	size_t h = sizeof(hdr);
	uint64_t idx, len, hl;

	if (spool_tell(p) - off < h)
		h = (size_t)(spool_tell(p) - off);
	pk = spool_peek(p, off, h);
	if (pk)
		memcpy(hdr, pk, h);
	else if (h < 5 || !spool_read(p, off, hdr, h))
		return 0;
	s = hdr + 3;
	e = hdr + h;
	if (!get_varint(&s, e, &idx) || !get_varint(&s, e, &len))
		return 0;
	hl = (uint64_t)(s - hdr);
	if (len > spool_tell(p) - off - hl)
		return 0;
	if (len + 1 > r->cap) {
		r->cap = (size_t)len + 1;
		r->buf = xrealloc(r->buf, r->cap);
	}
	if (!spool_read(p, off + hl, r->buf, (size_t)len))
		return 0;
	memset(&r->counts, 0, offsetof(struct ktap_rec, name) -
	       offsetof(struct ktap_rec, counts));
	r->hname_len = r->log_len = r->splat_len = 0;
	r->reason_len = r->attrs_len = 0;
	r->status = hdr[1];
	r->flags = hdr[2];
	r->errflags = 0;
	r->nerr = 0;
	r->expected = -1;
	r->index = idx;
	r->name = r->buf;
	r->name_len = (size_t)len;
	r->hname = r->log = r->splat = r->reason = r->attrs = "";
	derived_counts(r, &r->counts);
	return hl + len;
}

/* Where does the test at off end, and has it subtests? */
bool ktap_skip(struct ktap_parser *p, uint64_t off, uint64_t *next,
	       bool *has_children)
{
	unsigned char hdr[12];
	const unsigned char *s, *pk;
	uint64_t end_off = 0, v, hl;
	size_t h = sizeof(hdr);
	int i;

	if (off == KTAP_NOFF || off >= spool_tell(p))
		return false;
	if (spool_tell(p) - off < h)
		h = (size_t)(spool_tell(p) - off);
	pk = spool_peek(p, off, h);
	if (pk)
		memcpy(hdr, pk, h);
	else if (!spool_read(p, off, hdr, h))
		return false;
	*has_children = false;
	switch (hdr[0]) {
	case R_SIMPLE:
		s = hdr + 3;
		if (h < 5 || !get_varint(&s, hdr + h, &v) ||
		    !get_varint(&s, hdr + h, &v))
			return false;
		*next = off + (uint64_t)(s - hdr) + v;
		return true;
	case R_LEAF:
		s = hdr + 1;
		if (!get_varint(&s, hdr + h, &v))
			return false;
		*next = off + (uint64_t)(s - hdr) + v;
		return true;
	case R_START:
		if (h < 9)
			return false;
		for (i = 8; i >= 1; i--)
			end_off = end_off << 8 | hdr[i];
		if (end_off <= off || end_off >= spool_tell(p))
			return false;
		*has_children = end_off != off + 9;
		h = sizeof(hdr);
		if (spool_tell(p) - end_off < h)
			h = (size_t)(spool_tell(p) - end_off);
		if (!spool_read(p, end_off, hdr, h) || hdr[0] != R_END)
			return false;
		s = hdr + 1;
		if (!get_varint(&s, hdr + h, &v))
			return false;
		hl = (uint64_t)(s - hdr);
		*next = end_off + hl + v;
		return true;
	default:
		return false;
	}
}

bool ktap_read(struct ktap_parser *p, uint64_t off, struct ktap_rec *r)
{
	unsigned char rec[9];
	uint64_t end_off = 0, size;
	int i;

	if (off == KTAP_NOFF || !spool_read(p, off, rec, 1))
		return false;
	r->off = off;
	if (rec[0] == R_SIMPLE) {
		size = read_simple(p, off, r);
		if (!size)
			return false;
		r->off = off;
		r->parent = false;
		r->first_child = KTAP_NOFF;
		r->children_end = KTAP_NOFF;
		r->next = off + size;
		return true;
	}
	if (rec[0] == R_LEAF) {
		size = read_body(p, off, r, R_LEAF);
		if (!size)
			return false;
		r->parent = false;
		r->first_child = KTAP_NOFF;
		r->children_end = KTAP_NOFF;
		r->next = off + size;
		return true;
	}
	if (rec[0] != R_START || !spool_read(p, off, rec, 9))
		return false;
	for (i = 8; i >= 1; i--)
		end_off = end_off << 8 | rec[i];
	if (end_off <= off || end_off >= spool_tell(p))
		return false;
	size = read_body(p, end_off, r, R_END);
	if (!size)
		return false;
	r->parent = true;
	r->first_child = end_off == off + 9 ? KTAP_NOFF : off + 9;
	r->children_end = end_off;
	r->next = end_off + size;
	r->off = off;
	return true;
}

/* ------------------------------------------------------------ the parse */

/* Room for frames 0..n-1 (and logs/splats 0..n). */
static void grow_frames(struct ktap_parser *p, uint32_t n)
{
	uint32_t old = p->nfr;

	if (n <= old)
		return;
	if (n < 2 * old)
		n = 2 * old;
	if (n > KTAP_MAX_DEPTH + 1)
		n = KTAP_MAX_DEPTH + 1;
	p->fr = xrealloc(p->fr, n * sizeof(*p->fr));
	p->logs = xrealloc(p->logs, (n + 1) * sizeof(*p->logs));
	p->splats = xrealloc(p->splats, (n + 1) * sizeof(*p->splats));
	memset(p->fr + old, 0, (n - old) * sizeof(*p->fr));
	memset(p->logs + (old ? old + 1 : 0), 0,
	       (n - old + (old ? 0 : 1)) * sizeof(*p->logs));
	memset(p->splats + (old ? old + 1 : 0), 0,
	       (n - old + (old ? 0 : 1)) * sizeof(*p->splats));
	p->nfr = n;
}

static struct frame *push_frame(struct ktap_parser *p, bool is_main)
{
	struct frame *f;
	struct sbuf keep[4];
	int d = is_main ? 0 : p->depth + 1;

	/* frame d, and logs/splats d + 1 for its pending subtest */
	grow_frames(p, (uint32_t)d + 2);
	f = &p->fr[d];
	keep[0] = f->name;
	keep[1] = f->hname;
	keep[2] = f->last;
	keep[3] = f->reason;
	memset(f, 0, sizeof(*f));
	f->name = keep[0];
	f->hname = keep[1];
	f->last = keep[2];
	f->reason = keep[3];
	f->name.len = f->hname.len = f->last.len = f->reason.len = 0;
	f->start_off = KTAP_NOFF;
	f->is_main = is_main;
	f->expected = -1;
	f->test_num = 1;
	f->status = KTAP_CRASHED;
	f->phase = is_main ? PH_DIAG0 : PH_HEADER;
	if (!is_main)
		f->expected_num = p->fr[p->depth].test_num;
	p->depth = d;
	return f;
}

static void check_version(struct frame *f, const struct cline *L)
{
	if (L->kind == K_KTAP) {
		if (L->num < 1)
			frame_error(f, KTAP_E_VERSION_LOW);
		else if (L->num > 2)
			frame_error(f, KTAP_E_VERSION_HIGH);
	} else {
		if (L->num < 13)
			frame_error(f, KTAP_E_VERSION_LOW | KTAP_E_VERSION_TAP);
		else if (L->num > 14)
			frame_error(f, KTAP_E_VERSION_HIGH | KTAP_E_VERSION_TAP);
	}
}

static bool name_match(const struct frame *f, const struct cline *L)
{
	return L && L->kind == K_RESULT && L->name_len == f->name.len &&
	       (!f->name.len || !memcmp(L->name, f->name.b, f->name.len));
}

static void emit(struct ktap_parser *p, enum ktap_event ev, int depth)
{
	if (p->opts.event)
		p->opts.event(p->opts.arg, p, ev, &p->out, depth);
}

/* p->out for a test, without the texts. */
static void out_reset(struct ktap_parser *p)
{
	struct ktap_rec *r = &p->out;

	memset(r, 0, sizeof(*r));
	r->name = r->hname = r->log = r->splat = r->reason = r->attrs = "";
	r->expected = -1;
	r->off = r->next = r->first_child = r->children_end = KTAP_NOFF;
}

static void out_tail(struct ktap_rec *r, const struct tail *t, bool log)
{
	if (log) {
		r->log = t->buf ? t->buf + t->start : "";
		r->log_len = t->end - t->start;
		r->log_dropped = t->dropped;
	}
	r->attrs = t->attrs_len ? t->attrs : "";
	r->attrs_len = t->attrs_len;
}

/* Note the name of the subtest that just finished (for ktap_running()). */
static void note_last(struct frame *pf, const char *s, size_t n)
{
	sbuf_set(&pf->last, s, n);
	pf->has_last = true;
}

/*
 * Tests a plan announced that never came ("missing expected subtest!"),
 * or that a stray plan line turned into crashed tests.  The first one
 * takes the pending log and crash excerpt.  At most
 * KTAP_MAX_PLACEHOLDERS records per block; the rest are only counted.
 */
static void placeholders(struct ktap_parser *p, struct frame *f,
			 uint64_t count, bool missing)
{
	int d = p->depth;
	uint64_t i;

	for (i = 0; i < count; i++) {
		struct ktap_rec *r = &p->out;

		if (f->nplace >= KTAP_MAX_PLACEHOLDERS) {
			f->more_missing += count - i;
			if (missing)
				f->counts.errors += count - i;
			f->counts.crashed += count - i;
			f->test_num += count - i;
			break;
		}
		out_reset(p);
		r->status = KTAP_CRASHED;
		r->flags = KTAP_N_PLACEHOLDER;
		r->errflags = missing ? KTAP_E_MISSING_SUB : 0;
		r->index = f->test_num;
		if (i == 0) {
			out_tail(r, &p->logs[d + 1], true);
			if (p->splats[d + 1].nsplat) {
				r->flags |= KTAP_N_SPLAT;
				r->splat = p->splats[d + 1].buf;
				r->splat_len = p->splats[d + 1].len;
				r->nsplat = p->splats[d + 1].nsplat;
			}
		}
		write_rec(p, R_LEAF);
		emit(p, KTAP_EV_TEST_END, d + 1);
		note_last(f, "", 0);
		f->nplace++;
		if (missing)
			f->counts.errors++;
		f->counts.crashed++;
		f->test_num++;
		tail_clear(&p->logs[d + 1]);
		head_clear(&p->splats[d + 1]);
	}
	f->has_sub = true;
	tail_clear(&p->logs[d + 1]);
	head_clear(&p->splats[d + 1]);
}

static void add_stray(struct ktap_parser *p, struct head *h, bool after)
{
	p->strays_total += h->nsplat ? h->nsplat : 1;
	if (p->nstrays < KTAP_MAX_STRAY && h->len) {
		struct ktap_stray *s = &p->strays[p->nstrays++];

		s->text = xmemdup(h->buf, h->len);
		s->len = h->len;
		s->after = after;
	}
	head_clear(h);
}

static void patch_start(struct ktap_parser *p, uint64_t start, uint64_t end)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(end >> (8 * i));
	spool_patch(p, start + 1, b, 8);
}

static void finish_frame(struct ktap_parser *p)
{
	int d = p->depth;
	struct frame *f = &p->fr[d];
	struct head *sp = &p->splats[d];
	struct ktap_rec *r = &p->out;
	bool self_crash = false;
	enum ktap_status st = f->status;

	if (f->parent_test && !f->has_sub &&
	    (st == KTAP_CRASHED || st == KTAP_SUCCESS)) {
		st = KTAP_NO_TESTS;
		frame_error(f, KTAP_E_NO_TESTS);
	}
	if (!f->is_main && sp->nsplat && !p->opts.no_splat) {
		st = KTAP_CRASHED;
		f->flags |= KTAP_N_SPLAT;
		/* kunit.py's placeholders may count this crash already */
		if (f->has_sub && !(p->finished && p->eof_crash_counted))
			self_crash = true;
	}

	/* bubble_up_test_results() */
	if (!ktap_count_total(&f->counts)) {
		add_status(&f->counts, st);
	} else {
		if (self_crash) {
			f->counts.crashed++;
			f->flags |= KTAP_N_SELF_CRASH;
		}
		if (ktap_counts_status(&f->counts) == KTAP_CRASHED)
			st = KTAP_CRASHED;
	}
	if (f->is_main && st != KTAP_NO_TESTS)
		st = ktap_counts_status(&f->counts);

	out_reset(p);
	r->status = (uint8_t)st;
	r->flags = f->flags;
	if (f->parent_test)
		r->flags |= KTAP_N_PARENT;
	if (f->has_header)
		r->flags |= KTAP_N_HEADER;
	r->parent = f->parent_test;
	r->errflags = f->errflags;
	r->nerr = f->nerr;
	r->counts = f->counts;
	r->expected = f->expected;
	r->index = f->expected_num;
	r->bad_expected = f->bad_expected;
	r->bad_found = f->bad_found;
	r->more_missing = f->more_missing;
	r->name = f->name.len ? f->name.b : "";
	r->name_len = f->name.len;
	r->hname = f->hname.len ? f->hname.b : "";
	r->hname_len = f->hname.len;
	r->reason = f->reason.len ? f->reason.b : "";
	r->reason_len = f->reason.len;
	out_tail(r, &p->logs[d], p->opts.keep_logs || st == KTAP_FAILURE ||
		 st == KTAP_CRASHED || st == KTAP_NO_TESTS);
	if (sp->nsplat && f->is_main) {
		add_stray(p, sp, false);
	} else if (sp->nsplat) {
		r->splat = sp->buf;
		r->splat_len = sp->len;
		r->nsplat = sp->nsplat;
	}
	if (f->start_off != KTAP_NOFF) {
		patch_start(p, f->start_off, spool_tell(p));
		r->off = f->start_off;
		write_rec(p, R_END);
	} else {
		r->off = spool_tell(p);
		write_rec(p, R_LEAF);
	}
	if (f->is_main) {
		p->root = r->off;
		p->root_status = (uint8_t)st;
		p->root_counts = f->counts;
	}
	emit(p, KTAP_EV_TEST_END, d);
	if (d == 1 && f->parent_test)
		emit(p, KTAP_EV_SUITE_END, d);
	tail_clear(&p->logs[d]);
	head_clear(sp);

	if (!f->is_main) {
		struct frame *pf = &p->fr[d - 1];

		add_counts(&pf->counts, &f->counts);
		note_last(pf, f->name.b, f->name.len);
		pf->has_sub = true;
		pf->test_num++;
		pf->phase = PH_LOOP;
		p->depth = d - 1;
	}
}

static void set_result(struct frame *f, const struct cline *L)
{
	const char *nm = L->skip ? L->sname : L->name;
	size_t nlen = L->skip ? L->sname_len : L->name_len;
	const char *reason = NULL;
	size_t reason_len = 0;

	/* "ok 1 s # x # SKIP" renames test "s" to "s # x" (kunit.py) */
	if (f->has_header && (f->name.len != nlen ||
			      (nlen && memcmp(f->name.b, nm, nlen))))
		sbuf_set(&f->hname, f->name.b, f->name.len);
	sbuf_set(&f->name, nm, nlen);
	if (L->num != f->expected_num) {
		frame_error(f, KTAP_E_BAD_NUMBER);
		f->bad_expected = f->expected_num;
		f->bad_found = L->num;
	}
	if (L->skip) {
		f->status = KTAP_SKIPPED;
		reason = L->sreason;
		reason_len = L->sreason_len;
	} else if (L->ok) {
		f->status = KTAP_SUCCESS;
	} else {
		f->status = KTAP_FAILURE;
		/* TAP: "not ok ... # TODO" and "# XFAIL" are not failures */
		if (L->tail && (starts(L->tail, L->tail_len, "TODO") ||
				starts(L->tail, L->tail_len, "XFAIL"))) {
			size_t w = L->tail[0] == 'T' ? 4 : 5;

			if (L->tail_len == w ||
			    space_at((const unsigned char *)L->tail + w,
				     L->tail_len - w)) {
				f->status = KTAP_SUCCESS;
				f->flags |= KTAP_N_DIRECTIVE;
				reason = L->tail;
				reason_len = L->tail_len;
			}
		}
	}
	if (reason) {
		size_t i = skip_space(reason, reason_len);

		reason += i;
		reason_len -= i;
		if (reason_len > KTAP_REASON_BYTES)
			reason_len = KTAP_REASON_BYTES;
		sbuf_set(&f->reason, reason, reason_len);
	}
}

/*
 * Offer one KTAP line (or the end of input, L == NULL) to the open tests.
 * Mirrors kunit_parser.parse_test(); see the phase names.
 */
static void step(struct ktap_parser *p, const struct cline *L)
{
	bool nondiag = L && L->kind != K_DIAG;

	for (;;) {
		int d = p->depth;
		struct frame *f = &p->fr[d];

		switch (f->phase) {
		case PH_DONE:
			return;
		case PH_DIAG0:
			if (L && !nondiag) {
				tail_add(&p->logs[d], L->s, L->n);
				return;
			}
			f->phase = PH_HEADER;
			continue;
		case PH_HEADER:
			f->phase = f->is_main ? PH_DIAG1 : PH_SUBHDR;
			if (L && (L->kind == K_KTAP || L->kind == K_TAP)) {
				check_version(f, L);
				f->ktap_line = true;
				return;
			}
			continue;
		case PH_SUBHDR:
			if (L && L->kind == K_HEADER) {
				sbuf_set(&f->name, L->name, L->name_len);
				f->has_header = true;
				f->parent_test = true;
				write_start(p, f);
				f->phase = PH_DIAG1;
				return;
			}
			if (f->ktap_line) {
				f->parent_test = true;
				write_start(p, f);
				f->phase = PH_DIAG1;
			} else {
				f->phase = PH_AFTER_DIAG;
			}
			continue;
		case PH_DIAG1:
			if (L && !nondiag) {
				tail_add(&p->logs[d], L->s, L->n);
				return;
			}
			f->phase = PH_PLAN;
			continue;
		case PH_PLAN:
			f->phase = PH_LOOP;
			if (f->is_main)
				f->parent_test = true;
			if (L && L->kind == K_PLAN)
				f->expected = L->num > INT64_MAX ? INT64_MAX :
					      (int64_t)L->num;
			out_reset(p);
			p->out.name = f->name.len ? f->name.b : "";
			p->out.name_len = f->name.len;
			p->out.expected = f->expected;
			p->out.errflags = f->errflags;
			p->out.parent = true;
			p->out.flags = KTAP_N_PARENT |
				       (f->has_header ? KTAP_N_HEADER : 0);
			emit(p, KTAP_EV_HEADER, d);
			if (d == 1)
				emit(p, KTAP_EV_SUITE_START, d);
			if (L && L->kind == K_PLAN)
				return;
			continue;
		case PH_LOOP:
			if (f->expected >= 0 &&
			    f->test_num > (uint64_t)f->expected) {
				f->phase = f->is_main ? PH_FINISH :
					   PH_AFTER_DIAG;
				if (!f->is_main)
					head_move(&p->splats[d],
						  &p->splats[d + 1]);
				continue;
			}
			f->phase = PH_LOOP_DIAG;
			continue;
		case PH_LOOP_DIAG:
			if (L && !nondiag) {
				tail_add(&p->logs[d + 1], L->s, L->n);
				return;
			}
			if (!L || (!f->is_main && name_match(f, L))) {
				if (f->expected > 0 &&
				    f->test_num <= (uint64_t)f->expected) {
					placeholders(p, f, (uint64_t)f->expected
						     - f->test_num + 1, true);
					f->phase = PH_LOOP;
					continue;
				}
				tail_move(&p->logs[d], &p->logs[d + 1]);
				if (f->is_main) {
					if (p->splats[d + 1].nsplat)
						add_stray(p, &p->splats[d + 1],
							  true);
					f->phase = PH_FINISH;
				} else {
					head_move(&p->splats[d],
						  &p->splats[d + 1]);
					f->phase = PH_AFTER_DIAG;
				}
				continue;
			}
			if (L->kind == K_PLAN) {
				/*
				 * A plan line where a test should start:
				 * parse_test() makes a crashed subtest that
				 * consumes nothing, again and again until
				 * the plan is used up (forever without one).
				 */
				if (f->expected >= 0) {
					placeholders(p, f, (uint64_t)f->expected
						     - f->test_num + 1, false);
					f->phase = PH_LOOP;
					continue;
				}
				if (!(f->errflags & KTAP_E_STRAY_PLAN))
					frame_error(f, KTAP_E_STRAY_PLAN);
				tail_add(&p->logs[d + 1], L->s, L->n);
				return;
			}
			if (d + 1 >= KTAP_MAX_DEPTH && L->kind != K_RESULT) {
				if (!f->too_deep) {
					f->too_deep = true;
					frame_error(f, KTAP_E_TOO_DEEP);
				}
				tail_add(&p->logs[d + 1], L->s, L->n);
				return;
			}
			push_frame(p, false);
			continue;
		case PH_AFTER_DIAG:
			if (L && !nondiag) {
				tail_add(&p->logs[d], L->s, L->n);
				return;
			}
			f->phase = PH_RESULT;
			continue;
		case PH_RESULT: {
			bool consumed = false;

			if (f->name.len && !name_match(f, L)) {
				frame_error(f, KTAP_E_MISSING_RESULT);
			} else if (L && L->kind == K_RESULT) {
				set_result(f, L);
				consumed = true;
			}
			finish_frame(p);
			if (consumed)
				return;
			continue;
		}
		case PH_FINISH:
			finish_frame(p);
			f->phase = PH_DONE;
			emit(p, KTAP_EV_DONE, 0);
			return;
		}
	}
}

/* ------------------------------------------------------ crash capture */

static enum target splat_target(const struct ktap_parser *p, int *depth)
{
	const struct frame *f;

	*depth = p->depth;
	if (!p->started || !p->main_made)
		return T_STRAY_BEFORE;
	f = &p->fr[p->depth];
	if (p->fr[0].phase == PH_DONE || p->fr[0].phase == PH_FINISH)
		return T_STRAY_AFTER;
	if (f->phase == PH_LOOP || f->phase == PH_LOOP_DIAG) {
		/* the plan is used up: the result line comes next */
		if (f->expected >= 0 && f->test_num > (uint64_t)f->expected)
			return f->is_main ? T_STRAY_AFTER : T_OWN;
		return T_PENDING;
	}
	if (f->is_main)
		return T_STRAY_BEFORE;
	return T_OWN;
}

static void capture_flush(struct ktap_parser *p)
{
	struct head *dst;

	if (!p->capturing)
		return;
	p->capturing = false;
	p->cap.nsplat = 1;
	switch (p->cap_target) {
	case T_STRAY_BEFORE:
	case T_STRAY_AFTER:
		add_stray(p, &p->cap, p->cap_target == T_STRAY_AFTER);
		return;
	case T_OWN:
		dst = &p->splats[p->cap_depth];
		break;
	default:
		dst = &p->splats[p->cap_depth + 1];
		break;
	}
	head_move(dst, &p->cap);
	head_clear(&p->cap);
}

static void capture_line(struct ktap_parser *p, const char *s, size_t n,
			 bool splat, bool structural)
{
	if (p->capturing && structural) {
		capture_flush(p);
		return;
	}
	if (p->capturing) {
		head_add(&p->cap, s, n);
		if (memmem(s, n, "---[ end trace", 14) || p->cap.full)
			capture_flush(p);
		return;
	}
	if (!splat || structural)
		return;
	/* diagnostic lines ("# ...") are test output, not kernel splats */
	if (first_is(s, n, '#'))
		return;
	p->capturing = true;
	p->cap_target = splat_target(p, &p->cap_depth);
	head_clear(&p->cap);
	head_add(&p->cap, s, n);
}

/* ------------------------------------------------------------ the lines */

static void yield(struct ktap_parser *p, const char *s, size_t n,
		  unsigned m)
{
	struct cline L;

	p->yielded = true;
	if (p->opts.raw)
		p->opts.raw(p->opts.arg, s, n);
	classify(s, n, &L);
	if (!p->opts.no_splat)
		capture_line(p, s, n, m & M_SPLAT, L.kind != K_DIAG);
	if (!p->main_made) {
		p->main_made = true;
		push_frame(p, true);
		sbuf_set(&p->fr[0].name, "main", 4);
		write_start(p, &p->fr[0]);
	}
	step(p, &L);
	/*
	 * parse_test() leaves the top-level loop as soon as the plan is used
	 * up, without looking at another line: finish now, so "ktap run"
	 * knows at once.
	 */
	if (!p->depth && p->fr[0].phase == PH_LOOP && p->fr[0].expected >= 0 &&
	    p->fr[0].test_num > (uint64_t)p->fr[0].expected)
		step(p, NULL);
}

#define CONTEXT_LINE	240

static void remember(struct ktap_parser *p, const char *s, size_t n)
{
	uint32_t i = p->ctx_pos++ % KTAP_CONTEXT_LINES;

	if (n > CONTEXT_LINE)
		n = CONTEXT_LINE;
	if (!p->ctx[i])
		p->ctx[i] = xrealloc(NULL, CONTEXT_LINE);
	memcpy(p->ctx[i], s, n);
	p->ctx_len[i] = (uint32_t)n;
}

/* Replace invalid UTF-8 by "\xNN" text, as Python's backslashreplace. */
static const char *fix_utf8(struct ktap_parser *p, const char *s, size_t *np)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = *np, i = 0, o = 0, l;

	for (i = 0; i < n; i += l) {
		l = utf8_valid(u + i, n - i);
		if (!l)
			break;
	}
	if (i == n)
		return s;
	if (p->fix_cap < 4 * n) {
		p->fix_cap = 4 * n;
		p->fix = xrealloc(p->fix, p->fix_cap);
	}
	memcpy(p->fix, s, i);
	o = i;
	while (i < n) {
		l = utf8_valid(u + i, n - i);
		if (l) {
			memcpy(p->fix + o, s + i, l);
			o += l;
			i += l;
		} else {
			static const char hex[] = "0123456789abcdef";

			p->fix[o++] = '\\';
			p->fix[o++] = 'x';
			p->fix[o++] = hex[u[i] >> 4];
			p->fix[o++] = hex[u[i] & 15];
			i++;
		}
	}
	*np = o;
	return p->fix;
}

static void process_line(struct ktap_parser *p, const char *s, size_t n,
			 bool ascii)
{
	unsigned m;

	p->nlines++;
	if (n > KTAP_LINE_MAX)
		n = KTAP_LINE_MAX;
	if (!ascii)
		s = fix_utf8(p, s, &n);
	n = rstrip_len(s, n);
	remember(p, s, n);
	m = match_line(s, n);

	if (!p->started) {
		size_t j = n, at;
		const char *hit = NULL;

		while (j && is_digit(s[j - 1]))
			j--;
		if (j < n && j >= 13 && !memcmp(s + j - 13, "KTAP version ", 13))
			hit = memmem(s, n, "KTAP version", 12);
		else if (j < n && j >= 12 &&
			 !memcmp(s + j - 12, "TAP version ", 12))
			hit = memmem(s, n, "TAP version", 11);
		if (hit) {
			at = (size_t)(hit - s);
			p->started = true;
			p->prefix = ktap_utf8_len(s, at);
			yield(p, s + at, n - at, m);
			return;
		}
		if (m & M_EXEC) {
			yield(p, s, n, m);
			return;
		}
		if (!p->opts.no_splat)
			capture_line(p, s, n, m & M_SPLAT, false);
		return;
	}
	if (p->ended) {
		if (!p->opts.no_splat)
			capture_line(p, s, n, m & M_SPLAT, false);
		return;
	}
	if (m & M_END) {
		p->ended = true;
		if (!p->opts.no_splat)
			capture_line(p, s, n, m & M_SPLAT, false);
		return;
	}
	{
		size_t off;

		if (ascii)
			off = p->prefix < n ? p->prefix : n;
		else
			off = cp_skip(s, n, p->prefix);
		yield(p, s + off, n - off, m);
	}
}

void ktap_feed_line(struct ktap_parser *p, const char *line, size_t len)
{
	size_t i;
	bool ascii = true;

	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] >= 0x80) {
			ascii = false;
			break;
		}
	process_line(p, line, len, ascii);
}

/*
 * Byte classes for splitting like str.splitlines(): \n \v \f \x1c \x1d
 * \x1e (1), \r (2), first bytes of U+0085 (3) and U+2028/9 (4), other
 * non-ASCII (5).
 */
static uint8_t bclass[256];

static void bclass_init(void)
{
	int c;

	if (bclass['\n'])
		return;
	for (c = 0x80; c < 256; c++)
		bclass[c] = 5;
	bclass['\n'] = bclass['\v'] = bclass['\f'] = 1;
	bclass[0x1c] = bclass[0x1d] = bclass[0x1e] = 1;
	bclass['\r'] = 2;
	bclass[0xc2] = 3;
	bclass[0xe2] = 4;
}

static void emit_piece(struct ktap_parser *p, const char *s, size_t n,
		       bool ascii)
{
	if (p->discard) {
		p->discard = false;
		process_line(p, p->trunc, p->trunc_len, false);
		return;
	}
	process_line(p, s, n, ascii);
}

/* Split ib[] into lines; keep the incomplete tail. */
static void split(struct ktap_parser *p, bool eof)
{
	unsigned char *b = p->ib;
	size_t n = p->ilen, s = 0, j = 0;
	bool ascii = true;

	if (p->skip_lf && n) {
		if (b[0] == '\n')
			s = j = 1;
		p->skip_lf = false;
	}
	for (; j < n; j++) {
		uint8_t c;
		size_t blen;

		/* 8 bytes at a time while they are all in 0x20..0x7f */
		while (j + 8 <= n) {
			uint64_t x;

			memcpy(&x, b + j, 8);
			if (((x - 0x2020202020202020ull) | x) &
			    0x8080808080808080ull)
				break;
			j += 8;
		}
		if (j >= n)
			break;
		c = bclass[b[j]];
		if (!c)
			continue;
		if (c == 5) {
			ascii = false;
			continue;
		}
		if (c == 3) {
			ascii = false;
			if (j + 1 >= n) {
				if (eof)
					continue;
				break;
			}
			if (b[j + 1] != 0x85)
				continue;
			blen = 2;
		} else if (c == 4) {
			ascii = false;
			if (j + 2 >= n) {
				if (eof)
					continue;
				break;
			}
			if (b[j + 1] != 0x80 ||
			    (b[j + 2] != 0xa8 && b[j + 2] != 0xa9))
				continue;
			blen = 3;
		} else if (c == 2) {
			blen = 1;
			if (j + 1 < n && b[j + 1] == '\n')
				blen = 2;
			else if (j + 1 == n && !eof)
				p->skip_lf = true;
		} else {
			blen = 1;
		}
		emit_piece(p, (char *)b + s, j - s, ascii);
		ascii = true;
		s = j + blen;
		j = s - 1;
	}
	if (j > n)
		j = n;
	if (eof) {
		if (s < n || p->discard)
			emit_piece(p, (char *)b + s, n - s, false);
		p->ilen = 0;
		return;
	}
	/* keep the incomplete line */
	if (s) {
		memmove(b, b + s, n - s);
		n -= s;
		j -= s;
	}
	if (n > KTAP_LINE_MAX) {
		/* too long: keep its head, drop the rest up to a break */
		size_t keep = n - j;

		if (!p->discard) {
			if (!p->trunc)
				p->trunc = xrealloc(NULL, KTAP_LINE_MAX);
			p->trunc_len = KTAP_LINE_MAX;
			memcpy(p->trunc, b, KTAP_LINE_MAX);
			p->discard = true;
		}
		memmove(b, b + j, keep);
		n = keep;
		j = 0;
	}
	p->ilen = n;
}

void ktap_feed(struct ktap_parser *p, const void *buf, size_t len)
{
	const char *s = buf;

	while (len) {
		size_t room = p->ib_cap - p->ilen, k;

		if (room < len && p->ib_cap < KTAP_LINE_MAX + IBUF_SIZE) {
			size_t c = p->ib_cap * 2;

			while (c < p->ilen + len && c < KTAP_LINE_MAX + IBUF_SIZE)
				c *= 2;
			if (c > KTAP_LINE_MAX + IBUF_SIZE)
				c = KTAP_LINE_MAX + IBUF_SIZE;
			p->ib = xrealloc(p->ib, c);
			p->ib_cap = c;
			room = c - p->ilen;
		}
		k = len < room ? len : room;
		memcpy(p->ib + p->ilen, s, k);
		p->ilen += k;
		s += k;
		len -= k;
		split(p, false);
	}
}

/* ------------------------------------------------------------ lifecycle */

struct ktap_parser *ktap_new(const struct ktap_opts *opts)
{
	struct ktap_parser *p = xcalloc(1, sizeof(*p));

	matcher_init();
	bclass_init();
	if (opts)
		p->opts = *opts;
	p->ib_cap = 4096;
	p->ib = xrealloc(NULL, p->ib_cap);
	grow_frames(p, 8);
	p->root = KTAP_NOFF;
	p->root_status = KTAP_FAILURE_TO_PARSE;
	p->spool_fd = -1;
	return p;
}

void ktap_free(struct ktap_parser *p)
{
	uint32_t i;

	if (!p)
		return;
	for (i = 0; i < p->nfr; i++) {
		free(p->fr[i].name.b);
		free(p->fr[i].hname.b);
		free(p->fr[i].last.b);
		free(p->fr[i].reason.b);
	}
	for (i = 0; i < p->nfr + 1; i++) {
		free(p->logs[i].buf);
		free(p->logs[i].attrs);
		free(p->splats[i].buf);
	}
	for (i = 0; i < p->nstrays; i++)
		free(p->strays[i].text);
	for (i = 0; i < KTAP_CONTEXT_LINES; i++)
		free(p->ctx[i]);
	free(p->cap.buf);
	if (p->spool_fd >= 0)
		close(p->spool_fd);
	free(p->sp);
	free(p->win);
	free(p->enc);
	free(p->fr);
	free(p->logs);
	free(p->splats);
	free(p->ib);
	free(p->trunc);
	free(p->fix);
	free(p);
}

/* The last console lines and @why, as the excerpt of an abrupt end. */
static void abrupt_end(struct ktap_parser *p, const char *why)
{
	struct head h = { 0 };
	struct head *dst;
	enum target t;
	int d;
	uint32_t i, k;
	char msg[300];

	t = splat_target(p, &d);
	if (t == T_STRAY_AFTER)
		return;
	if (t == T_STRAY_BEFORE && !why)
		return;
	if (t == T_PENDING && p->fr[d].is_main && !why) {
		const struct frame *f = &p->fr[d];

		/* without a plan the end of the output is the end */
		if (f->expected < 0 || f->test_num > (uint64_t)f->expected)
			return;
	}
	dst = t == T_OWN ? &p->splats[d] :
	      t == T_PENDING ? &p->splats[d + 1] : NULL;
	snprintf(msg, sizeof(msg), "%s",
		 why ? why : "output ended while the test was running");
	head_add(&h, msg, strlen(msg));
	if (!dst || !dst->nsplat) {
		const char *ctx = "--- last console lines ---";

		head_add(&h, ctx, strlen(ctx));
		k = p->ctx_pos < KTAP_CONTEXT_LINES ? p->ctx_pos :
		    KTAP_CONTEXT_LINES;
		for (i = p->ctx_pos - k; i < p->ctx_pos; i++) {
			uint32_t r = i % KTAP_CONTEXT_LINES;

			head_add(&h, p->ctx[r], p->ctx_len[r]);
		}
	}
	h.nsplat = 1;
	if (!dst) {
		add_stray(p, &h, false);
	} else if (dst->nsplat) {
		/* already crashed by a splat: just say how it ended */
		if (dst->len + strlen(msg) + 8 < KTAP_SPLAT_BYTES) {
			dst->full = false;
			dst->nlines = 0;
			head_add(dst, "...", 3);
			head_add(dst, msg, strlen(msg));
		}
	} else {
		head_move(dst, &h);
	}
	free(h.buf);
}

/*
 * Will the end of the input make kunit.py add crashed placeholders for
 * planned tests?  Then the crash of the running test is counted already.
 */
static bool eof_makes_placeholders(const struct ktap_parser *p)
{
	int d;

	if (!p->main_made || p->fr[0].phase == PH_DONE)
		return false;
	for (d = 0; d <= p->depth; d++) {
		const struct frame *f = &p->fr[d];

		if (f->expected < 0)
			continue;
		if (d < p->depth && f->test_num < (uint64_t)f->expected)
			return true;
		if (d == p->depth && (f->phase == PH_LOOP ||
				      f->phase == PH_LOOP_DIAG) &&
		    f->test_num <= (uint64_t)f->expected)
			return true;
	}
	return false;
}

void ktap_finish(struct ktap_parser *p, const char *why)
{
	if (p->finished)
		return;
	split(p, true);
	if (!p->opts.no_splat)
		capture_flush(p);
	p->finished = true;
	if (!p->yielded) {
		/* parse_run_tests(): no KTAP at all */
		struct ktap_rec *r = &p->out;

		out_reset(p);
		r->name = "<missing>";
		r->name_len = 9;
		r->status = KTAP_FAILURE_TO_PARSE;
		r->errflags = KTAP_E_NO_KTAP;
		r->nerr = 1;
		r->counts.errors = 1;
		p->root = spool_tell(p);
		p->root_status = KTAP_FAILURE_TO_PARSE;
		p->root_counts = r->counts;
		write_rec(p, R_LEAF);
		spool_flush(p);
		if (why && !p->opts.no_splat) {
			struct head h = { 0 };

			head_add(&h, why, strlen(why));
			h.nsplat = 1;
			add_stray(p, &h, false);
			free(h.buf);
		}
		return;
	}
	p->eof_crash_counted = eof_makes_placeholders(p);
	if (!p->opts.no_splat)
		abrupt_end(p, why);
	step(p, NULL);
	spool_flush(p);
}

/* ------------------------------------------------------------ accessors */

bool ktap_done(const struct ktap_parser *p)
{
	return p->main_made && p->fr[0].phase == PH_DONE;
}

bool ktap_started(const struct ktap_parser *p)
{
	return p->yielded;
}

uint64_t ktap_lines(const struct ktap_parser *p)
{
	return p->nlines;
}

void ktap_running(const struct ktap_parser *p, char *buf, size_t size)
{
	size_t o = 0;
	int d;

	if (!size)
		return;
	buf[0] = '\0';
	if (!p->main_made) {
		snprintf(buf, size, "%s", p->started ? "(start of KTAP)" :
			 "(no KTAP output yet)");
		return;
	}
	if (p->fr[0].phase == PH_DONE) {
		snprintf(buf, size, "(all tests finished)");
		return;
	}
	for (d = 1; d <= p->depth && o < size; d++) {
		const struct frame *f = &p->fr[d];

		if (f->name.len)
			o += (size_t)snprintf(buf + o, size - o, "%s%.*s",
					      d > 1 ? "." : "",
					      (int)f->name.len, f->name.b);
		else
			o += (size_t)snprintf(buf + o, size - o, "%s#%llu",
					      d > 1 ? "." : "",
					      (unsigned long long)
					      f->expected_num);
	}
	if (o < size) {
		const struct frame *f = &p->fr[p->depth];

		if (f->phase == PH_LOOP || f->phase == PH_LOOP_DIAG) {
			o += (size_t)snprintf(buf + o, size - o, "%stest #%llu",
					      p->depth ? " " : "",
					      (unsigned long long)f->test_num);
			if (f->has_last && o < size)
				snprintf(buf + o, size - o, " (after %.*s)",
					 (int)f->last.len, f->last.b ?
					 f->last.b : "");
		}
	}
}

uint64_t ktap_root(const struct ktap_parser *p)
{
	return p->root;
}

enum ktap_status ktap_root_status(const struct ktap_parser *p)
{
	return (enum ktap_status)p->root_status;
}

void ktap_root_counts(const struct ktap_parser *p, struct ktap_counts *c)
{
	*c = p->root_counts;
}

uint64_t ktap_spool_size(const struct ktap_parser *p)
{
	return spool_tell(p);
}

const struct ktap_stray *ktap_strays(const struct ktap_parser *p,
				    uint32_t *n, uint32_t *total)
{
	*n = p->nstrays;
	*total = p->strays_total;
	return p->strays;
}

const char *ktap_status_str(enum ktap_status s)
{
	switch (s) {
	case KTAP_SUCCESS:
		return "SUCCESS";
	case KTAP_FAILURE:
		return "FAILURE";
	case KTAP_SKIPPED:
		return "SKIPPED";
	case KTAP_CRASHED:
		return "TEST_CRASHED";
	case KTAP_NO_TESTS:
		return "NO_TESTS";
	case KTAP_FAILURE_TO_PARSE:
		return "FAILURE_TO_PARSE_TESTS";
	}
	return "?";
}

int ktap_exit_code(const struct ktap_parser *p, bool strict)
{
	if (p->root == KTAP_NOFF)
		return 2;
	switch (p->root_status) {
	case KTAP_SUCCESS:
	case KTAP_SKIPPED:
		/* A splat outside every test still means a broken kernel. */
		if (ktap_strays_fail(p) && p->strays_total)
			return 1;
		return strict && p->root_counts.errors ? 1 : 0;
	case KTAP_FAILURE:
	case KTAP_CRASHED:
		return 1;
	default:
		return 2;
	}
}

bool ktap_strays_fail(const struct ktap_parser *p)
{
	return p->opts.fail_strays && !p->opts.no_splat;
}
