// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * The init and exit of vxe_ko.ko (ci/vxe-ko/Kbuild): vxe_module.c's, under
 * other names, since the test kernel boots with initcall_blacklist=vxe_init
 * to keep its built-in vxe idle, and that list applies to modules too.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/module.h>

#include "vxe_device.h"

static int __init vxe_ko_init(void)
{
	return vxe_register_devices();
}

static void __exit vxe_ko_exit(void)
{
	vxe_unregister_devices();
}

module_init(vxe_ko_init);
module_exit(vxe_ko_exit);

MODULE_DESCRIPTION("Virtual Xe, built as a module beside the built-in copy (tests)");
MODULE_LICENSE("Dual MIT/GPL");
