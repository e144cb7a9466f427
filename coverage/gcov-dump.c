// SPDX-License-Identifier: GPL-2.0
/*
 * gcov-dump - copy a guest kernel's gcov data out as a tar archive.
 *
 *   gcov-dump OUTPUT                as a program (e.g. from vm-run's init)
 *   gcov-dump --reset               zero the counters
 *   /init  with gcov_out=/dev/vdX   as PID 1 of the KUnit guest
 *
 * CONFIG_GCOV_KERNEL publishes one .gcda file per profiled object under
 * /sys/kernel/debug/gcov/<object directory>/.  The data only exists while
 * that kernel runs, so it has to leave the guest before the guest powers
 * off.  gcov-dump writes every .gcda file it finds there into a POSIX
 * ustar archive on OUTPUT: a file, or a raw virtio disk that the host
 * created zero-filled and reads back with "tar -x" after QEMU exits.
 *
 * Why a raw disk and not the console: the serial console carries the KTAP
 * stream and printk output, which may interleave with anything we print,
 * and binary data on a tty is subject to the line discipline; a block
 * device is binary-safe, needs no file system in the guest, and the tar
 * end-of-archive blocks (or the zero fill of a fresh image) tell the host
 * where the data ends, so a truncated dump is detected by tar itself.
 *
 * As PID 1 (the KUnit guest's initramfs): KUnit has already run its
 * suites by the time the kernel starts init, so it mounts what it needs,
 * dumps to the device named by the kernel parameter gcov_out= (the kernel
 * passes unknown "name=value" parameters to init as environment) and
 * reboots, which makes "qemu -no-reboot" exit.  It never returns: init
 * exiting would panic the kernel.
 *
 * --reset writes to /sys/kernel/debug/gcov/reset first, so that a later
 * dump counts only what ran in between (one test layer at a time).
 *
 * Exit status: 0 on success, 1 on any error (printed with its cause).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#define GCOV_ROOT "/sys/kernel/debug/gcov"

/* GCOV_DUMP_ROOT=DIR reads DIR instead (the host-side test of the tar writer) */
static const char *root = GCOV_ROOT;
#define BLOCK 512

static int out_fd = -1;
static const char *out_name;
static unsigned long n_files;
static unsigned long long n_bytes;
static int failed;

static void err(const char *what, const char *path)
{
	fprintf(stderr, "gcov-dump: %s %s: %s\n", what, path, strerror(errno));
	failed = 1;
}

static int write_all(const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(out_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			err("cannot write", out_name);
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* The whole file: debugfs reports size 0, so read until EOF. */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!buf || fd < 0) {
		err("cannot open", path);
		goto fail;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nbuf = realloc(buf, cap * 2);

			if (!nbuf) {
				err("out of memory reading", path);
				goto fail;
			}
			buf = nbuf;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err("cannot read", path);
			goto fail;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	*len = n;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static void octal(char *field, size_t width, unsigned long long v)
{
	snprintf(field, width, "%0*llo", (int)width - 1, v);
}

/*
 * A ustar header for a regular file.  Names longer than 100 bytes are
 * split at a '/' into prefix (up to 155) and name (up to 100).
 */
static int tar_header(const char *name, size_t size)
{
	unsigned char h[BLOCK];
	size_t len = strlen(name), split = 0, i;
	unsigned int sum = 0;

	memset(h, 0, sizeof(h));
	if (len > 100) {
		for (i = len - 1; i > 0; i--) {
			if (name[i] == '/' && len - i - 1 <= 100 && i <= 155) {
				split = i;
				break;
			}
		}
		if (!split) {
			errno = ENAMETOOLONG;
			err("name too long for ustar:", name);
			return -1;
		}
		memcpy(h + 345, name, split);
		memcpy(h, name + split + 1, len - split - 1);
	} else {
		memcpy(h, name, len);
	}
	octal((char *)h + 100, 8, 0644);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, size);
	octal((char *)h + 136, 12, 0);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < sizeof(h); i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return write_all(h, sizeof(h));
}

static int add_file(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	static const char zero[BLOCK];
	size_t len, n = strlen(path);
	char *data;

	(void)st;
	(void)ftw;
	if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".gcda"))
		return 0;	/* directories, the .gcno symlinks, "reset" */
	data = slurp(path, &len);
	if (!data)
		return 0;	/* reported; carry on with the others */
	/* the archive mirrors the guest's object paths, without the root */
	if (tar_header(path + strlen(root) + 1, len) ||
	    write_all(data, len) ||
	    write_all(zero, (BLOCK - len % BLOCK) % BLOCK)) {
		free(data);
		return 1;	/* the output is broken: stop */
	}
	free(data);
	n_files++;
	n_bytes += len;
	return 0;
}

static int dump(const char *out, int reset)
{
	static const char end[2 * BLOCK];
	struct stat st;

	if (stat(root, &st)) {
		err("no gcov data (CONFIG_GCOV_KERNEL, debugfs) at", root);
		return 1;
	}
	if (reset) {
		int fd = open(GCOV_ROOT "/reset", O_WRONLY);

		if (fd < 0 || write(fd, "1", 1) != 1)
			err("cannot reset", GCOV_ROOT "/reset");
		if (fd >= 0)
			close(fd);
		return failed;
	}
	out_name = out;
	out_fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		err("cannot open", out);
		return 1;
	}
	if (nftw(root, add_file, 16, FTW_PHYS) == 0)
		write_all(end, sizeof(end));
	if (fsync(out_fd) && errno != EINVAL)
		err("cannot sync", out);
	close(out_fd);
	printf("gcov-dump: %lu files, %llu bytes to %s%s\n", n_files, n_bytes,
	       out, failed ? " (with errors)" : "");
	if (!n_files) {
		fprintf(stderr, "gcov-dump: no .gcda files under %s: is GCOV_PROFILE set for our objects?\n",
			root);
		failed = 1;
	}
	return failed;
}

static void mount_one(const char *src, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, 0, NULL) && errno != EBUSY)
		err("cannot mount", dir);
}

static void as_init(void)
{
	const char *out = getenv("gcov_out");

	mount_one("proc", "/proc", "proc");
	mount_one("sysfs", "/sys", "sysfs");
	mount_one("debugfs", "/sys/kernel/debug", "debugfs");
	mount_one("devtmpfs", "/dev", "devtmpfs");
	if (out)
		dump(out, 0);
	else
		fprintf(stderr, "gcov-dump: no gcov_out= on the kernel command line: nothing dumped\n");
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int reset = 0;

	if (getenv("GCOV_DUMP_ROOT"))
		root = getenv("GCOV_DUMP_ROOT");
	if (getpid() == 1)
		as_init();
	if (argc > 1 && !strcmp(argv[1], "--reset")) {
		reset = 1;
		argc--;
		argv++;
	}
	if (argc != 2 && !(reset && argc == 1)) {
		fprintf(stderr, "usage: gcov-dump OUTPUT | gcov-dump --reset\n");
		return 2;
	}
	return dump(reset ? NULL : argv[1], reset);
}
