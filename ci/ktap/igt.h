/* SPDX-License-Identifier: GPL-2.0 */
/*
 * igt.h - IGT's results.json (igt_runner, results_version 10) as KTAP.
 *
 * Every test "igt@BINARY@SUBTEST[@DYNAMIC]" becomes a test case of a
 * suite named BINARY, so ktap's reports (summary, JUnit, --stats, --json)
 * apply to IGT runs unchanged.  A test that did not pass or skip carries
 * excerpts of its IGT output (err, out) and of the kernel log the runner
 * captured (dmesg) as its diagnostic lines: its log in the summary and in
 * JUnit's <failure>.
 */
#ifndef KTAP_IGT_H
#define KTAP_IGT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ktap.h"

/* igt_runner's results, by the name the runner gives them. */
enum igt_result {
	IGT_PASS,
	IGT_SKIP,
	IGT_WARN,
	IGT_FAIL,
	IGT_DMESG_WARN,
	IGT_DMESG_FAIL,
	IGT_CRASH,
	IGT_TIMEOUT,
	IGT_INCOMPLETE,
	IGT_ABORT,
	IGT_NOTRUN,
	IGT_OTHER,		/* a result this reader does not know */
	IGT_NRESULTS,
};

struct igt_summary {
	uint64_t n[IGT_NRESULTS];
	uint64_t tests;
	double seconds;		/* sum of the tests' own times */
};

const char *igt_result_name(enum igt_result r);

/*
 * Read @path (a results.json) and feed it to @p as one KTAP document.
 * Counts the runner's results into @s.  On an unreadable or malformed
 * file prints why to stderr and returns false (nothing was fed).
 */
bool igt_feed_results(struct ktap_parser *p, const char *path,
		      struct igt_summary *s);

/* "igt: N tests in S s: pass N, skip N, ..." (non-zero counts only). */
void igt_print_summary(FILE *f, const struct igt_summary *s);

#endif /* KTAP_IGT_H */
