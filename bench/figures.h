/* SPDX-License-Identifier: GPL-2.0 */
/*
 * figures.h - the figures of a benchmark run: read from the "# BENCH ..."
 * lines of consoles (svm_bench, the drm_gpusvm_bench KUnit suite), read
 * and written as results.json.
 */
#ifndef BENCH_FIGURES_H
#define BENCH_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct figure {
	char *name;
	char *unit;
	double median;
	double min;
	double max;
	int reps;
};

struct figures {
	struct figure *v;
	size_t n;
};

/* Add the BENCH lines of the log at @path (a later figure of a name
 * replaces an earlier one): the number found, or -1 with errno set. */
int figures_from_log(struct figures *f, const char *path);
/* The figures of a results.json: 0, or -1 with a message on stderr. */
int figures_from_json(struct figures *f, const char *path);
/* Write results.json: the figures and the run's metadata, @meta[@nmeta]
 * "key=value" strings. */
void figures_write_json(const struct figures *f, char *const *meta,
			int nmeta, FILE *out);
const struct figure *figures_find(const struct figures *f, const char *name);
/* Half the range of the repetitions relative to the median: the spread */
double figure_spread(const struct figure *fig);
/* Is a larger value better (rates, bandwidths, ratios), or a smaller
 * one (times)? */
bool figure_higher_is_better(const struct figure *fig);
void figures_free(struct figures *f);

#endif /* BENCH_FIGURES_H */
