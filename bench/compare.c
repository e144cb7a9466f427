// SPDX-License-Identifier: GPL-2.0
/*
 * bench-compare - two benchmark runs side by side (ci/bench-compare).
 *
 *   bench-compare OLD.json NEW.json
 *
 * For every figure of both runs: the old and new medians, the ratio
 * new/old, and a flag when the change is beyond what the runs measured as
 * their spread: the ranges of the repetitions ([min, max]) do not overlap
 * and the change exceeds the larger relative spread.  "worse" is a
 * regression (a lower rate, bandwidth or ratio; a longer time), "better"
 * the opposite.  Figures of one run only are listed at the end.
 *
 * Exit status: 0, or 1 when a figure regressed, 2 on bad input.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "figures.h"

/* -1 worse, 1 better, 0 within the spread */
static int verdict(const struct figure *o, const struct figure *n)
{
	double spread = fmax(figure_spread(o), figure_spread(n));
	double change = o->median > 0 ? fabs(n->median / o->median - 1) : 0;
	bool up = n->min > o->max, down = n->max < o->min;

	if ((!up && !down) || change <= spread)
		return 0;
	return up == figure_higher_is_better(n) ? 1 : -1;
}

int main(int argc, char **argv)
{
	struct figures o = { 0 }, n = { 0 };
	int worse = 0, better = 0, same = 0, only = 0;
	size_t i;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-compare OLD.json NEW.json\n");
		return 2;
	}
	if (figures_from_json(&o, argv[1]) || figures_from_json(&n, argv[2]))
		return 2;
	printf("%-48s %-9s %11s %11s %7s\n", "figure", "unit", "old", "new", "new/old");
	for (i = 0; i < n.n; i++) {
		const struct figure *nf = &n.v[i], *of = figures_find(&o, nf->name);
		int v;

		if (!of)
			continue;
		v = verdict(of, nf);
		worse += v < 0;
		better += v > 0;
		same += !v;
		printf("%-48s %-9s %11.4g %11.4g %7.3f%s\n", nf->name, nf->unit,
		       of->median, nf->median, of->median > 0 ? nf->median / of->median : 0,
		       v < 0 ? "  worse" : v > 0 ? "  better" : "");
	}
	for (i = 0; i < n.n; i++)
		if (!figures_find(&o, n.v[i].name)) {
			printf("  only in %s: %s\n", argv[2], n.v[i].name);
			only++;
		}
	for (i = 0; i < o.n; i++)
		if (!figures_find(&n, o.v[i].name)) {
			printf("  only in %s: %s\n", argv[1], o.v[i].name);
			only++;
		}
	printf("%d worse, %d better, %d within the spread, %d in one run only\n",
	       worse, better, same, only);
	figures_free(&o);
	figures_free(&n);
	return worse ? 1 : 0;
}
