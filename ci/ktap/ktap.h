/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktap.h - streaming KTAP / TAP parser for kernel console output.
 *
 * The parser is fed raw console bytes (ktap_feed()) or raw lines
 * (ktap_feed_line()).  Memory is bounded by the tests that are open at
 * the same time (the nesting depth), never by the size of the log or the
 * number of tests: a test is written to a spool as soon as it finishes
 * (kept in memory while small, then in an unlinked temporary file in
 * $TMPDIR), and reports read it back.  Per-test diagnostics and crash
 * excerpts are bounded tails/heads.
 *
 * Structure rules follow tools/testing/kunit/kunit_parser.py (Linux 6.12)
 * so that names, statuses and totals agree with "kunit.py parse":
 *
 *  - the KTAP block starts at the first line that ends in
 *    "KTAP version N" or "TAP version N"; whatever precedes that text on
 *    the version line (timestamps, printk prefixes) is the prefix, and
 *    that many characters are cut from every later line;
 *  - before the block only "kunit executor: ..." lines are kept;
 *  - the block ends at "List of all partitions:", "Kernel panic - not
 *    syncing: VFS:" or "reboot: System halted";
 *  - lines are split like Python's str.splitlines() and right-stripped;
 *    invalid UTF-8 bytes become the text "\xNN" (errors='backslashreplace').
 *
 * Additions over kunit.py (documented in README.md):
 *
 *  - crash attribution: a kernel splat (Oops, BUG:, WARNING:, KASAN:,
 *    UBSAN:, lockdep, kmemleak, panic...) marks the innermost test that
 *    is running (the next result line to come in the innermost open
 *    block) as CRASHED, even if its result line later says "ok"; an
 *    abrupt end of the output does the same for the test that was
 *    running.  A crash attributed to a test that turns out to have
 *    subtests (suite init/exit, between parameters) adds one crashed
 *    entry to that test's counts, unless kunit.py already counts the
 *    crash (placeholders for planned tests that never came).  Splats
 *    before the first test or after the top-level plan completed are
 *    "stray": reported, not counted;
 *  - "KTAP version 2" is accepted without error;
 *  - "not ok N name # TODO ..." and "not ok N name # XFAIL ..." count as
 *    passed (TAP semantics); kunit.py counts them as failed.
 *
 * Counting (struct ktap_counts, --stats): kunit.py's TestCounts.  Leaf
 * test cases are counted once each by final status: "passed", "failed"
 * (non-crash failures only), "skipped", "crashed" (crashed tests are
 * counted ONLY under crashed, never also under failed).  Placeholders for
 * tests a plan announced but that never reported count as crashed, like
 * kunit.py does; so does a crash attributed to a test with subtests.
 * "errors" counts parse errors (missing result lines, wrong numbers, bad
 * versions, "0 tests run!", no KTAP at all...).  Tests with no subtests
 * that report nothing (NO_TESTS) are not counted.
 */
#ifndef KTAP_H
#define KTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KTAP_NOFF		UINT64_MAX

#define KTAP_MAX_DEPTH		256	/* nesting levels below the top */
#define KTAP_LINE_MAX		65536	/* longer raw lines are truncated */
#define KTAP_LOG_LINES		256	/* per-test diagnostic tail */
#define KTAP_LOG_BYTES		16384
#define KTAP_LOG_LINE_BYTES	2048	/* one log line is cut here */
#define KTAP_SPLAT_LINES	40	/* crash excerpt (head) per test */
#define KTAP_SPLAT_BYTES	4096
#define KTAP_MAX_PLACEHOLDERS	1000	/* per block; more are only counted */
#define KTAP_MAX_STRAY		8	/* stray splats kept with excerpt */
#define KTAP_CONTEXT_LINES	8	/* console lines before an abrupt end */
#define KTAP_ATTR_BYTES		1024
#define KTAP_REASON_BYTES	256
#define KTAP_SPOOL_MEM		(1u << 20) /* spool in memory up to this */

enum ktap_status {
	KTAP_SUCCESS,
	KTAP_FAILURE,
	KTAP_SKIPPED,
	KTAP_CRASHED,
	KTAP_NO_TESTS,
	KTAP_FAILURE_TO_PARSE,
};

struct ktap_counts {
	uint64_t passed;
	uint64_t failed;
	uint64_t crashed;
	uint64_t skipped;
	uint64_t errors;
};

/* test flags */
#define KTAP_N_PARENT		0x01	/* had a version line or "# Subtest:" */
#define KTAP_N_HEADER		0x02	/* had a "# Subtest:" header */
#define KTAP_N_PLACEHOLDER	0x04	/* planned test that never reported */
#define KTAP_N_SPLAT		0x08	/* crashed by a splat / abrupt end */
#define KTAP_N_DIRECTIVE	0x10	/* TODO/XFAIL turned "not ok" into pass */
#define KTAP_N_SELF_CRASH	0x20	/* splat counted on a test with subtests */

/* error flags (printed kunit-style, counted in "errors") */
#define KTAP_E_VERSION_LOW	0x01
#define KTAP_E_VERSION_HIGH	0x02
#define KTAP_E_VERSION_TAP	0x04	/* the bad version was a TAP one */
#define KTAP_E_MISSING_SUB	0x08	/* printed by the parent before us */
#define KTAP_E_MISSING_RESULT	0x10
#define KTAP_E_BAD_NUMBER	0x20
#define KTAP_E_NO_TESTS		0x40
#define KTAP_E_NO_KTAP		0x80
#define KTAP_E_TOO_DEEP		0x100
#define KTAP_E_STRAY_PLAN	0x200

/*
 * One finished test, read back from the spool with ktap_read() (or handed
 * to an event callback).  The strings are not NUL-terminated; they point
 * into buf, which the record owns (ktap_rec_free()).
 */
struct ktap_rec {
	uint64_t off;		/* where the test starts in the spool */
	uint64_t next;		/* the next sibling (or the parent's end) */
	uint64_t first_child;	/* KTAP_NOFF: no subtests */
	uint64_t children_end;	/* iterate children while off != this */
	bool parent;		/* had a version line or "# Subtest:" */
	uint8_t status;		/* enum ktap_status */
	uint8_t flags;		/* KTAP_N_* */
	uint16_t errflags;	/* KTAP_E_* */
	uint32_t nerr;		/* errors on this test itself */
	struct ktap_counts counts; /* kunit.py's TestCounts for the test */
	int64_t expected;	/* plan, -1 if none */
	uint64_t index;		/* its number in the parent's block */
	uint64_t bad_expected;	/* KTAP_E_BAD_NUMBER */
	uint64_t bad_found;
	uint64_t more_missing;	/* placeholders only counted, not listed */
	uint32_t nsplat;	/* splats attributed to it */
	uint32_t log_dropped;	/* log lines dropped before log */
	const char *name, *hname, *log, *splat, *reason, *attrs;
	size_t name_len, hname_len, log_len, splat_len, reason_len,
	       attrs_len;
	char *buf;
	size_t cap;
};

/* Events for live progress (ktap run). */
enum ktap_event {
	KTAP_EV_HEADER,		/* a test with subtests has its plan (any
				   depth, the top-level test is depth 0) */
	KTAP_EV_SUITE_START,	/* a top-level test with subtests began */
	KTAP_EV_SUITE_END,	/* it finished */
	KTAP_EV_TEST_END,	/* any test finished */
	KTAP_EV_DONE,		/* the top-level plan completed */
};

struct ktap_parser;

/*
 * @r: for HEADER and SUITE_START: name, expected, errflags, flags; for
 * TEST_END, SUITE_END and DONE: the whole test.  Valid during the call.
 */
typedef void (*ktap_event_fn)(void *arg, struct ktap_parser *p,
			      enum ktap_event ev, const struct ktap_rec *r,
			      int depth);
typedef void (*ktap_raw_fn)(void *arg, const char *line, size_t len);

struct ktap_opts {
	bool no_splat;		/* kunit.py-compatible: no crash attribution */
	bool fail_strays;	/* splats outside every test fail the run */
	bool keep_logs;		/* keep the log of passed tests too */
	ktap_event_fn event;
	ktap_raw_fn raw;	/* receives every isolated KTAP line */
	void *arg;
};

struct ktap_stray {
	char *text;
	uint32_t len;
	bool after;		/* after the top-level plan completed */
};

/* NULL if the spool could not be set up. */
struct ktap_parser *ktap_new(const struct ktap_opts *opts);
void ktap_free(struct ktap_parser *p);

/* Feed raw console bytes; complete lines are parsed immediately. */
void ktap_feed(struct ktap_parser *p, const void *buf, size_t len);
/* Feed one raw line without its terminator. */
void ktap_feed_line(struct ktap_parser *p, const char *line, size_t len);
/*
 * End of input.  @why describes an abnormal end (time-out, kernel exit
 * status...) and becomes the crash excerpt of the running test, or NULL.
 * After this the results can be read.
 */
void ktap_finish(struct ktap_parser *p, const char *why);

/* Has the top-level plan completed (further output is ignored)? */
bool ktap_done(const struct ktap_parser *p);
/* Did anything KTAP-like appear? */
bool ktap_started(const struct ktap_parser *p);
/* Describe the test running right now, for time-out messages. */
void ktap_running(const struct ktap_parser *p, char *buf, size_t size);
uint64_t ktap_lines(const struct ktap_parser *p);

/* Results (after ktap_finish()). */
uint64_t ktap_root(const struct ktap_parser *p);
enum ktap_status ktap_root_status(const struct ktap_parser *p);
void ktap_root_counts(const struct ktap_parser *p, struct ktap_counts *c);
/* Read the test at @off; false on a corrupt spool. */
bool ktap_read(struct ktap_parser *p, uint64_t off, struct ktap_rec *r);
void ktap_rec_free(struct ktap_rec *r);
/* The offset after the test at @off and whether it has subtests. */
bool ktap_skip(struct ktap_parser *p, uint64_t off, uint64_t *next,
	       bool *has_children);
/* Bytes in the spool (for the curious). */
uint64_t ktap_spool_size(const struct ktap_parser *p);
/* Do splats outside every test fail the run (--fail-strays)? */
bool ktap_strays_fail(const struct ktap_parser *p);
const struct ktap_stray *ktap_strays(const struct ktap_parser *p,
				    uint32_t *n, uint32_t *total);

const char *ktap_status_str(enum ktap_status s);
/* Number of code points in valid UTF-8 (what kunit.py's len() counts). */
size_t ktap_utf8_len(const char *s, size_t n);
uint64_t ktap_count_total(const struct ktap_counts *c);
enum ktap_status ktap_counts_status(const struct ktap_counts *c);

/* Exit status for a finished parse (0 ok, 1 failure, 2 nothing). */
int ktap_exit_code(const struct ktap_parser *p, bool strict);

#endif /* KTAP_H */
