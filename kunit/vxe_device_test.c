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
#include <linux/sizes.h>
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

static struct kunit_case vxe_device_cases[] = {
	KUNIT_CASE(vxe_device_platform_bind),
	KUNIT_CASE(vxe_device_query_without_vram),
	KUNIT_CASE(vxe_device_query_with_vram),
	{}
};

static struct kunit_suite vxe_device_suite = {
	.name = "vxe_device",
	.test_cases = vxe_device_cases,
};

kunit_test_suites(&vxe_device_suite);
