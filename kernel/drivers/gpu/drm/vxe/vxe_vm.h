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
#include <drm/drm_gpuvm.h>
#include <drm/drm_pagemap_util.h>

#include "vxe_pt.h"
#include "vxe_vm_fault.h"

struct dma_fence;
struct drm_device;
struct drm_exec;
struct drm_file;
struct mm_struct;
struct vxe_bo;
struct vxe_device;
struct vxe_file;
struct vxe_userptr;

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
 * @vram_pages: pages migrated to VRAM
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
	atomic_t vram_pages;
};

/**
 * struct vxe_vm - a GPU VM of the virtual Xe
 * @gpuvm: the GPU VA space: its VMAs (BO bindings and CPU-address mirrors),
 *	its reservation object, and the reference count of the VM
 * @vxe: the device
 * @lock: the VM lock: VM_BIND, faults, range insertion and removal,
 *	garbage collection, close.  Outside the reservation locks of BOs (and
 *	of the VM), the drm_gpusvm notifier lock and the mmap lock.
 * @pt: the GPU page tables and TLB
 * @svm: shared virtual memory state
 * @svm.gpusvm: the drm_gpusvm mirroring the process (fault mode); in the
 *	other modes one without mm, for the pages of userptrs.  Its notifier
 *	lock is also the userptr notifier lock: the pages of the userptr
 *	VMAs and their page-table entries.  Inside @lock.
 * @svm.cfg: the configuration it was created with
 * @svm.dpagemap: (fault mode, with VRAM) the pagemap of the device's VRAM,
 *	referenced: where ranges migrate to
 * @svm.peer: (fault mode) the VM in its device's interconnect group
 *	(vxe_vram_acquire_owner()); its owner (vxe_svm_owner(), NULL in the
 *	other modes) owns the device pages the VM's SVM ranges map in place
 * @svm.gc: the garbage collector of unmapped ranges
 * @svm.gc.lock: protects @svm.gc.ranges; taken in the invalidation
 *	callback, inside the notifier lock
 * @svm.gc.ranges: unmapped ranges waiting for removal
 * @svm.gc.work: the worker removing them
 * @flags: %VXE_VM_LR_MODE, %VXE_VM_FAULT_MODE, %VXE_VM_SCRATCH_PAGE (uAPI VM_CREATE)
 * @wedged: TLB invalidation failed for good: GPU accesses fail with -EIO
 * @closed: destroyed by userspace (or its file closed): no more binds,
 *	GPU accesses fail with -EIO.  Set under @lock.
 * @userptr_invalidated: userptrs of a VM with dma-fence jobs (neither LR
 *	nor fault mode) invalidated since they were bound: the next EXEC
 *	binds them again (the notifier lock of @svm.gpusvm)
 * @stats: counters
 * @nr_ranges: live ranges (for leak checks)
 * @faults: the GPU page faults that failed, for DRM_IOCTL_XE_VM_GET_PROPERTY
 *	(vxe_vm_fault.c; its lock is taken alone)
 * @link: in &vxe_device.vms (its vms_lock)
 * @bind: bind jobs (see vxe_bind_job.c); all under @lock
 * @bind.jobs: bind jobs of the VM not done yet (&vxe_bind_job.link)
 * @bind.last_fence: fence of the last job of the VM's default bind queue
 *	(VM_BIND with no exec queue), or NULL; a reference
 * @bind.fence_context: the default bind queue's dma_fence context
 * @bind.seqno: its last job's sequence number
 */
struct vxe_vm {
	struct drm_gpuvm gpuvm;
	struct vxe_device *vxe;
	struct mutex lock; /* the VM lock, see the kernel-doc above */
	struct vxe_pt pt;
	struct {
		struct drm_gpusvm gpusvm;
		struct vxe_svm_config cfg;
		struct drm_pagemap *dpagemap;
		struct drm_pagemap_peer peer;
		struct {
			spinlock_t lock; /* protects ranges */
			struct list_head ranges;
			struct work_struct work;
		} gc;
	} svm;
	u32 flags;
	struct list_head userptr_invalidated;
	bool wedged;
	bool closed;
	struct vxe_vm_stats stats;
	atomic_t nr_ranges;
	struct vxe_vm_faults faults;
	struct list_head link;
	struct {
		struct list_head jobs;
		struct dma_fence *last_fence;
		u64 fence_context;
		u64 seqno;
	} bind;
};

/**
 * struct vxe_svm_range - a drm_gpusvm range of a vxe VM
 * @base: the drm_gpusvm range
 * @pages: its pages, mapped for the device
 * @gc_link: link in &vxe_vm.svm.gc.ranges (protected by its lock)
 * @bound: the GPU page tables map the range (notifier lock; set only with
 *	the VM lock held too, so the VM lock holder may read false without it)
 * @skip_migrate: the range went to VRAM once; GPU faults leave it where it
 *	is from now on (unless always_migrate_to_vram) (VM lock)
 */
struct vxe_svm_range {
	struct drm_gpusvm_range base;
	struct drm_gpusvm_pages pages;
	struct list_head gc_link;
	bool bound;
	bool skip_migrate;
};

/**
 * enum vxe_svm_place - where a GPU fault or a prefetch puts a range
 * @VXE_SVM_PLACE_ANY: where its pages are
 * @VXE_SVM_PLACE_FAULT: VRAM the first time (every time with the
 *	always_migrate_to_vram module parameter)
 * @VXE_SVM_PLACE_VRAM: VRAM
 * @VXE_SVM_PLACE_SYS: system memory
 */
enum vxe_svm_place {
	VXE_SVM_PLACE_ANY,
	VXE_SVM_PLACE_FAULT,
	VXE_SVM_PLACE_VRAM,
	VXE_SVM_PLACE_SYS,
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

/* VMA flags, in the driver bits of &drm_gpuva.flags */
#define VXE_VMA_CPU_ADDR_MIRROR	(DRM_GPUVA_USERBITS << 0)
#define VXE_VMA_READ_ONLY	(DRM_GPUVA_USERBITS << 1)
#define VXE_VMA_USERPTR		(DRM_GPUVA_USERBITS << 2)
#define VXE_VMA_NULL		(DRM_GPUVA_USERBITS << 3)

/**
 * struct vxe_vma_attr - memory attributes of a VMA (MADVISE sets them)
 * @devmem_fd: preferred location: %DRM_XE_PREFERRED_LOC_DEFAULT_DEVICE,
 *	%DRM_XE_PREFERRED_LOC_DEFAULT_SYSTEM, or a device's fd (as MADVISE got
 *	it, for DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS)
 * @dpagemap: with a device's fd in @devmem_fd, the pagemap of the VRAM it
 *	named (this device's or a peer's on the interconnect), referenced by
 *	the VMA; NULL otherwise
 * @migration_policy: %DRM_XE_MIGRATE_ALL_PAGES or _ONLY_SYSTEM_PAGES
 * @atomic: %DRM_XE_ATOMIC_UNDEFINED, _DEVICE, _GLOBAL or _CPU
 * @pat_index: the PAT index in use
 * @default_pat_index: the PAT index it was bound with
 */
struct vxe_vma_attr {
	s32 devmem_fd;
	struct drm_pagemap *dpagemap;
	u16 migration_policy;
	u32 atomic;
	u16 pat_index;
	u16 default_pat_index;
};

/**
 * struct vxe_vma - a VMA of a vxe VM: a BO binding or a CPU-address mirror
 * @gpuva: the drm_gpuvm VMA (@gpuva.gem.obj is the BO, NULL for a mirror)
 * @attr: its memory attributes (the VM lock)
 * @userptr: (userptr VMAs) the process memory behind it
 * @bound: (all but mirrors) the GPU page tables map it.  Of a BO VMA:
 *	written under the VM lock and the BO's reservation lock, read under
 *	either.  Of a userptr VMA: under the notifier lock of
 *	&vxe_vm.svm.gpusvm.
 * @undo_link: (the VM lock) in the undo journal of the VM_BIND that
 *	inserted or removed it, until that ioctl commits or unwinds
 * @undo_vm_bo: (a removed BO VMA, while on @undo_link) its &drm_gpuvm_bo,
 *	referenced, so that linking it again allocates nothing
 * @undo_removed: on @undo_link as a removed VMA (to be put back), not as
 *	an inserted one (to be destroyed)
 */
struct vxe_vma {
	struct drm_gpuva gpuva;
	struct vxe_vma_attr attr;
	struct vxe_userptr *userptr;
	bool bound;
	struct list_head undo_link;
	struct drm_gpuvm_bo *undo_vm_bo;
	bool undo_removed;
};

/**
 * to_vxe_vma() - the vxe VMA of a drm_gpuva
 * @va: the drm_gpuva
 *
 * Return: the &struct vxe_vma embedding @va.
 */
static inline struct vxe_vma *to_vxe_vma(struct drm_gpuva *va)
{
	return container_of(va, struct vxe_vma, gpuva);
}

/**
 * vma_start() - first GPU virtual address of a VMA
 * @vma: the VMA
 *
 * Return: the address.
 */
static inline u64 vma_start(const struct vxe_vma *vma)
{
	return vma->gpuva.va.addr;
}

/**
 * vma_end() - end of a VMA (exclusive)
 * @vma: the VMA
 *
 * Return: the address.
 */
static inline u64 vma_end(const struct vxe_vma *vma)
{
	return vma->gpuva.va.addr + vma->gpuva.va.range;
}

/**
 * vxe_vma_is_mirror() - is a VMA a CPU-address mirror?
 * @vma: the VMA
 *
 * Return: true for a mirror (DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR), false
 * for a BO binding.
 */
static inline bool vxe_vma_is_mirror(const struct vxe_vma *vma)
{
	return vma->gpuva.flags & VXE_VMA_CPU_ADDR_MIRROR;
}

/**
 * vxe_vma_is_userptr() - is a VMA a userptr binding?
 * @vma: the VMA
 *
 * Return: true for a binding of process memory (MAP_USERPTR).
 */
static inline bool vxe_vma_is_userptr(const struct vxe_vma *vma)
{
	return vma->gpuva.flags & VXE_VMA_USERPTR;
}

/**
 * vxe_vma_is_null() - is a VMA a NULL (sparse) binding?
 * @vma: the VMA
 *
 * Return: true for a binding with no memory behind it
 * (%DRM_XE_VM_BIND_FLAG_NULL): reads give zeros, writes are dropped.
 */
static inline bool vxe_vma_is_null(const struct vxe_vma *vma)
{
	return vma->gpuva.flags & VXE_VMA_NULL;
}

/**
 * vxe_vm_get() - take a reference on a VM
 * @vm: the VM
 *
 * Return: @vm.
 */
static inline struct vxe_vm *vxe_vm_get(struct vxe_vm *vm)
{
	drm_gpuvm_get(&vm->gpuvm);
	return vm;
}

/**
 * vxe_vm_put() - drop a reference on a VM; the last one frees it
 * @vm: the VM
 */
static inline void vxe_vm_put(struct vxe_vm *vm)
{
	drm_gpuvm_put(&vm->gpuvm);
}

/**
 * vxe_vm_resv() - the reservation object of a VM
 * @vm: the VM
 *
 * Shared by the BOs private to the VM.
 *
 * Return: the &dma_resv.
 */
static inline struct dma_resv *vxe_vm_resv(struct vxe_vm *vm)
{
	return drm_gpuvm_resv(&vm->gpuvm);
}

extern const struct vxe_svm_config vxe_svm_default_config;

struct vxe_vm *vxe_vm_create(struct vxe_device *vxe, struct mm_struct *mm,
			     const struct vxe_svm_config *cfg);
struct vxe_vm *vxe_vm_create_mode(struct vxe_device *vxe, u32 flags);
void vxe_vm_close(struct vxe_vm *vm);
void vxe_vm_destroy(struct vxe_vm *vm);
struct vxe_vm *vxe_file_vm_get(struct vxe_file *vf, u32 id);
int vxe_vm_handle_fault(struct vxe_vm *vm, u64 addr, bool atomic);
int vxe_vm_bind_ioctl(struct drm_device *dev, void *data,
		      struct drm_file *file);
void vxe_vm_bo_invalidate(struct vxe_bo *bo);
int vxe_vm_bind_mirror(struct vxe_vm *vm, u64 start, u64 end);
int vxe_vma_bind_bo(struct vxe_vm *vm, struct vxe_vma *vma);
void vxe_vm_unbind_all(struct vxe_vm *vm);
int vxe_vm_madvise_ioctl(struct drm_device *dev, void *data,
			 struct drm_file *file);
int vxe_vm_query_mem_range_attrs_ioctl(struct drm_device *dev, void *data,
				       struct drm_file *file);
int vxe_vm_create_ioctl(struct drm_device *dev, void *data,
			struct drm_file *file);
int vxe_vm_destroy_ioctl(struct drm_device *dev, void *data,
			 struct drm_file *file);
int vxe_gpu_access_fn(struct vxe_vm *vm, u64 gva, void *buf, size_t len,
		      bool write, vxe_pt_copy_fn copy, void *priv);
int vxe_gpu_atomic_fn(struct vxe_vm *vm, u64 gva, void *buf, size_t len,
		      vxe_pt_copy_fn copy, void *priv);
int vxe_gpu_access(struct vxe_vm *vm, u64 gva, void *buf, size_t len,
		   bool write);
int vxe_vm_tlb_invalidate(struct vxe_vm *vm, u64 start, u64 end);

int vxe_vma_bind(struct vxe_vm *vm, struct vxe_vma *vma);
int vxe_vm_exec_lock(struct vxe_vm *vm, struct drm_exec *exec);
void vxe_vm_exec_add_fence(struct drm_exec *exec, struct dma_fence *fence);
void vxe_vm_exec_unlock(struct vxe_vm *vm, struct drm_exec *exec);
bool vxe_vm_validate_should_retry(int err, ktime_t *end);
void vxe_vma_zap_range(struct vxe_vm *vm, struct vxe_vma *vma, u64 start,
		       u64 end);
int vxe_userptr_check_mm(u64 uaddr, u64 size, bool write);
int vxe_userptr_create(struct vxe_vm *vm, struct vxe_vma *vma, u64 uaddr,
		       u64 size, bool populate);
void vxe_userptr_destroy(struct vxe_vm *vm, struct vxe_vma *vma);
void vxe_userptr_zap_vma(struct vxe_vm *vm, struct vxe_vma *vma);
int vxe_userptr_bind(struct vxe_vm *vm, struct vxe_vma *vma);
int vxe_userptr_bind_collected(struct vxe_vm *vm, struct vxe_vma *vma);
int vxe_userptr_repin(struct vxe_vm *vm);
bool vxe_userptr_exec_check(struct vxe_vm *vm);
void vxe_userptr_exec_unlock(struct vxe_vm *vm);

int vxe_svm_init(struct vxe_vm *vm, struct mm_struct *mm);
void *vxe_svm_owner(struct vxe_vm *vm);
void vxe_svm_close(struct vxe_vm *vm);
int vxe_svm_handle_fault(struct vxe_vm *vm, struct vxe_vma *vma, u64 addr,
			 bool atomic);
int vxe_svm_prefetch(struct vxe_vm *vm, struct vxe_vma *vma, u64 start,
		     u64 end, u32 region);
bool vxe_svm_has_mapping(struct vxe_vm *vm, u64 start, u64 end);
void vxe_svm_unmap_range(struct vxe_vm *vm, u64 start, u64 end);
void vxe_svm_zap_range(struct vxe_vm *vm, u64 start, u64 end);
void vxe_svm_garbage_collector(struct vxe_vm *vm);
int vxe_svm_nr_notifiers(void);
void vxe_svm_config_current(struct vxe_svm_config *cfg);

struct drm_xe_vm_bind_op;
struct drm_gem_object;
int vxe_vm_bind_ops(struct vxe_vm *vm, struct drm_xe_vm_bind_op *binds,
		    struct drm_gem_object **objs, u32 n);
int vxe_vm_bind_precheck(struct vxe_vm *vm,
			 const struct drm_xe_vm_bind_op *binds,
			 struct drm_gem_object **objs, u32 n);

#if IS_ENABLED(CONFIG_KUNIT)
/* The always_migrate_to_vram module parameter, for KUnit tests. */
extern bool vxe_svm_always_migrate_to_vram;
/* The svm_max_chunk_size module parameter (KiB), for KUnit tests. */
extern unsigned int vxe_svm_max_chunk_kib;
int vxe_vm_bind_op(struct vxe_vm *vm, struct drm_xe_vm_bind_op *b,
		   struct drm_gem_object *obj);
#endif

#endif
