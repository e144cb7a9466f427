/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_INJECT_H_
#define _VXE_INJECT_H_

#include <linux/atomic.h>
#include <linux/types.h>

/**
 * enum vxe_inject_site - backend operations that can be made to fail
 * @VXE_INJECT_PT_ALLOC: allocation of a page-table node
 * @VXE_INJECT_PT_BIND: writing leaf entries into the page tables
 * @VXE_INJECT_TLB_INVAL: a TLB invalidation request
 * @VXE_INJECT_COPY: a copy-engine job (system memory <-> VRAM)
 * @VXE_INJECT_VRAM_ALLOC: an allocation of VRAM for SVM
 * @VXE_INJECT_NR: number of sites
 *
 * Every operation of the mock backend that can fail on real hardware (or
 * in the kernel code it stands for) calls vxe_inject_check() with its site
 * first, so that tests can make exactly that step fail.
 */
enum vxe_inject_site {
	VXE_INJECT_PT_ALLOC,
	VXE_INJECT_PT_BIND,
	VXE_INJECT_TLB_INVAL,
	VXE_INJECT_COPY,
	VXE_INJECT_VRAM_ALLOC,
	VXE_INJECT_NR
};

/**
 * struct vxe_inject - counter-based fault injector
 * @skip: per site, how many more calls succeed before failures start
 * @times: per site, how many calls fail once they start (negative: every call)
 * @err: per site, the negative errno a failing call returns
 * @hits: per site, how many calls have been failed so far
 *
 * The counters are atomics, so the injector needs no lock and works from any
 * context, including workers and MMU notifier callbacks: a test arms a site
 * from its own thread and the failure happens wherever the operation runs.
 * An all-zero &struct vxe_inject injects nothing.
 */
struct vxe_inject {
	atomic_t skip[VXE_INJECT_NR];
	atomic_t times[VXE_INJECT_NR];
	int err[VXE_INJECT_NR];
	atomic_t hits[VXE_INJECT_NR];
};

void vxe_inject_arm(struct vxe_inject *inj, enum vxe_inject_site site,
		    unsigned int skip, int times, int err);
void vxe_inject_disarm(struct vxe_inject *inj, enum vxe_inject_site site);
int vxe_inject_check(struct vxe_inject *inj, enum vxe_inject_site site);
const char *vxe_inject_site_name(enum vxe_inject_site site);

/**
 * vxe_inject_hits() - how many calls at a site have been failed
 * @inj: the injector (may be NULL)
 * @site: the site
 *
 * Return: the number of injected failures since the site was last armed.
 */
static inline unsigned int vxe_inject_hits(struct vxe_inject *inj,
					   enum vxe_inject_site site)
{
	return inj ? atomic_read(&inj->hits[site]) : 0;
}

#endif
