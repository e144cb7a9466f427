/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Shared fixture of the drm_gpusvm and vxe SVM KUnit suites.
 *
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _GPUSVM_KUNIT_H_
#define _GPUSVM_KUNIT_H_

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/mman.h>

#include "vxe_device.h"
#include "vxe_vm.h"

/*
 * Each test case runs in a fresh KUnit thread with a fresh, empty mm (from
 * kunit_vm_mmap()), so tests place their mappings at fixed addresses and
 * the layout is the same on every run.
 */
#define GK_BASE		0x40000000UL	/* 1 GiB, 2M and 512M aligned */

/**
 * struct gpusvm_kunit - a virtual Xe device and one VM mirroring the test's mm
 * @test: the test
 * @vxe: the device (freed with the test's KUnit device)
 * @vm: the VM (destroyed by a KUnit action, or by gk_destroy_vm())
 * @notifiers0: vxe_svm_nr_notifiers() before the VM was created
 */
struct gpusvm_kunit {
	struct kunit *test;
	struct vxe_device *vxe;
	struct vxe_vm *vm;
	int notifiers0;
};

struct gpusvm_kunit *gk_create(struct kunit *test,
			       const struct vxe_svm_config *cfg);
int gk_require_vram(struct kunit *test);
struct gpusvm_kunit *gk_create_vram(struct kunit *test,
				    const struct vxe_svm_config *cfg,
				    u64 vram_size);
void gk_destroy_vm(struct gpusvm_kunit *gk);
unsigned long gk_mmap(struct gpusvm_kunit *gk, unsigned long addr,
		      unsigned long len, unsigned long prot);
void gk_munmap(struct gpusvm_kunit *gk, unsigned long addr, unsigned long len);
void gk_zap(struct gpusvm_kunit *gk, unsigned long addr, unsigned long len);
int gk_mprotect(struct gpusvm_kunit *gk, unsigned long addr,
		unsigned long len, unsigned long prot);
void gk_madvise(struct gpusvm_kunit *gk, unsigned long addr,
		unsigned long len, int advice);
void gk_flush_gc(struct gpusvm_kunit *gk);

u32 gk_pattern(unsigned long addr, u32 seed);
void gk_cpu_fill(struct gpusvm_kunit *gk, unsigned long addr,
		 unsigned long len, u32 seed);
unsigned long gk_cpu_check(struct gpusvm_kunit *gk, unsigned long addr,
			   unsigned long len, u32 seed);
int gk_gpu_fill(struct gpusvm_kunit *gk, unsigned long addr,
		unsigned long len, u32 seed);
int gk_gpu_check(struct gpusvm_kunit *gk, unsigned long addr,
		 unsigned long len, u32 seed, unsigned long *bad);

struct drm_gpusvm_range *gk_fault_range(struct gpusvm_kunit *gk,
					unsigned long addr,
					unsigned long win_start,
					unsigned long win_end,
					const struct drm_gpusvm_ctx *ctx);
struct drm_gpusvm_range *gk_find_range(struct gpusvm_kunit *gk,
				       unsigned long addr);
int gk_get_pages(struct gpusvm_kunit *gk, struct drm_gpusvm_range *r,
		 const struct drm_gpusvm_ctx *ctx);
bool gk_pages_valid(struct gpusvm_kunit *gk, struct drm_gpusvm_range *r);
unsigned int gk_count_notifiers(struct gpusvm_kunit *gk);
unsigned int gk_count_ranges(struct gpusvm_kunit *gk);
unsigned int gk_count_mapped_ranges(struct gpusvm_kunit *gk);
struct vxe_vma *gk_mirror(struct gpusvm_kunit *gk, unsigned long addr);
int gk_bind_precheck(struct gpusvm_kunit *gk, u32 op, u32 flags, u64 addr,
		     u64 range, u64 uaddr);
struct page *gk_get_page(struct gpusvm_kunit *gk, unsigned long addr);
void gk_forget_tlb_invalidations(struct gpusvm_kunit *gk);

#endif
