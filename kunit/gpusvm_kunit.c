// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Shared fixture of the drm_gpusvm and vxe SVM KUnit suites.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/device.h>
#include <kunit/static_stub.h>
#include <linux/hash.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/tlb.h>
#include <drm/xe_drm.h>

#include "drm_gpusvm_mock.h"
#include "gpusvm_kunit.h"

/* A page below every test mapping, only to give the test thread an mm. */
#define GK_SENTINEL	0x20000000UL

static void gk_vm_release(void *data)
{
	struct gpusvm_kunit *gk = data;

	vxe_vm_destroy(gk->vm);
	gk->vm = NULL;
}

/**
 * gk_require_vram() - skip a test that needs VRAM where vxe can have none
 * @test: the test
 *
 * vxe's VRAM is ZONE_DEVICE memory: without CONFIG_DEVICE_PRIVATE (UML)
 * the test is skipped.  Fit for a suite's .init.
 *
 * Return: 0.
 */
int gk_require_vram(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_DEVICE_PRIVATE))
		kunit_skip(test, "VRAM needs CONFIG_DEVICE_PRIVATE (ZONE_DEVICE)");
	return 0;
}

/**
 * gk_create_vram() - a vxe device with VRAM and a VM mirroring the test's mm
 * @test: the test
 * @cfg: the VM's SVM configuration, or NULL for vxe's default
 * @vram_size: bytes of VRAM; 0 for none
 *
 * Return: the fixture (the test is aborted on failure).
 */
struct gpusvm_kunit *gk_create_vram(struct kunit *test,
				    const struct vxe_svm_config *cfg,
				    u64 vram_size)
{
	struct gpusvm_kunit *gk;
	struct device *dev;

	gk = kunit_kzalloc(test, sizeof(*gk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, gk);
	gk->test = test;

	/* The first kunit_vm_mmap() attaches a fresh mm to this thread. */
	KUNIT_ASSERT_EQ(test, kunit_vm_mmap(test, NULL, GK_SENTINEL, PAGE_SIZE,
					    PROT_READ,
					    MAP_PRIVATE | MAP_ANONYMOUS |
					    MAP_FIXED_NOREPLACE, 0),
			GK_SENTINEL);

	dev = kunit_device_register(test, "vxe-kunit");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	gk->vxe = vxe_device_create(dev, vram_size);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, gk->vxe);

	gk->notifiers0 = vxe_svm_nr_notifiers();
	gk->vm = vxe_vm_create(gk->vxe, current->mm, cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, gk->vm);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gk_vm_release, gk), 0);
	return gk;
}

/**
 * gk_create() - a vxe device without VRAM and a VM mirroring the test's mm
 * @test: the test
 * @cfg: the VM's SVM configuration, or NULL for vxe's default
 *
 * Return: the fixture (the test is aborted on failure).
 */
struct gpusvm_kunit *gk_create(struct kunit *test,
			       const struct vxe_svm_config *cfg)
{
	return gk_create_vram(test, cfg, 0);
}

/**
 * gk_destroy_vm() - destroy the fixture's VM now
 * @gk: the fixture
 */
void gk_destroy_vm(struct gpusvm_kunit *gk)
{
	kunit_release_action(gk->test, gk_vm_release, gk);
}

/**
 * gk_mmap() - map anonymous private memory at a fixed address
 * @gk: the fixture
 * @addr: the address
 * @len: the length
 * @prot: PROT_* bits
 *
 * Return: @addr (the test is aborted on failure).
 */
unsigned long gk_mmap(struct gpusvm_kunit *gk, unsigned long addr,
		      unsigned long len, unsigned long prot)
{
	return gm_mmap(gk->test, addr, len, prot);
}

/**
 * gk_munmap() - munmap(2) from the test thread
 * @gk: the fixture
 * @addr: start
 * @len: length
 */
void gk_munmap(struct gpusvm_kunit *gk, unsigned long addr, unsigned long len)
{
	gm_munmap(gk->test, addr, len);
}

/**
 * gk_zap() - madvise(MADV_DONTNEED) from the test thread
 * @gk: the fixture
 * @addr: start, inside one VMA
 * @len: length
 *
 * Drops the pages as MADV_DONTNEED does (zap_page_range_single(): an
 * %MMU_NOTIFY_CLEAR invalidation); the next touch gets fresh zero pages.
 */
void gk_zap(struct gpusvm_kunit *gk, unsigned long addr, unsigned long len)
{
	gm_zap(gk->test, addr, len);
}

/**
 * gk_mprotect() - mprotect(2) from the test thread
 * @gk: the fixture
 * @addr: start, page aligned
 * @len: length, page aligned
 * @prot: new PROT_* bits
 *
 * Does what the system call does for anonymous memory: mprotect_fixup()
 * on each VMA of the range, under the mmap write lock.
 *
 * Return: 0 or a negative errno.
 */
int gk_mprotect(struct gpusvm_kunit *gk, unsigned long addr,
		unsigned long len, unsigned long prot)
{
	struct mm_struct *mm = current->mm;
	unsigned long end = addr + len;
	struct vm_area_struct *vma, *prev;
	struct vma_iterator vmi;
	struct mmu_gather tlb;
	int err = 0;

	vma_iter_init(&vmi, mm, addr);

	mmap_write_lock(mm);
	vma = vma_find(&vmi, end);
	if (!vma || vma->vm_start > addr) {
		err = -ENOMEM;
		goto out;
	}
	prev = vma_prev(&vmi);
	if (addr > vma->vm_start)
		prev = vma;

	tlb_gather_mmu(&tlb, mm);
	for_each_vma_range(vmi, vma, end) {
		unsigned long newflags = (vma->vm_flags &
					  ~(VM_READ | VM_WRITE | VM_EXEC)) |
					 calc_vm_prot_bits(prot, 0);

		err = mprotect_fixup(&vmi, &tlb, vma, &prev,
				     max(addr, vma->vm_start),
				     min(end, vma->vm_end), newflags);
		if (err)
			break;
	}
	tlb_finish_mmu(&tlb);
out:
	mmap_write_unlock(mm);
	return err;
}

/**
 * gk_madvise() - madvise(2) from the test thread
 * @gk: the fixture
 * @addr: start
 * @len: length
 * @advice: MADV_*
 */
void gk_madvise(struct gpusvm_kunit *gk, unsigned long addr,
		unsigned long len, int advice)
{
	gm_madvise(gk->test, addr, len, advice);
}

/**
 * gk_flush_gc() - wait for the garbage collector's queued work
 * @gk: the fixture
 */
void gk_flush_gc(struct gpusvm_kunit *gk)
{
	flush_workqueue(gk->vxe->wq);
}

/**
 * gk_pattern() - the data a test expects at an address
 * @addr: the address of a 32-bit word
 * @seed: the test's seed
 *
 * Return: gm_pattern(): the pattern of the library's suites.
 */
u32 gk_pattern(unsigned long addr, u32 seed)
{
	return gm_pattern(addr, seed);
}

/**
 * gk_cpu_fill() - the CPU writes the pattern
 * @gk: the fixture
 * @addr: start, 4-byte aligned
 * @len: length, a multiple of 4
 * @seed: the pattern's seed
 */
void gk_cpu_fill(struct gpusvm_kunit *gk, unsigned long addr,
		 unsigned long len, u32 seed)
{
	gm_cpu_fill(gk->test, addr, len, seed);
}

/**
 * gk_cpu_check() - the CPU reads and compares with the pattern
 * @gk: the fixture
 * @addr: start, 4-byte aligned
 * @len: length, a multiple of 4
 * @seed: the pattern's seed
 *
 * Return: the number of 32-bit words that differ.
 */
unsigned long gk_cpu_check(struct gpusvm_kunit *gk, unsigned long addr,
			   unsigned long len, u32 seed)
{
	return gm_cpu_check(gk->test, addr, len, seed);
}

/**
 * gk_gpu_fill() - the GPU writes the pattern
 * @gk: the fixture
 * @addr: start, 4-byte aligned
 * @len: length, a multiple of 4
 * @seed: the pattern's seed
 *
 * Return: 0 or the error of vxe_gpu_access().
 */
int gk_gpu_fill(struct gpusvm_kunit *gk, unsigned long addr,
		unsigned long len, u32 seed)
{
	u32 *buf = kunit_kmalloc(gk->test, PAGE_SIZE, GFP_KERNEL);
	unsigned long n;
	int err = 0;

	KUNIT_ASSERT_NOT_NULL(gk->test, buf);
	for (; len && !err; addr += n, len -= n) {
		n = min(len, PAGE_SIZE - offset_in_page(addr));
		gm_pattern_fill(buf, addr, n, seed);
		err = vxe_gpu_access(gk->vm, addr, buf, n, true);
	}
	kunit_kfree(gk->test, buf);
	return err;
}

/**
 * gk_gpu_check() - the GPU reads and compares with the pattern
 * @gk: the fixture
 * @addr: start, 4-byte aligned
 * @len: length, a multiple of 4
 * @seed: the pattern's seed
 * @bad: the number of 32-bit words that differ
 *
 * Return: 0 or the error of vxe_gpu_access().
 */
int gk_gpu_check(struct gpusvm_kunit *gk, unsigned long addr,
		 unsigned long len, u32 seed, unsigned long *bad)
{
	u32 *buf = kunit_kmalloc(gk->test, PAGE_SIZE, GFP_KERNEL);
	unsigned long n;
	int err = 0;

	KUNIT_ASSERT_NOT_NULL(gk->test, buf);
	*bad = 0;
	for (; len && !err; addr += n, len -= n) {
		n = min(len, PAGE_SIZE - offset_in_page(addr));
		err = vxe_gpu_access(gk->vm, addr, buf, n, false);
		if (!err)
			*bad += gm_pattern_bad(buf, addr, n, seed);
	}
	kunit_kfree(gk->test, buf);
	return err;
}

/**
 * gk_fault_range() - drm_gpusvm_range_find_or_insert() under the VM lock
 * @gk: the fixture
 * @addr: the faulting address
 * @win_start: start of the GPU VA window
 * @win_end: end of the GPU VA window
 * @ctx: the context, or NULL for an all-zero one
 *
 * Return: what drm_gpusvm_range_find_or_insert() returns.
 */
struct drm_gpusvm_range *gk_fault_range(struct gpusvm_kunit *gk,
					unsigned long addr,
					unsigned long win_start,
					unsigned long win_end,
					const struct drm_gpusvm_ctx *ctx)
{
	static const struct drm_gpusvm_ctx zero;
	struct drm_gpusvm_range *r;

	mutex_lock(&gk->vm->lock);
	r = drm_gpusvm_range_find_or_insert(&gk->vm->svm.gpusvm, addr,
					    win_start, win_end, ctx ?: &zero);
	mutex_unlock(&gk->vm->lock);
	return r;
}

/**
 * gk_get_pages() - drm_gpusvm_get_pages() of a range, under the VM lock
 * @gk: the fixture
 * @r: a range of the fixture's VM
 * @ctx: the context, or NULL for an all-zero one
 *
 * Return: what drm_gpusvm_get_pages() returns.
 */
int gk_get_pages(struct gpusvm_kunit *gk, struct drm_gpusvm_range *r,
		 const struct drm_gpusvm_ctx *ctx)
{
	static const struct drm_gpusvm_ctx zero;
	int err;

	mutex_lock(&gk->vm->lock);
	err = drm_gpusvm_get_pages(&gk->vm->svm.gpusvm,
				   &to_vxe_svm_range(r)->pages,
				   gk->vm->svm.gpusvm.mm, &r->notifier->notifier,
				   drm_gpusvm_range_start(r),
				   drm_gpusvm_range_end(r), ctx ?: &zero);
	mutex_unlock(&gk->vm->lock);
	return err;
}

/**
 * gk_pages_valid() - are a range's pages valid (a hint)?
 * @gk: the fixture
 * @r: a range of the fixture's VM
 *
 * Return: drm_gpusvm_pages_valid() of its pages, under the notifier lock.
 */
bool gk_pages_valid(struct gpusvm_kunit *gk, struct drm_gpusvm_range *r)
{
	bool valid;

	drm_gpusvm_notifier_lock(&gk->vm->svm.gpusvm);
	valid = drm_gpusvm_pages_valid(&gk->vm->svm.gpusvm,
				       &to_vxe_svm_range(r)->pages);
	drm_gpusvm_notifier_unlock(&gk->vm->svm.gpusvm);
	return valid;
}

/**
 * gk_find_range() - the range containing an address, if any
 * @gk: the fixture
 * @addr: the address
 *
 * Return: the range or NULL.
 */
struct drm_gpusvm_range *gk_find_range(struct gpusvm_kunit *gk,
				       unsigned long addr)
{
	struct drm_gpusvm_notifier *notifier;
	struct drm_gpusvm_range *r = NULL;

	mutex_lock(&gk->vm->lock);
	notifier = drm_gpusvm_notifier_find(&gk->vm->svm.gpusvm, addr, addr + 1);
	if (notifier)
		r = drm_gpusvm_range_find(notifier, addr, addr + 1);
	mutex_unlock(&gk->vm->lock);
	return r;
}

/**
 * gk_count_notifiers() - the notifiers of the fixture's VM
 * @gk: the fixture
 *
 * Return: how many there are.
 */
unsigned int gk_count_notifiers(struct gpusvm_kunit *gk)
{
	struct drm_gpusvm_notifier *notifier;
	unsigned int n = 0;

	mutex_lock(&gk->vm->lock);
	drm_gpusvm_for_each_notifier(notifier, &gk->vm->svm.gpusvm, 0, ULONG_MAX)
		n++;
	mutex_unlock(&gk->vm->lock);
	return n;
}

/* Count the VM's ranges, or only those whose pages are DMA-mapped. */
static unsigned int gk_walk_ranges(struct gpusvm_kunit *gk, bool mapped_only)
{
	struct drm_gpusvm_notifier *notifier;
	unsigned int n = 0;

	mutex_lock(&gk->vm->lock);
	drm_gpusvm_notifier_lock(&gk->vm->svm.gpusvm);
	drm_gpusvm_for_each_notifier(notifier, &gk->vm->svm.gpusvm, 0, ULONG_MAX) {
		struct drm_gpusvm_range *r = NULL;

		drm_gpusvm_for_each_range(r, notifier, 0, ULONG_MAX)
			n += !mapped_only ||
			     to_vxe_svm_range(r)->pages.flags.has_dma_mapping;
	}
	drm_gpusvm_notifier_unlock(&gk->vm->svm.gpusvm);
	mutex_unlock(&gk->vm->lock);
	return n;
}

/**
 * gk_count_mapped_ranges() - the ranges whose pages are DMA-mapped
 * @gk: the fixture
 *
 * Return: how many there are.
 */
unsigned int gk_count_mapped_ranges(struct gpusvm_kunit *gk)
{
	return gk_walk_ranges(gk, true);
}

/**
 * gk_count_ranges() - the ranges of the fixture's VM
 * @gk: the fixture
 *
 * Return: how many there are.
 */
unsigned int gk_count_ranges(struct gpusvm_kunit *gk)
{
	return gk_walk_ranges(gk, false);
}

/**
 * gk_mirror() - the CPU-address mirror VMA of the fixture's VM at an address
 * @gk: the fixture
 * @addr: the address
 *
 * Return: the VMA (the test is aborted when there is none).
 */
struct vxe_vma *gk_mirror(struct gpusvm_kunit *gk, unsigned long addr)
{
	struct drm_gpuva *va = drm_gpuva_find_first(&gk->vm->gpuvm, addr, 1);

	KUNIT_ASSERT_NOT_NULL(gk->test, va);
	KUNIT_ASSERT_TRUE(gk->test, vxe_vma_is_mirror(to_vxe_vma(va)));
	return to_vxe_vma(va);
}

/**
 * gk_bind_precheck() - what a bind job checks in the ioctl, for one
 *	operation without a BO
 * @gk: the fixture
 * @op: %DRM_XE_VM_BIND_OP_*
 * @flags: %DRM_XE_VM_BIND_FLAG_*
 * @addr: GPU address
 * @range: size in bytes
 * @uaddr: CPU address of a MAP_USERPTR (its obj_offset)
 *
 * Return: vxe_vm_bind_precheck() of the operation, under the VM lock.
 */
int gk_bind_precheck(struct gpusvm_kunit *gk, u32 op, u32 flags, u64 addr,
		     u64 range, u64 uaddr)
{
	struct drm_xe_vm_bind_op b = {
		.op = op, .flags = flags, .obj_offset = uaddr,
		.addr = addr, .range = range, .pat_index = 2,
	};
	struct drm_gem_object *obj = NULL;
	int err;

	mutex_lock(&gk->vm->lock);
	err = vxe_vm_bind_precheck(gk->vm, &b, &obj, 1);
	mutex_unlock(&gk->vm->lock);
	return err;
}

/**
 * gk_get_page() - reference the page the test's mm maps at an address
 * @gk: the fixture
 * @addr: the address
 *
 * Keeps the page allocated after the process lets go of it, so that a GPU
 * access through a stale translation reads it safely.  put_page() it.
 *
 * Return: the page (the test is aborted when there is none).
 */
struct page *gk_get_page(struct gpusvm_kunit *gk, unsigned long addr)
{
	struct page *page;
	long n;

	mmap_read_lock(current->mm);
	n = get_user_pages_remote(current->mm, addr, 1, 0, &page, NULL);
	mmap_read_unlock(current->mm);
	KUNIT_ASSERT_EQ(gk->test, n, 1);
	return page;
}

/* Stands in for vxe_vm_tlb_invalidate(): forgets to invalidate. */
static int gk_no_tlb_invalidate(struct vxe_vm *vm, u64 start, u64 end)
{
	return 0;
}

/**
 * gk_forget_tlb_invalidations() - make vxe_vm_tlb_invalidate() do nothing
 * @gk: the fixture
 *
 * Until kunit_deactivate_static_stub(test, vxe_vm_tlb_invalidate) or the
 * end of the test: what a driver that forgets the TLB flush would do.
 */
void gk_forget_tlb_invalidations(struct gpusvm_kunit *gk)
{
	kunit_activate_static_stub(gk->test, vxe_vm_tlb_invalidate,
				   gk_no_tlb_invalidate);
}
