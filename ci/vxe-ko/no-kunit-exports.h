/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Included first in every file of vxe.ko (ci/vxe-ko/Kbuild): the built-in
 * vxe of the same kernel exports these symbols for its KUnit suites, so
 * the module copy does not.  The include guard of kunit/visibility.h keeps
 * this definition when the sources include it again.
 */
#include <kunit/visibility.h>
#undef EXPORT_SYMBOL_IF_KUNIT
#define EXPORT_SYMBOL_IF_KUNIT(symbol)
