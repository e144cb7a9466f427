// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * KUnit tests for the vxe device as userspace sees it: a platform device
 * "vxe" that binds to the vxe driver registers a DRM device named "xe"
 * with primary and render nodes, and goes away cleanly on unbind.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/test.h>
#include <linux/platform_device.h>
#include <linux/math64.h>
#include <linux/sizes.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "gpusvm_kunit.h"
#include "vxe_device.h"
#include "vxe_query.h"

/* Far above the num_devices the module creates at load. */
#define VXE_TEST_ID	100

static void vxe_device_platform_bind(struct kunit *test)
{
	struct platform_device *pdev;
	struct vxe_device *vxe;

	pdev = platform_device_register_simple("vxe", VXE_TEST_ID, NULL, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pdev));
	/* Probed synchronously: the driver data is the vxe device. */
	vxe = platform_get_drvdata(pdev);
	KUNIT_ASSERT_NOT_NULL(test, vxe);
	KUNIT_EXPECT_STREQ(test, vxe->drm.driver->name, "xe");
	KUNIT_EXPECT_TRUE(test, drm_core_check_feature(&vxe->drm, DRIVER_GEM));
	KUNIT_EXPECT_TRUE(test, drm_core_check_feature(&vxe->drm, DRIVER_SYNCOBJ_TIMELINE));
	KUNIT_EXPECT_TRUE(test, vxe->drm.registered);
	KUNIT_EXPECT_NOT_NULL(test, vxe->drm.primary);
	KUNIT_EXPECT_NOT_NULL(test, vxe->drm.render);
	/* What DEVICE_QUERY reports. */
	KUNIT_EXPECT_EQ(test, vxe->info.devid, 0xe20b);
	KUNIT_EXPECT_EQ(test, vxe->info.va_bits, 48);
	KUNIT_ASSERT_EQ(test, vxe->info.num_engines, 2);
	KUNIT_EXPECT_EQ(test, vxe->info.engines[0].engine_class, DRM_XE_ENGINE_CLASS_RENDER);
	KUNIT_EXPECT_EQ(test, vxe->info.engines[1].engine_class, DRM_XE_ENGINE_CLASS_COPY);

	/* Unbinding unplugs the DRM device; devres frees the rest. */
	platform_device_unregister(pdev);
}

/* DEVICE_QUERY @id into @out (at most @max bytes), through user memory. */
static void dev_query(struct gpusvm_kunit *gk, u32 id, void *out, size_t max)
{
	struct drm_xe_device_query q = { .query = id };
	struct kunit *test = gk->test;

	KUNIT_ASSERT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), 0);
	KUNIT_ASSERT_LE(test, q.size, max);
	q.data = GK_BASE;
	KUNIT_ASSERT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(out, (void __user *)GK_BASE, q.size), 0);
}

/* What the queries say of memory, with VRAM of @vram bytes or without. */
static void dev_query_memory(struct kunit *test, u64 vram)
{
	struct gpusvm_kunit *gk = gk_create_vram(test, NULL, vram);
	struct drm_xe_query_mem_regions *m;
	struct drm_xe_query_config *c;
	struct drm_xe_query_gt_list *g;
	void *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	gk_mmap(gk, GK_BASE, PAGE_SIZE, PROT_READ | PROT_WRITE);

	dev_query(gk, DRM_XE_DEVICE_QUERY_CONFIG, buf, PAGE_SIZE);
	c = buf;
	KUNIT_EXPECT_EQ(test, !!(c->info[DRM_XE_QUERY_CONFIG_FLAGS] &
				 DRM_XE_QUERY_CONFIG_FLAG_HAS_VRAM), !!vram);

	dev_query(gk, DRM_XE_DEVICE_QUERY_MEM_REGIONS, buf, PAGE_SIZE);
	m = buf;
	KUNIT_ASSERT_EQ(test, m->num_mem_regions, vram ? 2 : 1);
	KUNIT_EXPECT_EQ(test, m->mem_regions[0].mem_class,
			DRM_XE_MEM_REGION_CLASS_SYSMEM);
	if (vram) {
		KUNIT_EXPECT_EQ(test, m->mem_regions[1].mem_class,
				DRM_XE_MEM_REGION_CLASS_VRAM);
		KUNIT_EXPECT_EQ(test, m->mem_regions[1].instance, 1);
		KUNIT_EXPECT_EQ(test, m->mem_regions[1].total_size, vram);
		KUNIT_EXPECT_EQ(test, m->mem_regions[1].cpu_visible_size, vram);
		KUNIT_EXPECT_EQ(test, m->mem_regions[1].used, 0);
	}

	dev_query(gk, DRM_XE_DEVICE_QUERY_GT_LIST, buf, PAGE_SIZE);
	g = buf;
	KUNIT_EXPECT_EQ(test, g->gt_list[0].near_mem_regions, vram ? 2 : 1);
	KUNIT_EXPECT_EQ(test, g->gt_list[0].far_mem_regions, vram ? 1 : 0);
}

static void vxe_device_query_without_vram(struct kunit *test)
{
	dev_query_memory(test, 0);
}

static void vxe_device_query_with_vram(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_DEVICE_PRIVATE))
		kunit_skip(test, "VRAM needs CONFIG_DEVICE_PRIVATE (ZONE_DEVICE)");
	dev_query_memory(test, SZ_16M);
}

/* The engines parameter: names, instances per class, and what is refused. */
static void vxe_device_parse_engines(struct kunit *test)
{
	struct vxe_info info = {};

	KUNIT_ASSERT_EQ(test, vxe_parse_engines("rcs,bcs", &info), 0);
	KUNIT_ASSERT_EQ(test, info.num_engines, 2);
	KUNIT_EXPECT_EQ(test, info.engines[0].engine_class, DRM_XE_ENGINE_CLASS_RENDER);
	KUNIT_EXPECT_EQ(test, info.engines[1].engine_class, DRM_XE_ENGINE_CLASS_COPY);

	/* A name again is the next instance of its class; blanks are fine. */
	KUNIT_ASSERT_EQ(test, vxe_parse_engines("bcs, ccs ,bcs,vcs,vecs,ccs,rcs",
						&info), 0);
	KUNIT_ASSERT_EQ(test, info.num_engines, 7);
	KUNIT_EXPECT_EQ(test, info.engines[2].engine_class, DRM_XE_ENGINE_CLASS_COPY);
	KUNIT_EXPECT_EQ(test, info.engines[2].engine_instance, 1);
	KUNIT_EXPECT_EQ(test, info.engines[3].engine_class, DRM_XE_ENGINE_CLASS_VIDEO_DECODE);
	KUNIT_EXPECT_EQ(test, info.engines[4].engine_class, DRM_XE_ENGINE_CLASS_VIDEO_ENHANCE);
	KUNIT_EXPECT_EQ(test, info.engines[5].engine_class, DRM_XE_ENGINE_CLASS_COMPUTE);
	KUNIT_EXPECT_EQ(test, info.engines[5].engine_instance, 1);
	KUNIT_EXPECT_EQ(test, info.engines[6].engine_instance, 0);
	KUNIT_EXPECT_EQ(test, info.engines[6].gt_id, 0);

	/* Refused, and the engines stay as they were. */
	KUNIT_EXPECT_EQ(test, vxe_parse_engines("rcs,gpu", &info), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_parse_engines("rcs,rcs", &info), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_parse_engines("ccs,ccs,ccs,ccs,ccs", &info), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_parse_engines("", &info), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_parse_engines("rcs,,bcs", &info), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_parse_engines("bcs,bcs,bcs,bcs,bcs,bcs,bcs,bcs,bcs",
						&info), -EINVAL);
	KUNIT_EXPECT_EQ(test, info.num_engines, 7);
	KUNIT_ASSERT_EQ(test, vxe_parse_engines("bcs,bcs,bcs,bcs,bcs,bcs,bcs,bcs",
						&info), 0);
	KUNIT_EXPECT_EQ(test, info.engines[7].engine_instance, 7);
	KUNIT_EXPECT_EQ(test, vxe_engine_mmio_base(&info.engines[0]), 0x22000);
	KUNIT_EXPECT_EQ(test, vxe_engine_mmio_base(&info.engines[7]), 0x3ec000);
	info.engines[0].engine_class = DRM_XE_ENGINE_CLASS_RENDER;
	KUNIT_EXPECT_EQ(test, vxe_engine_mmio_base(&info.engines[0]), 0x2000);
}

/* GT_TOPOLOGY: four masks of GT 0, every one empty (no shader cores). */
static void vxe_device_query_gt_topology(struct kunit *test)
{
	static const u16 types[] = {
		DRM_XE_TOPO_DSS_GEOMETRY, DRM_XE_TOPO_DSS_COMPUTE,
		DRM_XE_TOPO_L3_BANK, DRM_XE_TOPO_SIMD16_EU_PER_DSS,
	};
	static const u16 bytes[] = { 16, 16, 8, 8 };
	struct gpusvm_kunit *gk = gk_create_vram(test, NULL, 0);
	struct drm_xe_device_query q = { .query = DRM_XE_DEVICE_QUERY_GT_TOPOLOGY };
	struct drm_xe_query_topology_mask *t;
	u8 *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	size_t pos = 0;
	int i, j;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	gk_mmap(gk, GK_BASE, PAGE_SIZE, PROT_READ | PROT_WRITE);
	memset(buf, 0xa5, PAGE_SIZE);
	dev_query(gk, DRM_XE_DEVICE_QUERY_GT_TOPOLOGY, buf, PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		t = (void *)buf + pos;
		KUNIT_EXPECT_EQ(test, t->gt_id, 0);
		KUNIT_EXPECT_EQ(test, t->type, types[i]);
		KUNIT_ASSERT_EQ(test, t->num_bytes, bytes[i]);
		for (j = 0; j < t->num_bytes; j++)
			KUNIT_EXPECT_EQ(test, t->mask[j], 0);
		pos += sizeof(*t) + t->num_bytes;
	}
	KUNIT_ASSERT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), 0);
	KUNIT_EXPECT_EQ(test, q.size, pos);
	q.size--;
	q.data = GK_BASE;
	KUNIT_EXPECT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), -EINVAL);
}

static int dev_query_in(struct gpusvm_kunit *gk, u32 id, void *in, size_t size)
{
	struct drm_xe_device_query q = { .query = id, .size = size, .data = GK_BASE };

	KUNIT_ASSERT_EQ(gk->test, copy_to_user((void __user *)GK_BASE, in, size), 0);
	return vxe_query_ioctl(&gk->vxe->drm, &q, NULL);
}

/*
 * ENGINE_CYCLES: the engine timestamp is read after the CPU timestamp of
 * CLOCK_MONOTONIC_RAW and before the ioctl returns, at 19.2 MHz; bad
 * engines and clocks are -EINVAL; only the output fields are written;
 * -EFAULT for memory it cannot read or write.
 */
static void vxe_device_query_engine_cycles(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create_vram(test, NULL, 0);
	struct drm_xe_query_engine_cycles in = {
		.eci.engine_class = DRM_XE_ENGINE_CLASS_COPY,
		.clockid = CLOCK_MONOTONIC_RAW,
	}, out;
	struct drm_xe_device_query q = { .query = DRM_XE_DEVICE_QUERY_ENGINE_CYCLES };
	u64 engine_ns, after;

	gk_mmap(gk, GK_BASE, PAGE_SIZE, PROT_READ | PROT_WRITE);
	KUNIT_ASSERT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), 0);
	KUNIT_EXPECT_EQ(test, q.size, sizeof(in));

	KUNIT_ASSERT_EQ(test, dev_query_in(gk, DRM_XE_DEVICE_QUERY_ENGINE_CYCLES,
					   &in, sizeof(in)), 0);
	after = ktime_get_raw_ns();
	KUNIT_ASSERT_EQ(test, copy_from_user(&out, (void __user *)GK_BASE,
					     sizeof(out)), 0);
	KUNIT_EXPECT_EQ(test, out.width, 64);
	KUNIT_EXPECT_EQ(test, out.eci.engine_class, DRM_XE_ENGINE_CLASS_COPY);
	KUNIT_EXPECT_EQ(test, out.clockid, CLOCK_MONOTONIC_RAW);
	/* 625 ns are 12 ticks; the division truncates by under one tick. */
	engine_ns = div_u64(out.engine_cycles * 625, 12);
	KUNIT_EXPECT_GE(test, engine_ns + 53, out.cpu_timestamp);
	KUNIT_EXPECT_LE(test, engine_ns, after);

	out = in;
	out.clockid = CLOCK_PROCESS_CPUTIME_ID;
	KUNIT_EXPECT_EQ(test, dev_query_in(gk, DRM_XE_DEVICE_QUERY_ENGINE_CYCLES,
					   &out, sizeof(out)), -EINVAL);
	out = in;
	out.eci.engine_instance = 1;
	KUNIT_EXPECT_EQ(test, dev_query_in(gk, DRM_XE_DEVICE_QUERY_ENGINE_CYCLES,
					   &out, sizeof(out)), -EINVAL);
	out = in;
	out.eci.engine_class = DRM_XE_ENGINE_CLASS_VM_BIND;
	KUNIT_EXPECT_EQ(test, dev_query_in(gk, DRM_XE_DEVICE_QUERY_ENGINE_CYCLES,
					   &out, sizeof(out)), -EINVAL);
	out = in;
	out.eci.gt_id = 1;
	KUNIT_EXPECT_EQ(test, dev_query_in(gk, DRM_XE_DEVICE_QUERY_ENGINE_CYCLES,
					   &out, sizeof(out)), -EINVAL);
	KUNIT_EXPECT_EQ(test, dev_query_in(gk, DRM_XE_DEVICE_QUERY_ENGINE_CYCLES,
					   &in, sizeof(in) - 8), -EINVAL);

	/* Memory that cannot be read, or only read (zeros: render, REALTIME) */
	gk_mmap(gk, GK_BASE + PAGE_SIZE, PAGE_SIZE, PROT_READ);
	q.size = sizeof(in);
	q.data = GK_BASE + 2 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), -EFAULT);
	q.data = GK_BASE + PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), -EFAULT);
}

/*
 * UC_FW_VERSION: submission version 1.0.0, no HuC, reserved fields MBZ;
 * -EFAULT for memory it cannot read or write.
 */
static void vxe_device_query_uc_fw_version(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create_vram(test, NULL, 0);
	struct drm_xe_query_uc_fw_version in = {
		.uc_type = XE_QUERY_UC_TYPE_GUC_SUBMISSION,
	}, v;
	struct drm_xe_device_query q = {
		.query = DRM_XE_DEVICE_QUERY_UC_FW_VERSION, .size = sizeof(v),
	};

	gk_mmap(gk, GK_BASE, PAGE_SIZE, PROT_READ | PROT_WRITE);
	KUNIT_ASSERT_EQ(test, dev_query_in(gk, DRM_XE_DEVICE_QUERY_UC_FW_VERSION,
					   &in, sizeof(in)), 0);
	KUNIT_ASSERT_EQ(test, copy_from_user(&v, (void __user *)GK_BASE,
					     sizeof(v)), 0);
	KUNIT_EXPECT_EQ(test, v.major_ver, 1);
	KUNIT_EXPECT_EQ(test, v.minor_ver, 0);

	v = in;
	v.uc_type = XE_QUERY_UC_TYPE_HUC;
	KUNIT_EXPECT_EQ(test, dev_query_in(gk, DRM_XE_DEVICE_QUERY_UC_FW_VERSION,
					   &v, sizeof(v)), -ENODEV);
	v.uc_type = 7;
	KUNIT_EXPECT_EQ(test, dev_query_in(gk, DRM_XE_DEVICE_QUERY_UC_FW_VERSION,
					   &v, sizeof(v)), -EINVAL);
	v = in;
	v.pad = 1;
	KUNIT_EXPECT_EQ(test, dev_query_in(gk, DRM_XE_DEVICE_QUERY_UC_FW_VERSION,
					   &v, sizeof(v)), -EINVAL);
	v = in;
	v.pad2 = 1;
	KUNIT_EXPECT_EQ(test, dev_query_in(gk, DRM_XE_DEVICE_QUERY_UC_FW_VERSION,
					   &v, sizeof(v)), -EINVAL);
	v = in;
	v.reserved = 1;
	KUNIT_EXPECT_EQ(test, dev_query_in(gk, DRM_XE_DEVICE_QUERY_UC_FW_VERSION,
					   &v, sizeof(v)), -EINVAL);

	/* Memory that cannot be read, or only read (zeros: the GuC) */
	gk_mmap(gk, GK_BASE + PAGE_SIZE, PAGE_SIZE, PROT_READ);
	q.data = GK_BASE + 2 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), -EFAULT);
	q.data = GK_BASE + PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), -EFAULT);
}

/*
 * PXP_STATUS answers the size probe and then -ENODEV (no PXP), as Xe;
 * EU_STALL is -ENODEV at once.
 */
static void vxe_device_query_not_supported(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create_vram(test, NULL, 0);
	struct drm_xe_device_query q = { .query = DRM_XE_DEVICE_QUERY_PXP_STATUS };

	gk_mmap(gk, GK_BASE, PAGE_SIZE, PROT_READ | PROT_WRITE);
	KUNIT_ASSERT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), 0);
	KUNIT_EXPECT_EQ(test, q.size, sizeof(struct drm_xe_query_pxp_status));
	q.data = GK_BASE;
	KUNIT_EXPECT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), -ENODEV);
	q.size = 4;
	KUNIT_EXPECT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), -EINVAL);
	q = (struct drm_xe_device_query){ .query = DRM_XE_DEVICE_QUERY_EU_STALL };
	KUNIT_EXPECT_EQ(test, vxe_query_ioctl(&gk->vxe->drm, &q, NULL), -ENODEV);
}

static struct kunit_case vxe_device_cases[] = {
	KUNIT_CASE(vxe_device_platform_bind),
	KUNIT_CASE(vxe_device_query_without_vram),
	KUNIT_CASE(vxe_device_query_with_vram),
	KUNIT_CASE(vxe_device_parse_engines),
	KUNIT_CASE(vxe_device_query_gt_topology),
	KUNIT_CASE(vxe_device_query_engine_cycles),
	KUNIT_CASE(vxe_device_query_uc_fw_version),
	KUNIT_CASE(vxe_device_query_not_supported),
	{}
};

static struct kunit_suite vxe_device_suite = {
	.name = "vxe_device",
	.test_cases = vxe_device_cases,
};

kunit_test_suites(&vxe_device_suite);
