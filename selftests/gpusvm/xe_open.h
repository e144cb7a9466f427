/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding an Xe device the way IGT does: open each DRM node and ask its
 * driver's name (DRM_IOCTL_VERSION); vxe's is "xe", as real Xe's.
 */
#ifndef XE_OPEN_H
#define XE_OPEN_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/xe_drm.h>

/* The first DRM node PREFIX<first>..PREFIX<first + 15> driven by "xe", or -1. */
static inline int xe_open_node(const char *prefix, int first)
{
	char path[64], name[16];
	int i, fd;

	for (i = first; i < first + 16; i++) {
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

		snprintf(path, sizeof(path), "%s%d", prefix, i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "xe"))
			return fd;
		close(fd);
	}
	return -1;
}

/* The first primary node (/dev/dri/cardN) driven by "xe", or -1. */
static inline int xe_open_card(void)
{
	return xe_open_node("/dev/dri/card", 0);
}

/*
 * The "xe" primary nodes (/dev/dri/cardN), in order, into @fds: how many
 * were opened, at most @max.
 */
static inline int open_xe_cards(int *fds, int max)
{
	int n = 0, next = 0;

	while (n < max) {
		struct stat a, b;
		char path[32];
		int i, fd;

		fd = xe_open_node("/dev/dri/card", next);
		if (fd < 0)
			break;
		/* The node it found: the next search starts after it. */
		for (i = next; i < next + 16; i++) {
			snprintf(path, sizeof(path), "/dev/dri/card%d", i);
			if (!stat(path, &a) && !fstat(fd, &b) &&
			    a.st_rdev == b.st_rdev)
				break;
		}
		next = i + 1;
		fds[n++] = fd;
	}
	return n;
}

/*
 * An engine class (DRM_XE_ENGINE_CLASS_*) as Xe names it (fdinfo keys,
 * sysfs directories, vxe.engines), or NULL
 */
static inline const char *xe_class_name(unsigned int engine_class)
{
	static const char *const names[] = {
		[DRM_XE_ENGINE_CLASS_RENDER] = "rcs",
		[DRM_XE_ENGINE_CLASS_COPY] = "bcs",
		[DRM_XE_ENGINE_CLASS_VIDEO_DECODE] = "vcs",
		[DRM_XE_ENGINE_CLASS_VIDEO_ENHANCE] = "vecs",
		[DRM_XE_ENGINE_CLASS_COMPUTE] = "ccs",
	};

	return engine_class < 5 ? names[engine_class] : NULL;
}

/* Write @s to the (sysfs) file @path: 0 or -errno */
static inline int sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* vxe's module parameter NAME, or -1 when there is none (not vxe). */
static inline long vxe_param(const char *name)
{
	char path[128];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/vxe/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

#endif
