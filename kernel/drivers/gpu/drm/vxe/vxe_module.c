// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/module.h>

#include "vxe_device.h"

static int __init vxe_init(void)
{
	return vxe_register_devices();
}

static void __exit vxe_exit(void)
{
	vxe_unregister_devices();
}

module_init(vxe_init);
module_exit(vxe_exit);

MODULE_DESCRIPTION("Virtual Xe: a mock Xe GPU for GPU SVM testing");
MODULE_LICENSE("Dual MIT/GPL");
