// SPDX-License-Identifier: GPL-2.0
/*
 * bench-report - the results of a benchmark run from its consoles.
 *
 *   bench-report -o DIR [-m KEY=VALUE]... LOG...
 *
 * Collects the "# BENCH ..." lines of the LOGs (svm_bench's KTAP, the
 * drm_gpusvm_bench KUnit suite's) and writes into DIR:
 *
 *   results.json     every figure (name, unit, median, min, max, reps) and
 *                    the KEY=VALUE metadata (date, kernel, commit...), the
 *                    input of ci/bench-compare
 *   summary.txt      the table of every figure with its spread, then the
 *                    goals of the benchmark (issue 27) as ratios measured
 *                    in this run; printed too
 *   fault-rate.dat   pages per second against size, one column per path,
 *   fault-rate.gp    and the gnuplot script that plots it (fault-rate.png)
 *
 * Exit status 1 when the logs hold no figure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures.h"

#define MAX_META 16

static const unsigned int sizes_mib[] = { 4, 16, 64, 256, 1024 };
#define NSIZES (sizeof(sizes_mib) / sizeof(*sizes_mib))

/* The plot's series: figure name with %u for the size in MiB */
static const struct {
	const char *title;
	const char *fmt;
} series[] = {
	{ "GPU fault, 4K ranges", "fault.4K.seq.%uM.sysmem.kernel" },
	{ "GPU fault, 64K ranges", "fault.64K.seq.%uM.sysmem.kernel" },
	{ "GPU fault, 2M ranges", "fault.2M.seq.%uM.sysmem.kernel" },
	{ "GPU fault, 4K, shuffled", "fault.4K.rand.%uM.sysmem.kernel" },
	{ "GPU fault, 2M, shuffled", "fault.2M.rand.%uM.sysmem.kernel" },
	{ "GPU fault, 4K, EXEC to fence", "fault.4K.seq.%uM.sysmem.wall" },
	{ "dmirror read", "dmirror.read.%uM" },
	{ "dmirror write", "dmirror.write.%uM" },
	{ "GPU fault, 4K, CPU-populated", "fault.4K.populated.%uM.sysmem.kernel" },
	{ "dmirror read, CPU-populated", "dmirror.read_populated.%uM" },
};
#define NSERIES (sizeof(series) / sizeof(*series))

/* The benchmark's goals (issue 27): a ratio figure (%u: each size, MiB) */
static const struct {
	const char *what;
	const char *fig;
	double want;
} goals[] = {
	{ "GPU fault 4K / dmirror read, per page, %u MiB",
	  "ratio.fault_vs_dmirror_read.4K.%uM", 1.0 },
	{ "GPU fault 4K / dmirror read, CPU-populated, %u MiB",
	  "ratio.fault_vs_dmirror_read.populated.4K.%uM", 1.0 },
	{ "GPU fault 2M / dmirror read, per page, %u MiB",
	  "ratio.fault_vs_dmirror_read.2M.%uM", 1.5 },
	{ "migration to VRAM 2M / memcpy 2M",
	  "ratio.migrate_vs_memcpy.to_vram.2M", 0.5 },
	{ "migration to RAM (CPU fault) 2M / memcpy 2M",
	  "ratio.migrate_vs_memcpy.to_ram.2M", 0.5 },
};
#define NGOALS (sizeof(goals) / sizeof(*goals))

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "bench-report: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

/* A value with an SI suffix, so that the table stays narrow */
static const char *human(double v, char *buf, size_t len)
{
	if (fabs(v) >= 1e9)
		snprintf(buf, len, "%.3gG", v / 1e9);
	else if (fabs(v) >= 1e6)
		snprintf(buf, len, "%.3gM", v / 1e6);
	else if (fabs(v) >= 1e4)
		snprintf(buf, len, "%.3gk", v / 1e3);
	else
		snprintf(buf, len, "%.3g", v);
	return buf;
}

static void goal(FILE *out, const struct figures *f, const char *what,
		 const char *name, double want)
{
	const struct figure *g = figures_find(f, name);

	if (!g)
		return;
	fprintf(out, "  %-52s %6.2f  (goal >= %.1f)  %s\n", what, g->median, want,
		g->median >= want ? "met" : "below");
}

static void summary(FILE *out, const struct figures *f)
{
	char name[96], what[96], a[16], b[16], c[16];
	unsigned int s, k;
	size_t i;

	fprintf(out, "%-48s %-9s %9s %9s %9s %7s %4s\n", "figure", "unit",
		"median", "min", "max", "spread", "reps");
	for (i = 0; i < f->n; i++) {
		const struct figure *g = &f->v[i];

		fprintf(out, "%-48s %-9s %9s %9s %9s %6.1f%% %4d\n", g->name, g->unit,
			human(g->median, a, sizeof(a)), human(g->min, b, sizeof(b)),
			human(g->max, c, sizeof(c)), 100 * figure_spread(g), g->reps);
	}
	fprintf(out, "\ngoals, as ratios of medians measured in this run:\n");
	for (k = 0; k < NGOALS; k++)
		for (s = 0; s < NSIZES; s++) {
			if (!strstr(goals[k].fig, "%u") && s)
				break;
			snprintf(name, sizeof(name), goals[k].fig, sizes_mib[s]);
			snprintf(what, sizeof(what), goals[k].what, sizes_mib[s]);
			goal(out, f, what, name, goals[k].want);
		}
}

static void plot(const char *dir, const struct figures *f)
{
	FILE *dat = open_out(dir, "fault-rate.dat");
	FILE *gp = open_out(dir, "fault-rate.gp");
	unsigned int s, k, col = 0;

	fprintf(dat, "# size_MiB");
	for (k = 0; k < NSERIES; k++)
		fprintf(dat, "\t\"%s\"", series[k].title);
	fprintf(dat, "\n");
	for (s = 0; s < NSIZES; s++) {
		fprintf(dat, "%u", sizes_mib[s]);
		for (k = 0; k < NSERIES; k++) {
			char name[96];
			const struct figure *g;

			snprintf(name, sizeof(name), series[k].fmt, sizes_mib[s]);
			g = figures_find(f, name);
			if (g)
				fprintf(dat, "\t%.6g", g->median);
			else
				fprintf(dat, "\t?");
		}
		fprintf(dat, "\n");
	}
	fclose(dat);

	fprintf(gp, "# gnuplot fault-rate.gp (from bench-report): fault-rate.png\n");
	fprintf(gp, "set terminal pngcairo size 1000,640 font \",11\"\n");
	fprintf(gp, "set output \"%s/fault-rate.png\"\n", dir);
	fprintf(gp, "set datafile missing \"?\"\n");
	fprintf(gp, "set termoption noenhanced\n");
	fprintf(gp, "set title \"GPU SVM fault service rate on vxe against lib/test_hmm's dmirror (median of the repetitions)\"\n");
	fprintf(gp, "set xlabel \"memory touched (MiB)\"\nset ylabel \"4K pages per second\"\n");
	fprintf(gp, "set logscale xy\nset grid\nset key outside right\n");
	fprintf(gp, "set xtics (");
	for (s = 0; s < NSIZES; s++)
		fprintf(gp, "%s\"%u\" %u", s ? ", " : "", sizes_mib[s], sizes_mib[s]);
	fprintf(gp, ")\n");
	fprintf(gp, "plot ");
	for (k = 0; k < NSERIES; k++) {
		fprintf(gp, "%s\"%s/fault-rate.dat\" using 1:%u with linespoints lw 2 title \"%s\"",
			col++ ? ", \\\n     " : "", dir, k + 2, series[k].title);
	}
	fprintf(gp, "\n");
	fclose(gp);
}

int main(int argc, char **argv)
{
	struct figures f = { 0 };
	char *meta[MAX_META];
	const char *dir = NULL;
	int opt, nmeta = 0, i;
	FILE *out;

	while ((opt = getopt(argc, argv, "o:m:")) != -1) {
		switch (opt) {
		case 'o':
			dir = optarg;
			break;
		case 'm':
			if (nmeta < MAX_META && strchr(optarg, '='))
				meta[nmeta++] = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (!dir || optind == argc)
		goto usage;
	for (i = optind; i < argc; i++)
		if (figures_from_log(&f, argv[i]) < 0) {
			fprintf(stderr, "bench-report: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
	if (!f.n) {
		fprintf(stderr, "bench-report: no BENCH line in the logs\n");
		return 1;
	}
	out = open_out(dir, "results.json");
	figures_write_json(&f, meta, nmeta, out);
	fclose(out);
	out = open_out(dir, "summary.txt");
	summary(out, &f);
	fclose(out);
	summary(stdout, &f);
	plot(dir, &f);
	figures_free(&f);
	return 0;
usage:
	fprintf(stderr, "usage: bench-report -o DIR [-m KEY=VALUE]... LOG...\n");
	return 2;
}
