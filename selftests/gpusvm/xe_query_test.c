// SPDX-License-Identifier: GPL-2.0
/*
 * DRM_IOCTL_XE_DEVICE_QUERY on an Xe device (vxe, or real Xe hardware):
 * the answers userspace such as IGT depends on, and every argument check
 * with its errno.  Only the uAPI header is used (no libdrm, no IGT).
 *
 * The device is the first /dev/dri/cardN whose driver is "xe", found the
 * way IGT finds it (DRM_IOCTL_VERSION).  The expected identity is vxe's
 * default (a Battlemage id, 48 VA bits, render and copy engines); on other
 * hardware those tests report SKIP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/xe_drm.h>

#include "kselftest_harness.h"
#include "xe_open.h"

/* One query: returns 0 or -errno; *buf (malloc'd) holds the answer. */
static int query(int fd, __u32 id, void **buf, __u32 *size)
{
	struct drm_xe_device_query q = { .query = id };

	*buf = NULL;
	if (ioctl(fd, DRM_IOCTL_XE_DEVICE_QUERY, &q))
		return -errno;
	*size = q.size;
	if (!q.size)
		return 0;
	*buf = calloc(1, q.size);
	if (!*buf)
		return -ENOMEM;
	q.data = (uintptr_t)*buf;
	if (ioctl(fd, DRM_IOCTL_XE_DEVICE_QUERY, &q))
		return -errno;
	return 0;
}

static int query_raw(int fd, struct drm_xe_device_query *q)
{
	return ioctl(fd, DRM_IOCTL_XE_DEVICE_QUERY, q) ? -errno : 0;
}

FIXTURE(xe) {
	int fd;
	bool vxe;	/* vxe's default identity: exact values checked */
};

FIXTURE_SETUP(xe)
{
	struct drm_xe_query_config *c;
	__u32 size;
	void *buf;

	self->fd = xe_open_card();
	if (self->fd < 0)
		SKIP(return, "no DRM device driven by \"xe\"");
	ASSERT_EQ(0, query(self->fd, DRM_XE_DEVICE_QUERY_CONFIG, &buf, &size));
	c = buf;
	self->vxe = (c->info[DRM_XE_QUERY_CONFIG_REV_AND_DEVICE_ID] & 0xffff) == 0xe20b &&
		    !access("/sys/bus/platform/drivers/vxe", F_OK);
	free(buf);
}

FIXTURE_TEARDOWN(xe)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(xe, config)
{
	struct drm_xe_query_config *c;
	__u32 size;
	void *buf;

	ASSERT_EQ(0, query(self->fd, DRM_XE_DEVICE_QUERY_CONFIG, &buf, &size));
	c = buf;
	/* Five parameters: id, flags, alignment, VA bits, priority. */
	EXPECT_EQ(sizeof(*c) + 5 * sizeof(__u64), size);
	EXPECT_EQ(5, c->num_params);
	EXPECT_GE(c->info[DRM_XE_QUERY_CONFIG_VA_BITS], 39);
	EXPECT_TRUE(c->info[DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT] == 4096 ||
		    c->info[DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT] == 65536);
	/* Root (CAP_SYS_NICE) may use HIGH (2); others NORMAL (1). */
	EXPECT_EQ(geteuid() ? 1 : 2,
		  c->info[DRM_XE_QUERY_CONFIG_MAX_EXEC_QUEUE_PRIORITY]);
	if (self->vxe) {
		EXPECT_EQ(0xe20b, c->info[DRM_XE_QUERY_CONFIG_REV_AND_DEVICE_ID]);
		EXPECT_EQ(48, c->info[DRM_XE_QUERY_CONFIG_VA_BITS]);
		/* A discrete GPU: VRAM unless vxe.vram_size=0. */
		EXPECT_EQ(DRM_XE_QUERY_CONFIG_FLAG_HAS_CPU_ADDR_MIRROR |
			  DRM_XE_QUERY_CONFIG_FLAG_HAS_LOW_LATENCY |
			  (vxe_param("vram_size") > 0 ?
			   DRM_XE_QUERY_CONFIG_FLAG_HAS_VRAM : 0),
			  c->info[DRM_XE_QUERY_CONFIG_FLAGS]);
		EXPECT_EQ(4096, c->info[DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT]);
	}
	free(buf);
}

/*
 * The engines vxe.engines names ("rcs,bcs" by default, ci/selftests.sh's
 * "rcs,bcs,bcs,vcs,vcs"), in order, as class and instance: their number,
 * or -1 when the parameter cannot be read or names an unknown engine.
 */
static int vxe_engines_param(struct drm_xe_engine_class_instance *eng, int max)
{
	int count[5] = { 0 };
	char buf[128], *name, *save;
	int n = 0, c;
	FILE *f = fopen("/sys/module/vxe/parameters/engines", "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	for (name = strtok_r(buf, ",", &save); name && n < max;
	     name = strtok_r(NULL, ",", &save), n++) {
		for (c = 0; c < 5 && strcmp(name, xe_class_name(c)); c++)
			;
		if (c == 5)
			return -1;
		eng[n] = (struct drm_xe_engine_class_instance){
			.engine_class = c, .engine_instance = count[c]++,
		};
	}
	return n;
}

TEST_F(xe, engines)
{
	struct drm_xe_query_engines *e;
	struct drm_xe_engine_class_instance want[8];
	int n;
	__u32 size, i;
	void *buf;

	ASSERT_EQ(0, query(self->fd, DRM_XE_DEVICE_QUERY_ENGINES, &buf, &size));
	e = buf;
	ASSERT_GE(e->num_engines, 1);
	EXPECT_EQ(sizeof(*e) + e->num_engines * sizeof(e->engines[0]), size);
	for (i = 0; i < e->num_engines; i++)
		EXPECT_LE(e->engines[i].instance.engine_class, DRM_XE_ENGINE_CLASS_COMPUTE);
	/* Those of vxe.engines, in its order, all on GT 0 */
	n = self->vxe ? vxe_engines_param(want, 8) : -1;
	if (n > 0) {
		ASSERT_EQ((__u32)n, e->num_engines);
		for (i = 0; i < e->num_engines; i++) {
			EXPECT_EQ(want[i].engine_class, e->engines[i].instance.engine_class);
			EXPECT_EQ(want[i].engine_instance, e->engines[i].instance.engine_instance);
			EXPECT_EQ(0, e->engines[i].instance.gt_id);
		}
	}
	free(buf);
}

TEST_F(xe, mem_regions_and_gts)
{
	struct drm_xe_query_mem_regions *m;
	struct drm_xe_query_gt_list *g;
	__u32 size, i;
	void *buf, *gbuf;

	ASSERT_EQ(0, query(self->fd, DRM_XE_DEVICE_QUERY_MEM_REGIONS, &buf, &size));
	m = buf;
	ASSERT_GE(m->num_mem_regions, 1);
	EXPECT_EQ(sizeof(*m) + m->num_mem_regions * sizeof(m->mem_regions[0]), size);
	/* The array index is the instance: bit N of a placement mask. */
	for (i = 0; i < m->num_mem_regions; i++)
		EXPECT_EQ(i, m->mem_regions[i].instance);
	EXPECT_EQ(DRM_XE_MEM_REGION_CLASS_SYSMEM, m->mem_regions[0].mem_class);
	EXPECT_GT(m->mem_regions[0].total_size, 0);
	EXPECT_EQ(4096, m->mem_regions[0].min_page_size);

	ASSERT_EQ(0, query(self->fd, DRM_XE_DEVICE_QUERY_GT_LIST, &gbuf, &size));
	g = gbuf;
	ASSERT_GE(g->num_gt, 1);
	EXPECT_EQ(sizeof(*g) + g->num_gt * sizeof(g->gt_list[0]), size);
	for (i = 0; i < g->num_gt; i++) {
		/* IGT asserts a GT has near memory, within the regions. */
		EXPECT_NE(0, g->gt_list[i].near_mem_regions);
		EXPECT_EQ(0, (g->gt_list[i].near_mem_regions | g->gt_list[i].far_mem_regions) >>
			     m->num_mem_regions);
	}
	if (self->vxe) {
		EXPECT_EQ(1, g->num_gt);
		EXPECT_EQ(DRM_XE_QUERY_GT_TYPE_MAIN, g->gt_list[0].type);
		EXPECT_EQ(20, g->gt_list[0].ip_ver_major);
	}
	if (self->vxe && vxe_param("vram_size") > 0) {
		/* VRAM is region 1, all of it CPU visible, near to the GT. */
		ASSERT_EQ(2, m->num_mem_regions);
		EXPECT_EQ(DRM_XE_MEM_REGION_CLASS_VRAM, m->mem_regions[1].mem_class);
		EXPECT_EQ((__u64)vxe_param("vram_size") << 20,
			  m->mem_regions[1].total_size);
		EXPECT_EQ(m->mem_regions[1].total_size,
			  m->mem_regions[1].cpu_visible_size);
		EXPECT_LE(m->mem_regions[1].used, m->mem_regions[1].total_size);
		EXPECT_EQ(2, g->gt_list[0].near_mem_regions);
		EXPECT_EQ(1, g->gt_list[0].far_mem_regions);
	}
	free(gbuf);
	free(buf);
}

TEST_F(xe, optional_queries)
{
	struct drm_xe_device_query pxp;
	struct drm_xe_query_oa_units *oa;
	__u32 size;
	void *buf;
	int err;

	/* HWCONFIG may be empty but must answer. */
	ASSERT_EQ(0, query(self->fd, DRM_XE_DEVICE_QUERY_HWCONFIG, &buf, &size));
	free(buf);
	ASSERT_EQ(0, query(self->fd, DRM_XE_DEVICE_QUERY_OA_UNITS, &buf, &size));
	oa = buf;
	EXPECT_GE(size, sizeof(*oa));
	if (self->vxe)
		EXPECT_EQ(0, oa->num_oa_units);
	free(buf);
	/* EU stall: an error, or a non-empty answer (IGT asserts size != 0). */
	err = query(self->fd, DRM_XE_DEVICE_QUERY_EU_STALL, &buf, &size);
	EXPECT_TRUE(err == -ENODEV || (!err && size));
	free(buf);
	/* PXP: the size probe answers, with or without PXP (IGT needs it). */
	pxp = (struct drm_xe_device_query){ .query = DRM_XE_DEVICE_QUERY_PXP_STATUS };
	EXPECT_EQ(0, query_raw(self->fd, &pxp));
	EXPECT_EQ(sizeof(struct drm_xe_query_pxp_status), pxp.size);
	if (self->vxe) {
		EXPECT_EQ(-ENODEV, err);
		EXPECT_EQ(-ENODEV, query(self->fd, DRM_XE_DEVICE_QUERY_PXP_STATUS, &buf, &size));
	}
}

/* GT_TOPOLOGY: masks back to back, each naming its GT; Xe2 counts SIMD16 EUs. */
TEST_F(xe, gt_topology)
{
	struct drm_xe_query_topology_mask *t;
	unsigned int n = 0, types = 0;
	__u32 size, pos = 0;
	void *buf;

	ASSERT_EQ(0, query(self->fd, DRM_XE_DEVICE_QUERY_GT_TOPOLOGY, &buf, &size));
	ASSERT_NE(0, size);
	while (pos + sizeof(*t) <= size) {
		t = buf + pos;
		EXPECT_GE(t->type, DRM_XE_TOPO_DSS_GEOMETRY);
		EXPECT_LE(t->type, DRM_XE_TOPO_SIMD16_EU_PER_DSS);
		types |= 1u << t->type;
		if (self->vxe) {
			/* No shader cores: every mask is empty. */
			EXPECT_EQ(0, t->gt_id);
			for (__u32 i = 0; i < t->num_bytes; i++)
				EXPECT_EQ(0, t->mask[i]);
		}
		pos += sizeof(*t) + t->num_bytes;
		n++;
	}
	/* The walk ends exactly at the end of the answer. */
	EXPECT_EQ(size, pos);
	if (self->vxe) {
		EXPECT_EQ(4, n);
		EXPECT_EQ(1u << DRM_XE_TOPO_DSS_GEOMETRY | 1u << DRM_XE_TOPO_DSS_COMPUTE |
			  1u << DRM_XE_TOPO_L3_BANK | 1u << DRM_XE_TOPO_SIMD16_EU_PER_DSS,
			  types);
	}
	free(buf);
}

static int engine_cycles(int fd, struct drm_xe_query_engine_cycles *ts)
{
	struct drm_xe_device_query q = {
		.query = DRM_XE_DEVICE_QUERY_ENGINE_CYCLES,
		.size = sizeof(*ts), .data = (uintptr_t)ts,
	};

	return query_raw(fd, &q);
}

/*
 * ENGINE_CYCLES: an engine's timestamp with a CPU timestamp of the clock
 * asked for; the timestamp does not go backwards; a bad engine or clock
 * is -EINVAL.
 */
TEST_F(xe, engine_cycles)
{
	struct drm_xe_query_engine_cycles ts, ts2;
	struct drm_xe_query_engines *e;
	__u32 size, i;
	void *buf;

	ASSERT_EQ(0, query(self->fd, DRM_XE_DEVICE_QUERY_ENGINES, &buf, &size));
	e = buf;
	for (i = 0; i < e->num_engines; i++) {
		ts = (struct drm_xe_query_engine_cycles){
			.eci = e->engines[i].instance,
			.clockid = CLOCK_MONOTONIC_RAW,
		};
		ASSERT_EQ(0, engine_cycles(self->fd, &ts));
		ts2 = ts;
		ASSERT_EQ(0, engine_cycles(self->fd, &ts2));
		EXPECT_TRUE(ts.width == 36 || ts.width == 64);
		if (self->vxe)
			EXPECT_EQ(64, ts.width);
		EXPECT_GE(ts2.engine_cycles, ts.engine_cycles);
		EXPECT_GE(ts2.cpu_timestamp, ts.cpu_timestamp);
	}
	ts = (struct drm_xe_query_engine_cycles){
		.eci = e->engines[0].instance, .clockid = CLOCK_MONOTONIC,
	};
	ASSERT_EQ(0, engine_cycles(self->fd, &ts));
	ts.clockid = -1;
	EXPECT_EQ(-EINVAL, engine_cycles(self->fd, &ts));
	ts.clockid = CLOCK_PROCESS_CPUTIME_ID;
	EXPECT_EQ(-EINVAL, engine_cycles(self->fd, &ts));
	ts.clockid = CLOCK_MONOTONIC;
	ts.eci.engine_instance = 0xffff;
	EXPECT_EQ(-EINVAL, engine_cycles(self->fd, &ts));
	ts.eci = e->engines[0].instance;
	ts.eci.engine_class = 0xffff;
	EXPECT_EQ(-EINVAL, engine_cycles(self->fd, &ts));
	ts.eci.engine_class = DRM_XE_ENGINE_CLASS_VM_BIND;
	EXPECT_EQ(-EINVAL, engine_cycles(self->fd, &ts));
	ts.eci = e->engines[0].instance;
	ts.eci.gt_id = 0xffff;
	EXPECT_EQ(-EINVAL, engine_cycles(self->fd, &ts));
	free(buf);
}

static int uc_fw_version(int fd, struct drm_xe_query_uc_fw_version *v)
{
	struct drm_xe_device_query q = {
		.query = DRM_XE_DEVICE_QUERY_UC_FW_VERSION,
		.size = sizeof(*v), .data = (uintptr_t)v,
	};

	return query_raw(fd, &q);
}

/*
 * UC_FW_VERSION: the GuC submission version is not 0.0; a HuC answers
 * with its version or -ENODEV (none on vxe); pads, the reserved field and
 * an unknown firmware type are -EINVAL.
 */
TEST_F(xe, uc_fw_version)
{
	struct drm_xe_query_uc_fw_version v = {
		.uc_type = XE_QUERY_UC_TYPE_GUC_SUBMISSION,
	};
	struct drm_xe_device_query q = { .query = DRM_XE_DEVICE_QUERY_UC_FW_VERSION };
	int err;

	ASSERT_EQ(0, query_raw(self->fd, &q));
	EXPECT_EQ(sizeof(v), q.size);
	ASSERT_EQ(0, uc_fw_version(self->fd, &v));
	EXPECT_TRUE(v.major_ver > 0 || v.minor_ver > 0);
	v = (struct drm_xe_query_uc_fw_version){ .uc_type = XE_QUERY_UC_TYPE_HUC };
	err = uc_fw_version(self->fd, &v);
	EXPECT_TRUE(err == -ENODEV || (!err && v.major_ver > 0));
	if (self->vxe)
		EXPECT_EQ(-ENODEV, err);

	v = (struct drm_xe_query_uc_fw_version){
		.uc_type = XE_QUERY_UC_TYPE_GUC_SUBMISSION, .pad = 1,
	};
	EXPECT_EQ(-EINVAL, uc_fw_version(self->fd, &v));
	v.pad = 0;
	v.pad2 = 1;
	EXPECT_EQ(-EINVAL, uc_fw_version(self->fd, &v));
	v.pad2 = 0;
	v.reserved = 1;
	EXPECT_EQ(-EINVAL, uc_fw_version(self->fd, &v));
	v.reserved = 0;
	v.uc_type = XE_QUERY_UC_TYPE_HUC + 1;
	EXPECT_EQ(-EINVAL, uc_fw_version(self->fd, &v));
}

TEST_F(xe, bad_arguments)
{
	struct drm_xe_device_query q;
	__u64 data[16];

	q = (struct drm_xe_device_query){ .query = DRM_XE_DEVICE_QUERY_CONFIG,
					  .extensions = 1 };
	EXPECT_EQ(-EINVAL, query_raw(self->fd, &q));
	q = (struct drm_xe_device_query){ .query = DRM_XE_DEVICE_QUERY_CONFIG,
					  .reserved = { 1, 0 } };
	EXPECT_EQ(-EINVAL, query_raw(self->fd, &q));
	q = (struct drm_xe_device_query){ .query = DRM_XE_DEVICE_QUERY_CONFIG,
					  .reserved = { 0, 1 } };
	EXPECT_EQ(-EINVAL, query_raw(self->fd, &q));
	q = (struct drm_xe_device_query){ .query = DRM_XE_DEVICE_QUERY_EU_STALL + 1 };
	EXPECT_EQ(-EINVAL, query_raw(self->fd, &q));
	q = (struct drm_xe_device_query){ .query = ~0u };
	EXPECT_EQ(-EINVAL, query_raw(self->fd, &q));
	/* A size that is neither 0 nor the answer's. */
	q = (struct drm_xe_device_query){ .query = DRM_XE_DEVICE_QUERY_CONFIG,
					  .size = 8, .data = (uintptr_t)data };
	EXPECT_EQ(-EINVAL, query_raw(self->fd, &q));
	/* The right size, at an address nobody can write. */
	q = (struct drm_xe_device_query){ .query = DRM_XE_DEVICE_QUERY_CONFIG };
	ASSERT_EQ(0, query_raw(self->fd, &q));
	q.data = 16;
	EXPECT_EQ(-EFAULT, query_raw(self->fd, &q));
}

/* Without CAP_SYS_NICE the highest exec queue priority is NORMAL (1). */
TEST_F(xe, priority_without_cap_sys_nice)
{
	int status;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root to drop to an unprivileged user");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct drm_xe_query_config *c;
		__u32 size;
		void *buf;

		/* The open file stays usable after the drop. */
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (query(self->fd, DRM_XE_DEVICE_QUERY_CONFIG, &buf, &size))
			_exit(3);
		c = buf;
		_exit(c->info[DRM_XE_QUERY_CONFIG_MAX_EXEC_QUEUE_PRIORITY] == 1 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * vxe says why an ioctl failed, at debug level, as Xe's XE_IOCTL_DBG()
 * does: with drm.debug's DRIVER category on, the failed check is in the
 * kernel log.
 */
TEST_F(xe, failed_check_is_logged)
{
	static const char param[] = "/sys/module/drm/parameters/debug";
	struct drm_xe_device_query q = { .query = DRM_XE_DEVICE_QUERY_CONFIG,
					 .extensions = 1 };
	char old[32] = "0", line[1024];
	bool found = false;
	int kmsg, fd;
	ssize_t n;

	if (!self->vxe)
		SKIP(return, "the log text is vxe's");
	fd = open(param, O_RDWR);
	if (fd < 0)
		SKIP(return, "cannot open %s", param);
	n = read(fd, old, sizeof(old) - 1);
	old[n > 0 ? n : 0] = 0;
	/* Read only what comes after this point. */
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_GE(kmsg, 0);
	lseek(kmsg, 0, SEEK_END);
	ASSERT_EQ(1, pwrite(fd, "2", 1, 0));	/* DRM_UT_DRIVER */
	EXPECT_EQ(-EINVAL, query_raw(self->fd, &q));
	ASSERT_GT(pwrite(fd, old, strlen(old), 0), 0);
	close(fd);
	while ((n = read(kmsg, line, sizeof(line) - 1)) > 0) {
		line[n] = 0;
		if (strstr(line, "ioctl argument check failed: query->extensions"))
			found = true;
	}
	close(kmsg);
	EXPECT_TRUE(found);
}

TEST(render_node)
{
	struct drm_xe_query_config *c;
	__u32 size;
	void *buf;
	int fd = xe_open_node("/dev/dri/renderD", 128);

	if (fd < 0)
		SKIP(return, "no render node driven by \"xe\"");
	/* Queries are allowed on render nodes (DRM_RENDER_ALLOW). */
	ASSERT_EQ(0, query(fd, DRM_XE_DEVICE_QUERY_CONFIG, &buf, &size));
	c = buf;
	EXPECT_EQ(5, c->num_params);
	free(buf);
	close(fd);
}

TEST_HARNESS_MAIN
