// SPDX-License-Identifier: GPL-2.0
/*
 * ci/vm/init.c - PID 1 of a ci/vm-run guest.
 *
 * The guest's root file system is the host's, read-only over virtio-9p,
 * so this binary (static: it must not need the dynamic loader before
 * anything is mounted) is started straight from the host's build/ by
 * "init=".  Its parameters arrive from the kernel command line as
 * environment variables (the kernel passes unknown "name=value"
 * parameters without a dot to init):
 *
 *   vm_build=DIR   the host's build/ directory: mounted read-write from
 *                  the 9p export tagged "build", at the same path
 *   vm_cmd=FILE    the script to run as root (written by ci/vm-run; its #!
 *                  line names the interpreter)
 *   vm_status=FILE where to write the script's exit status, in decimal
 *
 * It mounts the kernel's file systems over the host's (proc, sysfs,
 * devtmpfs, devpts, tmpfs on /run and /dev/shm, an overlay on /tmp,
 * debugfs), runs FILE in its own session with the console as its terminal,
 * reaps every process, writes the status, syncs and reboots (QEMU runs
 * with -no-reboot, so the guest's reboot ends QEMU).  It never exits:
 * init exiting panics the kernel.
 *
 * The status line "vm-run: exit status N" also goes to the console.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void say(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "vm-run init: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

static int mount_fs(const char *src, const char *dir, const char *type,
		    unsigned long flags, const char *data)
{
	if (mount(src, dir, type, flags, data)) {
		int e = errno;

		say("cannot mount %s on %s", type, dir);
		say("  (%s)%s", strerror(e), "");
		return -1;
	}
	return 0;
}

static void finish(int status)
{
	const char *path = getenv("vm_status");
	char buf[32];

	snprintf(buf, sizeof(buf), "%d\n", status);
	if (path) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0644);

		if (fd < 0 || write(fd, buf, strlen(buf)) < 0 || fsync(fd))
			say("cannot write the exit status to %s: %s", path,
			    strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	printf("vm-run: exit status %d\n", status);
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

int main(void)
{
	const char *build = getenv("vm_build");
	const char *cmd = getenv("vm_cmd");
	int status = 0, ok = 1;
	pid_t child, pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The host's /proc, /sys, /dev show through the 9p root: cover them. */
	ok &= !mount_fs("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	ok &= !mount_fs("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	ok &= !mount_fs("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	mkdir("/dev/pts", 0755);
	mkdir("/dev/shm", 01777);
	ok &= !mount_fs("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
			"gid=5,mode=620,ptmxmode=666");
	ok &= !mount_fs("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	ok &= !mount_fs("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	/*
	 * A writable /tmp that still shows the host's: the repository (and
	 * build/, mounted below at its own path) may live under /tmp, and a
	 * plain tmpfs would hide it.  Overlayfs over the read-only 9p /tmp,
	 * its upper layer in /run; a tmpfs only if overlayfs is missing.
	 */
	mkdir("/run/tmp-upper", 01777);
	mkdir("/run/tmp-work", 0700);
	if (mount("overlay", "/tmp", "overlay", MS_NOSUID | MS_NODEV,
		  "lowerdir=/tmp,upperdir=/run/tmp-upper,workdir=/run/tmp-work")) {
		say("no overlay on /tmp (%s): a plain tmpfs hides the host's /tmp%s",
		    strerror(errno), "");
		ok &= !mount_fs("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	}
	ok &= !mount_fs("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (!build || !cmd) {
		say("no %s on the kernel command line", !build ? "vm_build=" : "vm_cmd=", "");
		finish(125);
	}
	ok &= !mount_fs("build", build, "9p", 0,
			"trans=virtio,version=9p2000.L,msize=512000,cache=mmap,access=any");
	if (!ok)
		finish(125);

	child = fork();
	if (child < 0) {
		say("cannot fork: %s%s", strerror(errno), "");
		finish(125);
	}
	if (!child) {
		char *argv[] = { (char *)cmd, NULL };
		struct termios tio;

		setsid();
		ioctl(STDIN_FILENO, TIOCSCTTY, 0);
		/* "\n", not "\r\n": the console is a pipe to the host's reader */
		if (!tcgetattr(STDOUT_FILENO, &tio)) {
			tio.c_oflag &= ~ONLCR;
			tcsetattr(STDOUT_FILENO, TCSANOW, &tio);
		}
		execv(argv[0], argv);
		say("cannot run %s: %s", cmd, strerror(errno));
		_exit(127);
	}
	/* PID 1 reaps everything; the script's own status is the result. */
	for (;;) {
		int ws;

		pid = wait(&ws);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		if (pid == child) {
			status = WIFEXITED(ws) ? WEXITSTATUS(ws) :
				 128 + WTERMSIG(ws);
			break;
		}
	}
	/* Orphans the script left behind get a moment, then SIGKILL. */
	if (kill(-1, SIGTERM) == 0) {
		sleep(1);
		kill(-1, SIGKILL);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	finish(status);
}
