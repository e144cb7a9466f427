/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_VM_H_
#define _VXE_VM_H_

#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <drm/drm_gpusvm.h>

#include "vxe_pt.h"

struct drm_device;
struct drm_file;
struct mm_struct;
struct vxe_device;

/* VM modes, as DRM_IOCTL_XE_VM_CREATE sets them */
#define VXE_VM_LR_MODE		BIT(0)
#define VXE_VM_FAULT_MODE	BIT(1)
#define VXE_VM_SCRATCH_PAGE	BIT(2)

/**
 * struct vxe_svm_config - how a VM mirrors the CPU address space
 * @chunk_sizes: range sizes, descending powers of two ending in PAGE_SIZE
 * @num_chunks: number of @chunk_sizes
 * @notifier_size: size of one notifier's window
 * @check_pages_threshold: see &drm_gpusvm_ctx.check_pages_threshold
 * @mirror_start: start of the GPU VA window mirroring the CPU
 * @mirror_end: end of that window (exclusive)
 */
struct vxe_svm_config {
	const unsigned long *chunk_sizes;
	int num_chunks;
	unsigned long notifier_size;
	unsigned long check_pages_threshold;
	u64 mirror_start;
	u64 mirror_end;
};

/**
 * struct vxe_vm_stats - what a VM's SVM did (atomic counters)
 * @faults: GPU page faults handled
 * @fault_retries: faults that had to start over (pages invalidated before
 *	the commit)
 * @fault_errors: faults that failed
 * @invalidations: invalidation callbacks
 * @ranges_zapped: ranges whose GPU mappings an invalidation zapped
 * @tlb_invalidations: TLB invalidations issued
 * @tlb_inval_failures: TLB invalidation attempts that failed
 * @gc_removed: ranges removed by the garbage collector
 */
struct vxe_vm_stats {
	atomic_t faults;
	atomic_t fault_retries;
	atomic_t fault_errors;
	atomic_t invalidations;
	atomic_t ranges_zapped;
	atomic_t tlb_invalidations;
	atomic_t tlb_inval_failures;
	atomic_t gc_removed;
};

/**
 * struct vxe_vm - a GPU VM of the virtual Xe
 * @vxe: the device
 * @lock: the VM lock: faults, range insertion and removal, garbage
 *	collection.  Outside the drm_gpusvm notifier lock and the mmap lock.
 * @pt: the GPU page tables and TLB
 * @svm: shared virtual memory state
 * @svm.gpusvm: the drm_gpusvm mirroring the process
 * @svm.cfg: the configuration it was created with
 * @svm.gc: the garbage collector of unmapped ranges
 * @svm.gc.lock: protects @svm.gc.ranges; taken in the invalidation
 *	callback, inside the notifier lock
 * @svm.gc.ranges: unmapped ranges waiting for removal
 * @svm.gc.work: the worker removing them
 * @flags: %VXE_VM_LR_MODE, %VXE_VM_FAULT_MODE, %VXE_VM_SCRATCH_PAGE (uAPI VM_CREATE)
 * @wedged: TLB invalidation failed for good: GPU accesses fail with -EIO
 * @stats: counters
 * @nr_ranges: live ranges (for leak checks)
 */
struct vxe_vm {
	struct vxe_device *vxe;
	struct mutex lock; /* the VM lock, see the kernel-doc above */
	struct vxe_pt pt;
	struct {
		struct drm_gpusvm gpusvm;
		struct vxe_svm_config cfg;
		struct {
			spinlock_t lock; /* protects ranges */
			struct list_head ranges;
			struct work_struct work;
		} gc;
	} svm;
	u32 flags;
	bool wedged;
	struct vxe_vm_stats stats;
	atomic_t nr_ranges;
};

/**
 * struct vxe_svm_range - a drm_gpusvm range of a vxe VM
 * @base: the drm_gpusvm range
 * @gc_link: link in &vxe_vm.svm.gc.ranges (protected by its lock)
 * @bound: the GPU page tables map the range (notifier lock)
 */
struct vxe_svm_range {
	struct drm_gpusvm_range base;
	struct list_head gc_link;
	bool bound;
};

/**
 * to_vxe_svm_range() - the vxe range of a drm_gpusvm range
 * @r: the drm_gpusvm range
 *
 * Return: the &struct vxe_svm_range embedding @r.
 */
static inline struct vxe_svm_range *to_vxe_svm_range(struct drm_gpusvm_range *r)
{
	return container_of(r, struct vxe_svm_range, base);
}

/**
 * gpusvm_to_vm() - the VM of a drm_gpusvm
 * @gpusvm: the drm_gpusvm
 *
 * Return: the &struct vxe_vm embedding @gpusvm.
 */
static inline struct vxe_vm *gpusvm_to_vm(struct drm_gpusvm *gpusvm)
{
	return container_of(gpusvm, struct vxe_vm, svm.gpusvm);
}

extern const struct vxe_svm_config vxe_svm_default_config;

struct vxe_vm *vxe_vm_create(struct vxe_device *vxe, struct mm_struct *mm,
			     const struct vxe_svm_config *cfg);
struct vxe_vm *vxe_vm_create_mode(struct vxe_device *vxe, u32 flags);
void vxe_vm_destroy(struct vxe_vm *vm);
int vxe_vm_create_ioctl(struct drm_device *dev, void *data,
			struct drm_file *file);
int vxe_vm_destroy_ioctl(struct drm_device *dev, void *data,
			 struct drm_file *file);
int vxe_gpu_access(struct vxe_vm *vm, u64 gva, void *buf, size_t len,
		   bool write);
int vxe_vm_tlb_invalidate(struct vxe_vm *vm, u64 start, u64 end);

int vxe_svm_init(struct vxe_vm *vm, struct mm_struct *mm);
void vxe_svm_close(struct vxe_vm *vm);
int vxe_svm_handle_fault(struct vxe_vm *vm, u64 addr);
void vxe_svm_garbage_collector(struct vxe_vm *vm);
int vxe_svm_nr_notifiers(void);

#endif
