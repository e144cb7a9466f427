// SPDX-License-Identifier: GPL-2.0
/*
 * ktap-bench - benchmark helper for ci/ktap (not a test).
 *
 *   ktap-bench gen LINES SEED FILE
 *	Write a deterministic, realistic KUnit console log of exactly LINES
 *	lines: boot noise, printk timestamps, nested suites, parameterised
 *	tests, diagnostics, a few failures and skips, unrelated kernel
 *	messages interleaved everywhere, shutdown noise.
 *
 *   ktap-bench time OUTFILE -- CMD ARGS...
 *	Run CMD with stdout and stderr on OUTFILE; print its wall time and
 *	peak RSS (wait4() rusage of that child).
 *
 *   ktap-bench compare LOG KTAP KUNIT_PY OUTDIR
 *	Time "ktap parse --json" and "kunit.py parse --json" on
 *	LOG, print both wall times, peak RSS, the ratio, and whether the
 *	two JSON files are identical.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------- generator */

static uint64_t rng;

static uint64_t next(void)
{
	/* splitmix64 */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
	return (unsigned)(next() % n);
}

static const char *const words[] = {
	"range", "chunk", "notifier", "migrate", "evict", "fault", "page",
	"vram", "sram", "mmu", "invalidate", "bind", "unbind", "alloc",
	"free", "map", "unmap", "split", "merge", "prefetch", "hmm", "pfn",
	"devmem", "zdd", "lock", "garbage", "collector", "interval", "tree",
	"insert", "remove", "lookup", "overlap", "partial", "huge", "order",
};

#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *const noise[] = {
	"usb 1-1: new high-speed USB device number %u using xhci_hcd",
	"EXT4-fs (vda1): mounted filesystem %08x ro with ordered data mode",
	"random: crng reseeded on system resumption",
	"audit: type=1400 audit(%u.123:42): apparmor=\"STATUS\" operation",
	"clocksource: tsc: mask: 0xffffffffffffffff max_cycles: 0x%x",
	"systemd-journald[%u]: Received client request to flush runtime",
	"virtio_net virtio0 enp0s2: renamed from eth0",
	"[drm] Initialized simpledrm 1.0.0 %u for simple-framebuffer.0",
	"workqueue: drm_sched_job_timedout hogged CPU for >10000us %u times",
	"pci 0000:00:%02x.0: [8086:100e] type 00 class 0x020000",
	"ACPI: PM-Timer IO Port: 0x%x",
	"NET: Registered PF_INET6 protocol family",
	"Freeing unused kernel image (initmem) memory: %uK",
	"kunit_test: module verification failed: signature missing",
};

#define NNOISE (sizeof(noise) / sizeof(noise[0]))

struct gen {
	FILE *f;		/* NULL: only count */
	uint64_t lines;
	uint64_t usec;
};

static void stamp(struct gen *g)
{
	g->usec += 1 + below(400);
	if (g->f)
		fprintf(g->f, "[%5" PRIu64 ".%06" PRIu64 "] ",
			g->usec / 1000000, g->usec % 1000000);
}

static void line(struct gen *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void line(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	stamp(g);
	if (g->f) {
		va_start(ap, fmt);
		vfprintf(g->f, fmt, ap);
		va_end(ap);
		fputc('\n', g->f);
	}
	g->lines++;
}

static void maybe_noise(struct gen *g, unsigned pct)
{
	while (below(100) < pct) {
		unsigned k = below(NNOISE);

		stamp(g);
		if (g->f) {
			fprintf(g->f, noise[k], below(0x10000));
			fputc('\n', g->f);
		}
		g->lines++;
		pct /= 3;
	}
}

/* One suite; the same seed gives the same suite, counted or written. */
static void gen_suite(struct gen *g, uint64_t seed, unsigned num)
{
	unsigned ntests, t, pass = 0, fail = 0, skip = 0;
	unsigned tp = 0, tf = 0, ts = 0;
	char suite[64];

	rng = seed;
	ntests = 3 + below(40);
	snprintf(suite, sizeof(suite), "drm_gpusvm_%s_%s_%u",
		 words[below(NWORDS)], words[below(NWORDS)], num);
	line(g, "    KTAP version 1");
	line(g, "    # Subtest: %s", suite);
	if (below(2))
		line(g, "    # module: gpusvm_kunit_%u", num % 7);
	line(g, "    1..%u", ntests);
	for (t = 1; t <= ntests; t++) {
		char name[64];
		unsigned r = below(1000), st;

		snprintf(name, sizeof(name), "%s_test_%s_%s_%u", words[num %
			 NWORDS], words[below(NWORDS)], words[below(NWORDS)], t);
		maybe_noise(g, 12);
		if (below(100) < 30) {
			/* parameterised: no plan, one line per parameter */
			unsigned np = 4 + below(60), i, p = 0, f = 0, s = 0;

			line(g, "        KTAP version 1");
			line(g, "        # Subtest: %s", name);
			for (i = 1; i <= np; i++) {
				unsigned pr = below(1000);

				maybe_noise(g, 8);
				if (pr < 3) {
					line(g, "    # %s: EXPECTATION FAILED at "
					     "drivers/gpu/drm/tests/gpusvm/"
					     "%s.c:%u", name,
					     words[below(NWORDS)], 100 +
					     below(900));
					line(g, "    Expected got == want, but");
					line(g, "        got == %u", below(100));
					line(g, "        want == %u", below(100));
					line(g, "        not ok %u size=%u order=%u",
					     i, 4096u << below(9), below(10));
					f++;
				} else if (pr < 20) {
					line(g, "        ok %u size=%u order=%u # "
					     "SKIP no vram on this device", i,
					     4096u << below(9), below(10));
					s++;
				} else {
					line(g, "        ok %u size=%u order=%u", i,
					     4096u << below(9), below(10));
					p++;
				}
			}
			if (below(4) == 0)
				line(g, "    # %s.speed: slow", name);
			line(g, "    # %s: pass:%u fail:%u skip:%u total:%u",
			     name, p, f, s, np);
			tp += p;
			tf += f;
			ts += s;
			st = f ? 1 : p ? 0 : 2;
		} else {
			unsigned d = below(4), i;

			for (i = 0; i < d; i++) {
				line(g, "    # %s: step %u: %s %s ok", name, i,
				     words[below(NWORDS)],
				     words[below(NWORDS)]);
				maybe_noise(g, 6);
			}
			st = r < 8 ? 1 : r < 30 ? 2 : 0;
			if (st == 1) {
				line(g, "    # %s: EXPECTATION FAILED at "
				     "drivers/gpu/drm/tests/gpusvm/%s.c:%u",
				     name, words[below(NWORDS)],
				     100 + below(900));
				line(g, "    Expected ret == 0, but");
				line(g, "        ret == -%u (0x%x)", 1 + below(30),
				     below(0xffff));
			}
			tp += st == 0;
			tf += st == 1;
			ts += st == 2;
		}
		if (st == 0) {
			line(g, "    ok %u %s", t, name);
			pass++;
		} else if (st == 1) {
			line(g, "    not ok %u %s", t, name);
			fail++;
		} else {
			line(g, "    ok %u %s # SKIP not supported here", t,
			     name);
			skip++;
		}
	}
	maybe_noise(g, 20);
	line(g, "    # %s: pass:%u fail:%u skip:%u total:%u", suite, pass,
	     fail, skip, ntests);
	line(g, "    # Totals: pass:%u fail:%u skip:%u total:%u", tp, tf, ts,
	     tp + tf + ts);
	line(g, "%s %u %s", fail ? "not ok" : "ok", num, suite);
}

static const char *const boot[] = {
	("Linux version 6.12.0-gpusvm (ci@localhost) (gcc (Debian 12.2.0-14) "
	 "12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC"),
	"Command line: console=ttyS0 kunit.enable=1 mem=1G",
	"BIOS-provided physical RAM map:",
	"printk: legacy console [ttyS0] enabled",
	"Memory: 987654K/1048576K available",
	"rcu: Preemptible hierarchical RCU implementation.",
	"Mount-cache hash table entries: 2048 (order: 2, 16384 bytes, linear)",
	"smpboot: CPU0: Intel QEMU Virtual CPU version 2.5+",
};

static int gen(uint64_t lines, uint64_t seed, const char *path)
{
	struct gen g = { 0 };
	uint64_t body = 0, s, nsuites = 0, tail;
	unsigned i;
	FILE *f;

	/* pass 1: how many suites fit, leaving room for boot and end */
	for (s = 1;; s++) {
		g.lines = 0;
		gen_suite(&g, seed * 1000003 + s, (unsigned)s);
		if (64 + body + g.lines + 4 > lines)
			break;
		body += g.lines;
		nsuites = s;
	}
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "ktap-bench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	memset(&g, 0, sizeof(g));
	g.f = f;
	rng = seed;
	for (i = 0; i < 48; i++)
		line(&g, "%s", boot[i % (sizeof(boot) / sizeof(boot[0]))]);
	line(&g, "KTAP version 1");
	line(&g, "1..%" PRIu64, nsuites);
	for (s = 1; s <= nsuites; s++)
		gen_suite(&g, seed * 1000003 + s, (unsigned)s);
	rng = seed ^ 0x5555;
	tail = lines - g.lines - 1;
	while (tail--) {
		stamp(&g);
		fprintf(f, noise[below(NNOISE)], below(0x10000));
		fputc('\n', f);
		g.lines++;
	}
	line(&g, "reboot: System halted");
	if (fclose(f)) {
		fprintf(stderr, "ktap-bench: writing %s failed\n", path);
		return 1;
	}
	printf("generated %s: %" PRIu64 " lines, %" PRIu64 " suites, seed %"
	       PRIu64 "\n", path, g.lines, nsuites, seed);
	return 0;
}

/* ---------------------------------------------------------------- timing */

struct timing {
	double wall;
	long maxrss_kib;
	int status;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int timed(char **argv, const char *out, struct timing *t)
{
	struct rusage ru;
	double t0 = now_s();
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return -1;
	t->wall = now_s() - t0;
	t->maxrss_kib = ru.ru_maxrss;
	t->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	return 0;
}

static int cmd_time(int argc, char **argv)
{
	struct timing t;

	if (argc < 4 || strcmp(argv[1], "--")) {
		fprintf(stderr, "usage: ktap-bench time OUTFILE -- CMD...\n");
		return 2;
	}
	if (timed(argv + 2, argv[0], &t)) {
		perror("ktap-bench");
		return 2;
	}
	printf("wall %.3f s, peak RSS %ld KiB, exit %d\n", t.wall,
	       t.maxrss_kib, t.status);
	return 0;
}

static bool same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	bool same = fa && fb;
	int ca, cb;

	while (same) {
		ca = getc(fa);
		cb = getc(fb);
		if (ca != cb)
			same = false;
		if (ca == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

static int cmd_compare(int argc, char **argv)
{
	char kj[4096], pj[4096], ko[4096], po[4096], jarg[4200];
	struct timing tk, tp;
	const char *log, *ktap, *kunit, *dir;

	if (argc != 4) {
		fprintf(stderr, "usage: ktap-bench compare LOG KTAP KUNIT_PY "
			"OUTDIR\n");
		return 2;
	}
	log = argv[0];
	ktap = argv[1];
	kunit = argv[2];
	dir = argv[3];
	snprintf(kj, sizeof(kj), "%s/bench.ktap.json", dir);
	snprintf(pj, sizeof(pj), "%s/bench.kunit.json", dir);
	snprintf(ko, sizeof(ko), "%s/bench.ktap.out", dir);
	snprintf(po, sizeof(po), "%s/bench.kunit.out", dir);
	snprintf(jarg, sizeof(jarg), "--json=%s", pj);
	{
		char *a[] = { (char *)ktap, "parse", "--json", kj,
			      (char *)log, NULL };

		if (timed(a, ko, &tk))
			return 2;
	}
	{
		/* kunit.py runs through its own #! line. */
		char *a[] = { (char *)kunit, "parse", jarg,
			      (char *)log, NULL };

		if (timed(a, po, &tp))
			return 2;
	}
	printf("%-34s %10s %14s %6s\n", "", "wall", "peak RSS", "exit");
	printf("%-34s %9.3fs %10ld KiB %6d\n", "ktap parse --json",
	       tk.wall, tk.maxrss_kib, tk.status);
	printf("%-34s %9.3fs %10ld KiB %6d\n", "kunit.py parse --json",
	       tp.wall, tp.maxrss_kib, tp.status);
	printf("speed-up: %.1fx   ktap peak RSS: %.2f MiB (target < 16 MiB)"
	       "   kunit.py peak RSS: %.2f MiB\n", tp.wall / tk.wall,
	       tk.maxrss_kib / 1024.0, tp.maxrss_kib / 1024.0);
	printf("JSON outputs: %s\n", same_file(kj, pj) ? "identical" :
	       "DIFFERENT");
	if (tp.wall / tk.wall < 50 || tk.maxrss_kib >= 16 * 1024)
		printf("target NOT met (>= 50x, < 16 MiB)\n");
	else
		printf("targets met (>= 50x, < 16 MiB)\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "gen"))
		return gen(strtoull(argv[2], NULL, 10),
			   strtoull(argv[3], NULL, 10), argv[4]);
	if (argc >= 2 && !strcmp(argv[1], "time"))
		return cmd_time(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "compare"))
		return cmd_compare(argc - 2, argv + 2);
	fprintf(stderr, "usage: ktap-bench gen LINES SEED FILE\n"
		"       ktap-bench time OUTFILE -- CMD...\n"
		"       ktap-bench compare LOG KTAP KUNIT_PY OUTDIR\n");
	return 2;
}
