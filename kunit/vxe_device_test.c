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
#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "vxe_device.h"

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

static struct kunit_case vxe_device_cases[] = {
	KUNIT_CASE(vxe_device_platform_bind),
	{}
};

static struct kunit_suite vxe_device_suite = {
	.name = "vxe_device",
	.test_cases = vxe_device_cases,
};

kunit_test_suites(&vxe_device_suite);
