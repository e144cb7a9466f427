// SPDX-License-Identifier: GPL-2.0
/*
 * ktap - parse KTAP from a kernel console log, or run a kernel and parse
 * its console as it runs.  See README.md.
 *
 *   ktap parse [report options] [FILE|-]
 *   ktap igt [report options] RESULTS.json  (igt_runner's results)
 *   ktap run [--timeout S] [--log FILE] [--grace S] [--echo] [report options]
 *            [--] CMD ARGS...
 *
 * Exit status: 0 all passed (skips allowed), 1 a failure or crash,
 * 2 no tests / nothing parsable / usage error, 3 time-out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "igt.h"
#include "ktap.h"
#include "report.h"

#define EXIT_USAGE	2
#define EXIT_TIMEOUT	3

struct opts {
	const char *json;
	const char *junit;
	const char *junit_name;
	const char *stats;
	const char *log;
	bool raw;
	bool quiet;
	bool no_splat;
	bool strict;
	bool fail_strays;
	bool echo;		/* run: copy the console to stdout */
	int color;		/* -1 auto, 0 never, 1 always */
	double timeout;		/* 0: none */
	double grace;		/* after the plan completed */
};

struct run_state {
	FILE *f;		/* progress: stdout, or stderr if JSON is */
	bool quiet;		/* --raw / --quiet: no progress */
	bool tty;
	bool color;
	bool status_shown;
	char suite[160];
	int64_t suite_expected;
	uint64_t suite_done;
	bool done;
};

static volatile sig_atomic_t got_signal;

static void usage(FILE *f)
{
	fputs("usage: ktap parse [options] [FILE|-]\n"
	      "       ktap igt [options] RESULTS.json\n"
	      "       ktap run [--timeout S] [--log FILE] [--grace S] [options]"
	      " [--] CMD ARGS...\n"
	      "options:\n"
	      "  --json FILE|-     kunit.py-compatible JSON ('-': stdout,\n"
	      "                    the summary then goes to stderr)\n"
	      "  --junit FILE      JUnit XML\n"
	      "  --junit-name NAME name of the JUnit <testsuites> (ktap)\n"
	      "  --stats FILE      one line: passed=N failed=N skipped=N "
	      "crashed=N errors=N\n"
	      "  --raw             print the isolated KTAP lines, no summary\n"
	      "  --quiet           no summary on stdout\n"
	      "  --no-splat        no crash attribution (kunit.py's "
	      "behaviour)\n"
	      "  --strict          parse errors fail the run (exit 1)\n"
	      "  --fail-strays     splats outside every test (at boot, after\n"
	      "                    the tests) fail the run and count as crashes\n"
	      "  --color=auto|always|never\n"
	      "run options:\n"
	      "  --timeout S       kill the kernel after S seconds (exit 3)\n"
	      "  --log FILE        save the raw console output\n"
	      "  --echo            copy the console to stdout as it arrives\n"
	      "                    (no progress lines; combine with --quiet)\n"
	      "  --grace S         wait S seconds for the kernel to exit after"
	      " the\n"
	      "                    top-level plan completed (default 5)\n"
	      "exit: 0 passed, 1 failed/crashed, 2 no tests or unparsable, "
	      "3 time-out\n", f);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool arg_value(int argc, char **argv, int *i, const char *name,
		      const char **val)
{
	size_t l = strlen(name);

	if (strncmp(argv[*i], name, l))
		return false;
	if (argv[*i][l] == '=') {
		*val = argv[*i] + l + 1;
		return true;
	}
	if (argv[*i][l])
		return false;
	if (*i + 1 >= argc) {
		fprintf(stderr, "ktap: %s needs a value\n", name);
		exit(EXIT_USAGE);
	}
	*val = argv[++*i];
	return true;
}

static double parse_seconds(const char *s, const char *what)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < 0) {
		fprintf(stderr, "ktap: bad %s '%s'\n", what, s);
		exit(EXIT_USAGE);
	}
	return v;
}

/* Options common to both commands; returns the index of the first operand. */
static int parse_opts(int argc, char **argv, struct opts *o, bool run)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *v;

		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || !strcmp(argv[i], "-"))
			break;
		if (arg_value(argc, argv, &i, "--json", &o->json) ||
		    arg_value(argc, argv, &i, "--junit", &o->junit) ||
		    arg_value(argc, argv, &i, "--junit-name", &o->junit_name) ||
		    arg_value(argc, argv, &i, "--stats", &o->stats))
			continue;
		if (!strcmp(argv[i], "--raw")) {
			o->raw = true;
		} else if (!strcmp(argv[i], "--quiet")) {
			o->quiet = true;
		} else if (!strcmp(argv[i], "--no-splat")) {
			o->no_splat = true;
		} else if (!strcmp(argv[i], "--fail-strays")) {
			o->fail_strays = true;
		} else if (!strcmp(argv[i], "--strict")) {
			o->strict = true;
		} else if (arg_value(argc, argv, &i, "--color", &v)) {
			if (!strcmp(v, "auto"))
				o->color = -1;
			else if (!strcmp(v, "always"))
				o->color = 1;
			else if (!strcmp(v, "never"))
				o->color = 0;
			else
				goto bad;
		} else if (run && arg_value(argc, argv, &i, "--timeout", &v)) {
			o->timeout = parse_seconds(v, "timeout");
		} else if (run && arg_value(argc, argv, &i, "--grace", &v)) {
			o->grace = parse_seconds(v, "grace");
		} else if (run && !strcmp(argv[i], "--echo")) {
			o->echo = true;
		} else if (run && arg_value(argc, argv, &i, "--log", &o->log)) {
			continue;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			exit(0);
		} else {
			goto bad;
		}
	}
	return i;
bad:
	fprintf(stderr, "ktap: unknown option '%s'\n", argv[i]);
	usage(stderr);
	exit(EXIT_USAGE);
}

static void raw_line(void *arg, const char *line, size_t len)
{
	(void)arg;
	fwrite(line, 1, len, stdout);
	fputc('\n', stdout);
}

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		fprintf(stderr, "ktap: cannot write %s: %s\n", path,
			strerror(errno));
	return f;
}

static bool close_out(FILE *f, const char *path)
{
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "ktap: error writing %s\n", path);
		return false;
	}
	return true;
}

/* Where the summary goes: stdout, or stderr when the JSON goes there. */
static FILE *human_file(const struct opts *o)
{
	return o->json && !strcmp(o->json, "-") ? stderr : stdout;
}

/*
 * All requested reports (the summary unless it was streamed); returns
 * false if one could not be written.
 */
static bool write_reports(struct ktap_parser *p, const struct opts *o,
			  const char *note, bool streamed)
{
	struct report_opts ro = { .note = note };
	FILE *human = human_file(o);
	bool ok = true;
	FILE *f;

	ro.color = o->color < 0 ? isatty(fileno(human)) : o->color;
	if (streamed) {
		/* done */
	} else if (!o->raw && !o->quiet) {
		report_human(human, p, &ro);
		fflush(human);
	} else if (note) {
		fprintf(stderr, "ktap: %s\n", note);
	}
	if (o->json) {
		if (!strcmp(o->json, "-")) {
			report_json(stdout, p);
			fputc('\n', stdout);
		} else if ((f = open_out(o->json))) {
			report_json(f, p);
			ok &= close_out(f, o->json);
		} else {
			ok = false;
		}
	}
	if (o->junit) {
		if ((f = open_out(o->junit))) {
			report_junit(f, p, o->junit_name);
			ok &= close_out(f, o->junit);
		} else {
			ok = false;
		}
	}
	if (o->stats) {
		if ((f = open_out(o->stats))) {
			report_stats(f, p);
			ok &= close_out(f, o->stats);
		} else {
			ok = false;
		}
	}
	if (fflush(stdout))
		ok = false;
	return ok;
}

/* ---------------------------------------------------------------- parse */

static void stream_event(void *arg, struct ktap_parser *p,
			 enum ktap_event ev, const struct ktap_rec *r, int depth)
{
	report_stream_event(arg, p, ev, r, depth);
}

static int cmd_parse(int argc, char **argv)
{
	struct opts o = { .color = -1 };
	struct ktap_opts ko = { 0 };
	struct report_stream *rs = NULL;
	struct ktap_parser *p;
	const char *path = "-";
	static char buf[1 << 16];
	int i, fd = 0, ret;
	ssize_t n;

	i = parse_opts(argc, argv, &o, false);
	if (i < argc)
		path = argv[i++];
	if (i < argc) {
		fprintf(stderr, "ktap: parse takes one FILE\n");
		return EXIT_USAGE;
	}
	if (strcmp(path, "-")) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "ktap: cannot open %s: %s\n", path,
				strerror(errno));
			return EXIT_USAGE;
		}
	}
	ko.no_splat = o.no_splat;
	ko.fail_strays = o.fail_strays;
	if (o.raw)
		ko.raw = raw_line;
	if (!o.raw && !o.quiet) {
		/* the summary is printed while parsing, like kunit.py */
		FILE *hf = human_file(&o);
		struct report_opts ro = {
			.color = o.color < 0 ? isatty(fileno(hf)) : o.color,
			.live = isatty(fileno(hf)),
		};

		rs = report_stream_new(hf, &ro);
		ko.event = stream_event;
		ko.arg = rs;
	}
	p = ktap_new(&ko);
	if (!p)
		return EXIT_USAGE;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "ktap: reading %s: %s\n", path,
				strerror(errno));
			ktap_free(p);
			return EXIT_USAGE;
		}
		if (!n)
			break;
		ktap_feed(p, buf, (size_t)n);
	}
	if (fd)
		close(fd);
	ktap_finish(p, NULL);
	if (rs)
		report_stream_end(rs, p);
	ret = ktap_exit_code(p, o.strict);
	if (!write_reports(p, &o, NULL, rs != NULL) && !ret)
		ret = EXIT_USAGE;
	ktap_free(p);
	return ret;
}

/* ------------------------------------------------------------------ igt */

/*
 * igt_runner's results.json through the same reports as a console log:
 * the summary (with the excerpts of every test that did not pass), JUnit,
 * --stats, --json; then one line of the runner's own result counts.
 */
static int cmd_igt(int argc, char **argv)
{
	struct opts o = { .color = -1 };
	struct ktap_opts ko = { .no_splat = true };
	struct igt_summary s;
	struct ktap_parser *p;
	int i, ret;

	i = parse_opts(argc, argv, &o, false);
	if (i + 1 != argc) {
		fprintf(stderr, "ktap: igt takes one RESULTS.json\n");
		return EXIT_USAGE;
	}
	if (o.raw)
		ko.raw = raw_line;
	p = ktap_new(&ko);
	if (!p)
		return EXIT_USAGE;
	if (!igt_feed_results(p, argv[i], &s)) {
		ktap_free(p);
		return EXIT_USAGE;
	}
	ktap_finish(p, NULL);
	ret = ktap_exit_code(p, o.strict);
	if (!write_reports(p, &o, NULL, false) && !ret)
		ret = EXIT_USAGE;
	if (!o.raw && !o.quiet)
		igt_print_summary(human_file(&o), &s);
	ktap_free(p);
	return ret;
}

/* ------------------------------------------------------------------ run */

static void on_signal(int sig)
{
	got_signal = sig;
}

static void status_clear(struct run_state *rs)
{
	if (rs->status_shown) {
		fputs("\r\033[K", rs->f);
		fflush(rs->f);
		rs->status_shown = false;
	}
}

static void status_show(struct run_state *rs)
{
	if (!rs->tty || !rs->suite[0] || rs->quiet)
		return;
	fputs("\r\033[K", rs->f);
	fputs(report_timestamp(), rs->f);
	if (rs->suite_expected >= 0)
		fprintf(rs->f, "Running %s (%llu/%lld)", rs->suite,
			(unsigned long long)rs->suite_done,
			(long long)rs->suite_expected);
	else
		fprintf(rs->f, "Running %s (%llu done)", rs->suite,
			(unsigned long long)rs->suite_done);
	rs->status_shown = true;
	fflush(rs->f);
}

static void suite_result(struct run_state *rs, const struct ktap_rec *r)
{
	const char *label, *col;

	switch (r->status) {
	case KTAP_SUCCESS:
		label = "[PASSED]";
		col = "\033[1;32m";
		break;
	case KTAP_SKIPPED:
		label = "[SKIPPED]";
		col = "\033[1;33m";
		break;
	case KTAP_NO_TESTS:
		label = "[NO TESTS RUN]";
		col = "\033[1;33m";
		break;
	case KTAP_CRASHED:
		label = "[CRASHED]";
		col = "\033[1;31m";
		break;
	default:
		label = "[FAILED]";
		col = "\033[1;31m";
		break;
	}
	if (rs->quiet)
		return;
	status_clear(rs);
	fputs(report_timestamp(), rs->f);
	fprintf(rs->f, "%s%s%s %.*s (passed: %llu, failed: %llu, crashed: "
		"%llu, skipped: %llu)\n", rs->color ? col : "", label,
		rs->color ? "\033[0;0m" : "", (int)r->name_len, r->name,
		(unsigned long long)r->counts.passed,
		(unsigned long long)r->counts.failed,
		(unsigned long long)r->counts.crashed,
		(unsigned long long)r->counts.skipped);
	fflush(rs->f);
}

static void run_event(void *arg, struct ktap_parser *p, enum ktap_event ev,
		      const struct ktap_rec *r, int depth)
{
	struct run_state *rs = arg;

	(void)p;
	switch (ev) {
	case KTAP_EV_SUITE_START:
		snprintf(rs->suite, sizeof(rs->suite), "%.*s",
			 (int)r->name_len, r->name);
		rs->suite_expected = r->expected;
		rs->suite_done = 0;
		if (rs->tty || rs->quiet) {
			status_show(rs);
			break;
		}
		fputs(report_timestamp(), rs->f);
		if (r->expected >= 0)
			fprintf(rs->f, "Starting suite %s (%lld test%s)\n",
				rs->suite, (long long)r->expected,
				r->expected == 1 ? "" : "s");
		else
			fprintf(rs->f, "Starting suite %s\n", rs->suite);
		fflush(rs->f);
		break;
	case KTAP_EV_SUITE_END:
		rs->suite[0] = '\0';
		suite_result(rs, r);
		break;
	case KTAP_EV_TEST_END:
		if (depth == 2) {
			rs->suite_done++;
			status_show(rs);
		} else if (depth == 1 && !r->parent) {
			/* a top-level test without subtests (kselftest) */
			suite_result(rs, r);
		}
		break;
	case KTAP_EV_DONE:
		rs->done = true;
		break;
	case KTAP_EV_HEADER:
		break;
	}
}

/* --echo: the console as it arrives; a closed stdout stops the echo only */
static void echo_out(const char *buf, size_t len)
{
	static bool broken;

	while (len && !broken) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			broken = true;
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void kill_group(pid_t pg, int sig)
{
	if (pg > 0)
		kill(-pg, sig);
}

static int cmd_run(int argc, char **argv)
{
	struct opts o = { .color = -1, .grace = 5 };
	struct ktap_opts ko = { 0 };
	struct run_state rs = { 0 };
	struct ktap_parser *p;
	struct sigaction sa;
	static char buf[1 << 16];
	double start, done_at = 0, term_at = 0, exit_at = 0;
	bool timed_out = false, eof = false, exited = false;
	int i, pfd[2], logfd = -1, wstatus = 0, ret;
	char why[512], running[400];
	const char *note = NULL;
	pid_t pid;

	i = parse_opts(argc, argv, &o, true);
	if (i >= argc) {
		fprintf(stderr, "ktap: run needs a command\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	argv += i;

	if (o.log) {
		logfd = open(o.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0644);
		if (logfd < 0) {
			fprintf(stderr, "ktap: cannot write %s: %s\n", o.log,
				strerror(errno));
			return EXIT_USAGE;
		}
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		perror("ktap: pipe");
		return EXIT_USAGE;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	start = now_s();
	pid = fork();
	if (pid < 0) {
		perror("ktap: fork");
		return EXIT_USAGE;
	}
	if (!pid) {
		int nul = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(pfd[1], 1) < 0 ||
		    dup2(pfd[1], 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		dprintf(2, "ktap: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);	/* also in the child: no race either way */
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);

	rs.f = human_file(&o);
	rs.quiet = o.raw || o.quiet || o.echo;
	rs.tty = isatty(fileno(rs.f));
	rs.color = o.color < 0 ? rs.tty : o.color;
	ko.no_splat = o.no_splat;
	ko.fail_strays = o.fail_strays;
	ko.event = run_event;
	ko.arg = &rs;
	if (o.raw)
		ko.raw = raw_line;
	p = ktap_new(&ko);
	if (!p)
		return EXIT_USAGE;

	while (!eof) {
		double t = now_s(), wait = 0.2;
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		int pr;

		if (got_signal && !term_at) {
			fprintf(stderr, "ktap: got signal %d, stopping the "
				"kernel\n", (int)got_signal);
			kill_group(pid, SIGTERM);
			term_at = t;
		}
		if (o.timeout > 0 && !timed_out && !term_at &&
		    t - start >= o.timeout) {
			timed_out = true;
			ktap_running(p, running, sizeof(running));
			status_clear(&rs);
			fprintf(stderr, "ktap: timed out after %g s while "
				"running %s; stopping the kernel\n", o.timeout,
				running);
			kill_group(pid, SIGTERM);
			term_at = t;
		}
		if (rs.done && !done_at)
			done_at = t;
		if (done_at && !term_at && !exited && t - done_at >= o.grace) {
			/* the plan completed; a kernel that lingers is fine */
			kill_group(pid, SIGTERM);
			term_at = t;
		}
		if (term_at && t - term_at >= 3)
			kill_group(pid, SIGKILL);
		if (exited && t - exit_at >= 2)
			break;	/* helpers keep the pipe open: stop */
		if (term_at && t - term_at >= 6)
			break;

		pr = poll(&pf, 1, (int)(wait * 1000));
		if (pr < 0 && errno != EINTR) {
			perror("ktap: poll");
			break;
		}
		if (pr > 0) {
			for (;;) {
				ssize_t n = read(pfd[0], buf, sizeof(buf));

				if (n > 0) {
					if (logfd >= 0 &&
					    write(logfd, buf, (size_t)n) != n) {
						fprintf(stderr, "ktap: error "
							"writing %s\n", o.log);
						close(logfd);
						logfd = -1;
					}
					if (o.echo)
						echo_out(buf, (size_t)n);
					ktap_feed(p, buf, (size_t)n);
					continue;
				}
				if (!n)
					eof = true;
				else if (errno == EINTR)
					continue;
				break;
			}
		}
		if (!exited && waitpid(pid, &wstatus, WNOHANG) == pid) {
			exited = true;
			exit_at = now_s();
		}
	}
	close(pfd[0]);
	if (!exited) {
		double t0 = now_s();

		while (waitpid(pid, &wstatus, WNOHANG) == 0) {
			if (now_s() - t0 > 3)
				kill_group(pid, SIGKILL);
			if (now_s() - t0 > 10)
				break;
			usleep(20000);
		}
	}
	kill_group(pid, SIGKILL);	/* whatever is left of its group */
	if (logfd >= 0 && close(logfd))
		fprintf(stderr, "ktap: error writing %s\n", o.log);
	status_clear(&rs);

	why[0] = '\0';
	if (timed_out) {
		snprintf(why, sizeof(why), "timed out after %g s while running "
			 "%s", o.timeout, running);
	} else if (!ktap_done(p)) {
		if (got_signal)
			snprintf(why, sizeof(why), "interrupted by signal %d",
				 (int)got_signal);
		else if (WIFSIGNALED(wstatus))
			snprintf(why, sizeof(why), "kernel killed by signal "
				 "%d before the tests finished",
				 WTERMSIG(wstatus));
		else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus))
			snprintf(why, sizeof(why), "kernel exited with status "
				 "%d before the tests finished",
				 WEXITSTATUS(wstatus));
		else if (ktap_started(p))
			snprintf(why, sizeof(why), "kernel exited before the "
				 "tests finished");
	}
	ktap_finish(p, why[0] ? why : NULL);
	if (timed_out)
		note = why;
	ret = ktap_exit_code(p, o.strict);
	if (!write_reports(p, &o, note, false) && !ret)
		ret = EXIT_USAGE;
	if (timed_out)
		ret = EXIT_TIMEOUT;
	else if (got_signal && !ktap_done(p) && !ret)
		ret = 1;
	ktap_free(p);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "parse"))
		return cmd_parse(argc - 2, argv + 2);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "igt"))
		return cmd_igt(argc - 2, argv + 2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "ktap: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
