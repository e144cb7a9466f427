// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/module.h>

MODULE_DESCRIPTION("Virtual Xe: a mock Xe GPU for GPU SVM testing");
MODULE_LICENSE("Dual MIT/GPL");
