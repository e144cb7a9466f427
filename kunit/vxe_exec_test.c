// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * KUnit tests of what an EXEC of a dma-fence VM does before its job runs
 * (vxe_vm_exec_lock()), and of moves waiting for such jobs: a BO evicted
 * from VRAM is validated back and bound again by the next EXEC, not by a
 * fault of the job; the job's fence goes into the VM's reservation object
 * and into those of BOs bound from outside; TTM does not move a BO while a
 * job that may use it runs; two VMs whose BOs do not fit in VRAM together
 * take turns.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/test.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/sizes.h>
#include <drm/drm_exec.h>
#include <drm/drm_gpuvm.h>
#include <drm/ttm/ttm_bo.h>
#include <drm/ttm/ttm_placement.h>
#include <drm/ttm/ttm_resource.h>
#include <drm/xe_drm.h>

#include "gpusvm_kunit.h"
#include "vxe_bo.h"
#include "vxe_device.h"
#include "vxe_vm.h"

#define EX_VRAM		SZ_4M
#define EX_BO		(SZ_2M + SZ_1M)	/* two do not fit in EX_VRAM */
#define EX_GVA		SZ_1G
#define EX_EXT_GVA	(SZ_1G + SZ_16M)

/**
 * struct ex_fence - a job's fence, signalled by the test
 * @base: the fence
 * @lock: its lock
 */
struct ex_fence {
	struct dma_fence base;
	spinlock_t lock; /* the fence's lock */
};

static const char *ex_fence_name(struct dma_fence *f)
{
	return "vxe-exec-test";
}

static const struct dma_fence_ops ex_fence_ops = {
	.get_driver_name = ex_fence_name,
	.get_timeline_name = ex_fence_name,
};

static void ex_fence_release(void *data)
{
	struct dma_fence *f = data;

	dma_fence_signal(f);
	dma_fence_put(f);
}

static struct dma_fence *ex_fence(struct kunit *test)
{
	struct ex_fence *f = kzalloc(sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	spin_lock_init(&f->lock);
	dma_fence_init(&f->base, &ex_fence_ops, &f->lock,
		       dma_fence_context_alloc(1), 1);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ex_fence_release,
							&f->base), 0);
	return &f->base;
}

static void ex_vm_release(void *data)
{
	vxe_vm_destroy(data);
}

/* A dma-fence VM (neither LR nor fault mode) on the fixture's device. */
static struct vxe_vm *ex_vm(struct kunit *test, struct gpusvm_kunit *gk)
{
	struct vxe_vm *vm = vxe_vm_create_mode(gk->vxe, 0);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ex_vm_release,
							vm), 0);
	return vm;
}

static void ex_bo_put(void *data)
{
	struct vxe_bo *bo = data;

	drm_gem_object_put(&bo->ttm.base);
}

/* A BO of @size in @regions, private to @vm (or external: NULL). */
static struct vxe_bo *ex_bo(struct kunit *test, struct gpusvm_kunit *gk,
			    struct vxe_vm *vm, u64 size, u32 regions)
{
	struct vxe_bo *bo;

	bo = vxe_bo_create(gk->vxe, vm, size, DRM_XE_GEM_CPU_CACHING_WC, 0,
			   regions);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(bo));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ex_bo_put, bo),
			0);
	return bo;
}

static int ex_bind(struct vxe_vm *vm, struct vxe_bo *bo, u64 gva)
{
	struct drm_xe_vm_bind_op b = {
		.op = DRM_XE_VM_BIND_OP_MAP,
		.addr = gva,
		.range = bo->ttm.base.size,
		.pat_index = 2,
	};
	int err;

	mutex_lock(&vm->lock);
	err = vxe_vm_bind_op(vm, &b, &bo->ttm.base);
	mutex_unlock(&vm->lock);
	return err;
}

static bool ex_bound(struct vxe_vm *vm, u64 gva)
{
	struct drm_gpuva *va;
	bool bound;

	mutex_lock(&vm->lock);
	va = drm_gpuva_find_first(&vm->gpuvm, gva, 1);
	bound = va && to_vxe_vma(va)->bound;
	mutex_unlock(&vm->lock);
	return bound;
}

static u32 ex_mem_type(struct vxe_bo *bo)
{
	u32 type;

	dma_resv_lock(bo->ttm.base.resv, NULL);
	type = bo->ttm.resource->mem_type;
	dma_resv_unlock(bo->ttm.base.resv);
	return type;
}

static int ex_evict_all(struct gpusvm_kunit *gk)
{
	return ttm_resource_manager_evict_all(&gk->vxe->ttm,
		ttm_manager_type(&gk->vxe->ttm, TTM_PL_VRAM));
}

/* What an EXEC does around queueing its job, with @fence for the job. */
static int ex_exec(struct vxe_vm *vm, struct dma_fence *fence)
{
	struct drm_exec exec;
	int err;

	err = vxe_vm_exec_lock(vm, &exec);
	if (err)
		return err;
	if (fence)
		vxe_vm_exec_add_fence(&exec, fence);
	vxe_vm_exec_unlock(vm, &exec);
	return 0;
}

/*
 * A BO evicted from VRAM (its binding zapped) is moved back and bound
 * again by the EXEC, with its data: the job finds it mapped, no fault.
 */
static void vxe_exec_rebinds_evicted_bo(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create_vram(test, NULL, EX_VRAM);
	struct vxe_vm *vm = ex_vm(test, gk);
	struct vxe_bo *bo = ex_bo(test, gk, vm, EX_BO,
				  BIT(VXE_MEM_REGION_VRAM));
	u32 v = 0xc0ffee, r = 0;

	KUNIT_ASSERT_EQ(test, ex_bind(vm, bo, EX_GVA), 0);
	KUNIT_ASSERT_EQ(test, vxe_gpu_access(vm, EX_GVA + SZ_1M, &v, 4, true),
			0);
	KUNIT_ASSERT_EQ(test, ex_mem_type(bo), TTM_PL_VRAM);

	KUNIT_ASSERT_EQ(test, ex_evict_all(gk), 0);
	KUNIT_EXPECT_EQ(test, ex_mem_type(bo), TTM_PL_TT);
	KUNIT_EXPECT_FALSE(test, ex_bound(vm, EX_GVA));

	KUNIT_ASSERT_EQ(test, ex_exec(vm, NULL), 0);
	KUNIT_EXPECT_EQ(test, ex_mem_type(bo), TTM_PL_VRAM);
	KUNIT_EXPECT_TRUE(test, ex_bound(vm, EX_GVA));
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(vm, EX_GVA + SZ_1M, &r, 4, false),
			0);
	KUNIT_EXPECT_EQ(test, r, v);
}

/*
 * The job's fence goes into the VM's reservation object and into that of
 * a BO bound in the VM from outside; a BO that stayed in TT (it may live
 * in system memory too) is bound again there.
 */
static void vxe_exec_fence_in_external_bo(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create_vram(test, NULL, EX_VRAM);
	struct vxe_vm *vm = ex_vm(test, gk);
	struct vxe_bo *ext = ex_bo(test, gk, NULL, SZ_64K,
				   BIT(VXE_MEM_REGION_SYS) |
				   BIT(VXE_MEM_REGION_VRAM));
	struct vxe_bo *own = ex_bo(test, gk, vm, SZ_64K,
				   BIT(VXE_MEM_REGION_SYS));
	struct dma_fence *job = ex_fence(test);

	KUNIT_ASSERT_EQ(test, ex_bind(vm, ext, EX_EXT_GVA), 0);
	KUNIT_ASSERT_EQ(test, ex_bind(vm, own, EX_GVA), 0);
	KUNIT_ASSERT_EQ(test, ex_evict_all(gk), 0);
	KUNIT_EXPECT_FALSE(test, ex_bound(vm, EX_EXT_GVA));

	KUNIT_ASSERT_EQ(test, ex_exec(vm, job), 0);
	KUNIT_EXPECT_TRUE(test, ex_bound(vm, EX_EXT_GVA));
	KUNIT_EXPECT_TRUE(test, ex_bound(vm, EX_GVA));
	KUNIT_EXPECT_FALSE(test, dma_resv_test_signaled(ext->ttm.base.resv,
							DMA_RESV_USAGE_BOOKKEEP));
	KUNIT_EXPECT_FALSE(test, dma_resv_test_signaled(vxe_vm_resv(vm),
							DMA_RESV_USAGE_BOOKKEEP));
	/* Bookkeeping only: no implicit synchronization with the job. */
	KUNIT_EXPECT_TRUE(test, dma_resv_test_signaled(ext->ttm.base.resv,
						       DMA_RESV_USAGE_READ));

	dma_fence_signal(job);
	KUNIT_EXPECT_TRUE(test, dma_resv_test_signaled(ext->ttm.base.resv,
						       DMA_RESV_USAGE_BOOKKEEP));
}

static const struct ttm_place ex_tt_place = { .mem_type = TTM_PL_TT };

/* Move @bo to TT, without waiting for the GPU if @no_wait. */
static int ex_move_to_tt(struct vxe_bo *bo, bool no_wait)
{
	struct ttm_placement tt = { .num_placement = 1,
				    .placement = &ex_tt_place };
	struct ttm_operation_ctx ctx = { .no_wait_gpu = no_wait };
	int err;

	dma_resv_lock(bo->ttm.base.resv, NULL);
	err = ttm_bo_validate(&bo->ttm, &tt, &ctx);
	dma_resv_unlock(bo->ttm.base.resv);
	return err;
}

/*
 * While a job of the VM runs (its fence unsignalled), TTM cannot move the
 * BO away (-EBUSY without waiting): the job keeps its mapping.  Once the
 * job is done, the move zaps the binding.
 */
static void vxe_exec_move_waits_for_job(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create_vram(test, NULL, EX_VRAM);
	struct vxe_vm *vm = ex_vm(test, gk);
	struct vxe_bo *bo = ex_bo(test, gk, vm, SZ_1M,
				  BIT(VXE_MEM_REGION_SYS) |
				  BIT(VXE_MEM_REGION_VRAM));
	struct dma_fence *job = ex_fence(test);

	KUNIT_ASSERT_EQ(test, ex_bind(vm, bo, EX_GVA), 0);
	KUNIT_ASSERT_EQ(test, ex_mem_type(bo), TTM_PL_VRAM);
	KUNIT_ASSERT_EQ(test, ex_exec(vm, job), 0);

	KUNIT_EXPECT_EQ(test, ex_move_to_tt(bo, true), -EBUSY);
	KUNIT_EXPECT_EQ(test, ex_mem_type(bo), TTM_PL_VRAM);
	KUNIT_EXPECT_TRUE(test, ex_bound(vm, EX_GVA));

	dma_fence_signal(job);
	KUNIT_EXPECT_EQ(test, ex_move_to_tt(bo, true), 0);
	KUNIT_EXPECT_EQ(test, ex_mem_type(bo), TTM_PL_TT);
	KUNIT_EXPECT_FALSE(test, ex_bound(vm, EX_GVA));
}

/*
 * Two VMs, each with a VRAM-only BO, which do not fit in VRAM together:
 * each EXEC evicts the other VM's BO and brings its own back, data kept.
 */
static void vxe_exec_two_vms_take_turns(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create_vram(test, NULL, EX_VRAM);
	struct vxe_vm *vm[2] = { ex_vm(test, gk), ex_vm(test, gk) };
	struct vxe_bo *bo[2];
	u32 v, i, round;

	for (i = 0; i < 2; i++) {
		bo[i] = ex_bo(test, gk, vm[i], EX_BO, BIT(VXE_MEM_REGION_VRAM));
		KUNIT_ASSERT_EQ(test, ex_bind(vm[i], bo[i], EX_GVA), 0);
		v = 0x1000 + i;
		KUNIT_ASSERT_EQ(test, vxe_gpu_access(vm[i], EX_GVA, &v, 4,
						     true), 0);
	}
	/* Making the second BO evicted the first. */
	KUNIT_EXPECT_EQ(test, ex_mem_type(bo[0]), TTM_PL_TT);
	KUNIT_EXPECT_FALSE(test, ex_bound(vm[0], EX_GVA));

	for (round = 0; round < 4; round++) {
		i = round & 1;
		KUNIT_ASSERT_EQ(test, ex_exec(vm[i], NULL), 0);
		KUNIT_EXPECT_EQ(test, ex_mem_type(bo[i]), TTM_PL_VRAM);
		KUNIT_EXPECT_TRUE(test, ex_bound(vm[i], EX_GVA));
		KUNIT_EXPECT_EQ(test, ex_mem_type(bo[!i]), TTM_PL_TT);
		KUNIT_EXPECT_FALSE(test, ex_bound(vm[!i], EX_GVA));
		v = 0;
		KUNIT_EXPECT_EQ(test, vxe_gpu_access(vm[i], EX_GVA, &v, 4,
						     false), 0);
		KUNIT_EXPECT_EQ(test, v, 0x1000 + i);
	}
}

/*
 * A GPU fault on a BO binding of an LR VM, when VRAM is full of a BO that
 * cannot be evicted (pinned), retries for a second and gives up; once the
 * BO can go, the same fault evicts it and binds.
 */
static void vxe_exec_fault_retries_then_gives_up(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create_vram(test, NULL, EX_VRAM);
	struct vxe_vm *lr = vxe_vm_create_mode(gk->vxe, VXE_VM_LR_MODE);
	struct vxe_vm *other = ex_vm(test, gk);
	struct vxe_bo *mine, *theirs;
	ktime_t start, end = 0;
	int err;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, lr);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ex_vm_release,
							lr), 0);
	mine = ex_bo(test, gk, lr, EX_BO, BIT(VXE_MEM_REGION_VRAM));
	KUNIT_ASSERT_EQ(test, ex_bind(lr, mine, EX_GVA), 0);
	theirs = ex_bo(test, gk, other, EX_BO, BIT(VXE_MEM_REGION_VRAM));
	KUNIT_ASSERT_EQ(test, ex_bind(other, theirs, EX_GVA), 0);
	KUNIT_ASSERT_FALSE(test, ex_bound(lr, EX_GVA));

	dma_resv_lock(vxe_vm_resv(other), NULL);
	ttm_bo_pin(&theirs->ttm);
	dma_resv_unlock(vxe_vm_resv(other));
	start = ktime_get();
	err = vxe_vm_handle_fault(lr, EX_GVA, false);
	KUNIT_EXPECT_TRUE_MSG(test, err == -ENOMEM || err == -ENOSPC, "%d", err);
	KUNIT_EXPECT_GE(test, ktime_ms_delta(ktime_get(), start), 1000);
	dma_resv_lock(vxe_vm_resv(other), NULL);
	ttm_bo_unpin(&theirs->ttm);
	dma_resv_unlock(vxe_vm_resv(other));

	KUNIT_EXPECT_EQ(test, vxe_vm_handle_fault(lr, EX_GVA, false), 0);
	KUNIT_EXPECT_TRUE(test, ex_bound(lr, EX_GVA));
	KUNIT_EXPECT_FALSE(test, ex_bound(other, EX_GVA));

	/* The retry budget: yes until the deadline, then no. */
	KUNIT_EXPECT_TRUE(test, vxe_vm_validate_should_retry(-ENOMEM, &end));
	KUNIT_EXPECT_NE(test, end, 0);
	end = ktime_sub_ms(ktime_get(), 1);
	KUNIT_EXPECT_FALSE(test, vxe_vm_validate_should_retry(-ENOMEM, &end));
}

/*
 * GPU accesses the fault handler cannot serve (nothing bound there) fail
 * with -EFAULT and each leaves a fault in the VM's list
 * (DRM_IOCTL_XE_VM_GET_PROPERTY), of which the VM keeps the first
 * VXE_VM_MAX_FAULTS, as Xe; a served access leaves none.
 */
static void vxe_exec_failed_faults_kept(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create_vram(test, NULL, EX_VRAM);
	struct vxe_vm *vm = ex_vm(test, gk);
	struct vxe_bo *bo = ex_bo(test, gk, vm, EX_BO, BIT(VXE_MEM_REGION_VRAM));
	u32 word = 0x5eed;
	int i;

	KUNIT_ASSERT_EQ(test, ex_bind(vm, bo, EX_GVA), 0);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(vm, EX_GVA, &word, 4, true), 0);
	KUNIT_EXPECT_EQ(test, vxe_vm_faults_count(&vm->faults), 0);
	for (i = 0; i < VXE_VM_MAX_FAULTS + 10; i++) {
		KUNIT_EXPECT_EQ(test, vxe_gpu_access(vm, EX_GVA + EX_BO +
						     i * SZ_4K, &word, 4,
						     i & 1), -EFAULT);
		KUNIT_EXPECT_EQ(test, vxe_vm_faults_count(&vm->faults),
				min(i + 1, VXE_VM_MAX_FAULTS));
	}
}

static struct kunit_case vxe_exec_cases[] = {
	KUNIT_CASE(vxe_exec_rebinds_evicted_bo),
	KUNIT_CASE(vxe_exec_fence_in_external_bo),
	KUNIT_CASE(vxe_exec_move_waits_for_job),
	KUNIT_CASE(vxe_exec_two_vms_take_turns),
	KUNIT_CASE(vxe_exec_fault_retries_then_gives_up),
	KUNIT_CASE(vxe_exec_failed_faults_kept),
	{}
};

static struct kunit_suite vxe_exec_suite = {
	.name = "vxe_exec",
	.init = gk_require_vram,
	.test_cases = vxe_exec_cases,
};

kunit_test_suite(vxe_exec_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
