/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - reports over a finished ktap parse: kunit.py-style summary,
 * kunit.py --json, JUnit XML and the one-line stats file.
 */
#ifndef KTAP_REPORT_H
#define KTAP_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "ktap.h"

struct report_opts {
	bool color;		/* ANSI colours (stdout is a tty) */
	bool live;		/* stream: flush after every test */
	const char *note;	/* extra [ERROR] line after the tree (time-out) */
};

/* The output of "kunit.py parse", from the tree (ends in the totals). */
void report_human(FILE *f, struct ktap_parser *p,
		  const struct report_opts *o);
/*
 * The same summary printed while parsing: feed it every parser event,
 * then call report_stream_end() after ktap_finish().
 */
struct report_stream;
struct report_stream *report_stream_new(FILE *f, const struct report_opts *o);
void report_stream_event(struct report_stream *s, struct ktap_parser *p,
			 enum ktap_event ev, const struct ktap_rec *r,
			 int depth);
void report_stream_end(struct report_stream *s, struct ktap_parser *p);

/* Byte-identical to kunit.py's --json (json.dumps(indent=4)). */
void report_json(FILE *f, struct ktap_parser *p);
void report_junit(FILE *f, struct ktap_parser *p, const char *name);
/* "passed=N failed=N skipped=N crashed=N errors=N\n" */
void report_stats(FILE *f, struct ktap_parser *p);

/* "[HH:MM:SS] " for the current time. */
const char *report_timestamp(void);

/* kunit.py's divider: message centred in 60 columns of '='. */
void report_divider(FILE *f, const char *msg, size_t msg_len,
		    size_t visible_len);

#endif /* KTAP_REPORT_H */
