// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <kunit/visibility.h>

#include "vxe_inject.h"

static const char *const vxe_inject_names[VXE_INJECT_NR] = {
	[VXE_INJECT_PT_ALLOC] = "pt_alloc",
	[VXE_INJECT_PT_BIND] = "pt_bind",
	[VXE_INJECT_TLB_INVAL] = "tlb_inval",
	[VXE_INJECT_COPY] = "copy",
	[VXE_INJECT_VRAM_ALLOC] = "vram_alloc",
};

/**
 * vxe_inject_site_name() - the name of an injection site
 * @site: the site
 *
 * Return: a short name for messages and debugfs, "?" for an unknown site.
 */
const char *vxe_inject_site_name(enum vxe_inject_site site)
{
	if (site >= VXE_INJECT_NR || !vxe_inject_names[site])
		return "?";
	return vxe_inject_names[site];
}
EXPORT_SYMBOL_IF_KUNIT(vxe_inject_site_name);

/**
 * vxe_inject_arm() - make calls at a site fail
 * @inj: the injector
 * @site: the site
 * @skip: how many calls succeed first
 * @times: how many calls then fail; negative for every call until disarmed
 * @err: the negative errno the failing calls return
 *
 * Resets the site's hit counter.
 */
void vxe_inject_arm(struct vxe_inject *inj, enum vxe_inject_site site,
		    unsigned int skip, int times, int err)
{
	if (WARN_ON(site >= VXE_INJECT_NR || err >= 0))
		return;
	atomic_set(&inj->times[site], 0);
	inj->err[site] = err;
	atomic_set(&inj->hits[site], 0);
	atomic_set(&inj->skip[site], skip);
	/* Publish err and skip before the site becomes active. */
	atomic_set_release(&inj->times[site], times);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_inject_arm);

/**
 * vxe_inject_disarm() - stop injecting failures at a site
 * @inj: the injector
 * @site: the site
 *
 * The hit counter is kept, so a test can still read it.
 */
void vxe_inject_disarm(struct vxe_inject *inj, enum vxe_inject_site site)
{
	if (WARN_ON(site >= VXE_INJECT_NR))
		return;
	atomic_set(&inj->times[site], 0);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_inject_disarm);

/**
 * vxe_inject_check() - the injection point of one operation
 * @inj: the injector, or NULL for none
 * @site: the operation's site
 *
 * Context: any; does not sleep.
 * Return: 0 when the operation should go ahead, or the armed negative errno
 * when it must fail.
 */
int vxe_inject_check(struct vxe_inject *inj, enum vxe_inject_site site)
{
	int times;

	if (!inj || site >= VXE_INJECT_NR)
		return 0;
	times = atomic_read_acquire(&inj->times[site]);
	if (!times)
		return 0;
	if (atomic_add_unless(&inj->skip[site], -1, 0))
		return 0;
	if (times > 0 && !atomic_add_unless(&inj->times[site], -1, 0))
		return 0;
	atomic_inc(&inj->hits[site]);
	return inj->err[site];
}
EXPORT_SYMBOL_IF_KUNIT(vxe_inject_check);
