/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_GT_STATS_H_
#define _VXE_GT_STATS_H_

#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/types.h>

struct seq_file;

/**
 * enum vxe_gt_stats_id - the counters of the GT statistics, in Xe's order
 *
 * The SVM counters of Xe's per-GT statistics (xe_gt_stats_types.h), by
 * the names Xe prints them with (vxe_gt_stats_name()):
 *
 * @VXE_GT_STATS_ID_SVM_PAGEFAULT_COUNT: GPU page faults in CPU-address
 *	mirrors
 * @VXE_GT_STATS_ID_TLB_INVAL: TLB invalidations issued
 * @VXE_GT_STATS_ID_SVM_TLB_INVAL_COUNT: TLB invalidations issued by SVM
 *	invalidations (the MMU notifiers of mirrored memory)
 * @VXE_GT_STATS_ID_SVM_TLB_INVAL_US: time they took, in microseconds
 * @VXE_GT_STATS_ID_VMA_PAGEFAULT_COUNT: GPU page faults in other VMAs
 *	(BO, userptr and NULL bindings)
 * @VXE_GT_STATS_ID_VMA_PAGEFAULT_KB: the size of the VMAs bound by them,
 *	in KiB
 * @VXE_GT_STATS_ID_SVM_4K_PAGEFAULT_COUNT: SVM faults on 4K ranges (and
 *	so on for 64K and 2M)
 * @VXE_GT_STATS_ID_SVM_64K_PAGEFAULT_COUNT: on 64K ranges
 * @VXE_GT_STATS_ID_SVM_2M_PAGEFAULT_COUNT: on 2M ranges
 * @VXE_GT_STATS_ID_SVM_4K_VALID_PAGEFAULT_COUNT: SVM faults that found
 *	the range mapped already (a race with another fault, a prefetch)
 * @VXE_GT_STATS_ID_SVM_64K_VALID_PAGEFAULT_COUNT: on 64K ranges
 * @VXE_GT_STATS_ID_SVM_2M_VALID_PAGEFAULT_COUNT: on 2M ranges
 * @VXE_GT_STATS_ID_SVM_4K_PAGEFAULT_US: time SVM faults took, in
 *	microseconds
 * @VXE_GT_STATS_ID_SVM_64K_PAGEFAULT_US: on 64K ranges
 * @VXE_GT_STATS_ID_SVM_2M_PAGEFAULT_US: on 2M ranges
 * @VXE_GT_STATS_ID_SVM_4K_MIGRATE_COUNT: migrations of ranges to VRAM by
 *	faults
 * @VXE_GT_STATS_ID_SVM_64K_MIGRATE_COUNT: of 64K ranges
 * @VXE_GT_STATS_ID_SVM_2M_MIGRATE_COUNT: of 2M ranges
 * @VXE_GT_STATS_ID_SVM_4K_MIGRATE_US: time they took, in microseconds
 * @VXE_GT_STATS_ID_SVM_64K_MIGRATE_US: of 64K ranges
 * @VXE_GT_STATS_ID_SVM_2M_MIGRATE_US: of 2M ranges
 * @VXE_GT_STATS_ID_SVM_DEVICE_COPY_US: time the copy engine spent copying
 *	SVM data to VRAM, in microseconds
 * @VXE_GT_STATS_ID_SVM_4K_DEVICE_COPY_US: in copies of 4K
 * @VXE_GT_STATS_ID_SVM_64K_DEVICE_COPY_US: in copies of 64K
 * @VXE_GT_STATS_ID_SVM_2M_DEVICE_COPY_US: in copies of 2M
 * @VXE_GT_STATS_ID_SVM_CPU_COPY_US: time spent copying SVM data back to
 *	system memory
 * @VXE_GT_STATS_ID_SVM_4K_CPU_COPY_US: in copies of 4K
 * @VXE_GT_STATS_ID_SVM_64K_CPU_COPY_US: in copies of 64K
 * @VXE_GT_STATS_ID_SVM_2M_CPU_COPY_US: in copies of 2M
 * @VXE_GT_STATS_ID_SVM_DEVICE_COPY_KB: SVM data copied to VRAM, in KiB
 * @VXE_GT_STATS_ID_SVM_4K_DEVICE_COPY_KB: by copies of 4K
 * @VXE_GT_STATS_ID_SVM_64K_DEVICE_COPY_KB: by copies of 64K
 * @VXE_GT_STATS_ID_SVM_2M_DEVICE_COPY_KB: by copies of 2M
 * @VXE_GT_STATS_ID_SVM_CPU_COPY_KB: SVM data copied back, in KiB
 * @VXE_GT_STATS_ID_SVM_4K_CPU_COPY_KB: by copies of 4K
 * @VXE_GT_STATS_ID_SVM_64K_CPU_COPY_KB: by copies of 64K
 * @VXE_GT_STATS_ID_SVM_2M_CPU_COPY_KB: by copies of 2M
 * @VXE_GT_STATS_ID_SVM_4K_GET_PAGES_US: time SVM faults spent collecting
 *	pages (drm_gpusvm_get_pages()), in microseconds
 * @VXE_GT_STATS_ID_SVM_64K_GET_PAGES_US: for 64K ranges
 * @VXE_GT_STATS_ID_SVM_2M_GET_PAGES_US: for 2M ranges
 * @VXE_GT_STATS_ID_SVM_4K_BIND_US: time SVM faults spent binding ranges,
 *	in microseconds
 * @VXE_GT_STATS_ID_SVM_64K_BIND_US: 64K ranges
 * @VXE_GT_STATS_ID_SVM_2M_BIND_US: 2M ranges
 * @VXE_GT_STATS_ID_SVM_GARBAGE_COLLECTOR_COUNT: runs of the SVM garbage
 *	collector that removed ranges (vxe's own, as the next: Xe has none)
 * @VXE_GT_STATS_ID_SVM_GARBAGE_COLLECTOR_US: the time those runs spent
 *	removing ranges, in microseconds
 * @VXE_GT_STATS_NUM: the number of counters
 *
 * The 4K, 64K and 2M variants of a counter follow each other.  Xe's other
 * counters (engine groups, page reclaim, defragmentation, prefetch faults)
 * are of hardware vxe does not model.
 */
enum vxe_gt_stats_id {
	VXE_GT_STATS_ID_SVM_PAGEFAULT_COUNT,
	VXE_GT_STATS_ID_TLB_INVAL,
	VXE_GT_STATS_ID_SVM_TLB_INVAL_COUNT,
	VXE_GT_STATS_ID_SVM_TLB_INVAL_US,
	VXE_GT_STATS_ID_VMA_PAGEFAULT_COUNT,
	VXE_GT_STATS_ID_VMA_PAGEFAULT_KB,
	VXE_GT_STATS_ID_SVM_4K_PAGEFAULT_COUNT,
	VXE_GT_STATS_ID_SVM_64K_PAGEFAULT_COUNT,
	VXE_GT_STATS_ID_SVM_2M_PAGEFAULT_COUNT,
	VXE_GT_STATS_ID_SVM_4K_VALID_PAGEFAULT_COUNT,
	VXE_GT_STATS_ID_SVM_64K_VALID_PAGEFAULT_COUNT,
	VXE_GT_STATS_ID_SVM_2M_VALID_PAGEFAULT_COUNT,
	VXE_GT_STATS_ID_SVM_4K_PAGEFAULT_US,
	VXE_GT_STATS_ID_SVM_64K_PAGEFAULT_US,
	VXE_GT_STATS_ID_SVM_2M_PAGEFAULT_US,
	VXE_GT_STATS_ID_SVM_4K_MIGRATE_COUNT,
	VXE_GT_STATS_ID_SVM_64K_MIGRATE_COUNT,
	VXE_GT_STATS_ID_SVM_2M_MIGRATE_COUNT,
	VXE_GT_STATS_ID_SVM_4K_MIGRATE_US,
	VXE_GT_STATS_ID_SVM_64K_MIGRATE_US,
	VXE_GT_STATS_ID_SVM_2M_MIGRATE_US,
	VXE_GT_STATS_ID_SVM_DEVICE_COPY_US,
	VXE_GT_STATS_ID_SVM_4K_DEVICE_COPY_US,
	VXE_GT_STATS_ID_SVM_64K_DEVICE_COPY_US,
	VXE_GT_STATS_ID_SVM_2M_DEVICE_COPY_US,
	VXE_GT_STATS_ID_SVM_CPU_COPY_US,
	VXE_GT_STATS_ID_SVM_4K_CPU_COPY_US,
	VXE_GT_STATS_ID_SVM_64K_CPU_COPY_US,
	VXE_GT_STATS_ID_SVM_2M_CPU_COPY_US,
	VXE_GT_STATS_ID_SVM_DEVICE_COPY_KB,
	VXE_GT_STATS_ID_SVM_4K_DEVICE_COPY_KB,
	VXE_GT_STATS_ID_SVM_64K_DEVICE_COPY_KB,
	VXE_GT_STATS_ID_SVM_2M_DEVICE_COPY_KB,
	VXE_GT_STATS_ID_SVM_CPU_COPY_KB,
	VXE_GT_STATS_ID_SVM_4K_CPU_COPY_KB,
	VXE_GT_STATS_ID_SVM_64K_CPU_COPY_KB,
	VXE_GT_STATS_ID_SVM_2M_CPU_COPY_KB,
	VXE_GT_STATS_ID_SVM_4K_GET_PAGES_US,
	VXE_GT_STATS_ID_SVM_64K_GET_PAGES_US,
	VXE_GT_STATS_ID_SVM_2M_GET_PAGES_US,
	VXE_GT_STATS_ID_SVM_4K_BIND_US,
	VXE_GT_STATS_ID_SVM_64K_BIND_US,
	VXE_GT_STATS_ID_SVM_2M_BIND_US,
	VXE_GT_STATS_ID_SVM_GARBAGE_COLLECTOR_COUNT,
	VXE_GT_STATS_ID_SVM_GARBAGE_COLLECTOR_US,
	VXE_GT_STATS_NUM,
};

/**
 * struct vxe_gt_stats - the GT statistics of a device
 * @counters: by &enum vxe_gt_stats_id
 */
struct vxe_gt_stats {
	atomic64_t counters[VXE_GT_STATS_NUM];
};

void vxe_gt_stats_incr(struct vxe_gt_stats *stats, enum vxe_gt_stats_id id,
		       s64 incr);
void vxe_gt_stats_incr_sized(struct vxe_gt_stats *stats,
			     enum vxe_gt_stats_id id_4k, u64 size, s64 incr);
ktime_t vxe_gt_stats_us(struct vxe_gt_stats *stats, enum vxe_gt_stats_id id,
			ktime_t start);
ktime_t vxe_gt_stats_us_sized(struct vxe_gt_stats *stats,
			      enum vxe_gt_stats_id id_4k, u64 size,
			      ktime_t start);
u64 vxe_gt_stats_read(struct vxe_gt_stats *stats, enum vxe_gt_stats_id id);
const char *vxe_gt_stats_name(enum vxe_gt_stats_id id);
void vxe_gt_stats_print(struct vxe_gt_stats *stats, struct seq_file *m);
void vxe_gt_stats_clear(struct vxe_gt_stats *stats);

#endif
