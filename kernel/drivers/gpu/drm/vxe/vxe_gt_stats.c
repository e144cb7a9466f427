// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/math64.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "vxe_gt_stats.h"

/**
 * DOC: vxe GT statistics
 *
 * Xe's per-GT statistics (debugfs ``gt0/stats``): one ``name: value`` a
 * line, in Xe's order and with Xe's names, so that IGT
 * (xe_gt_stats_get_count()) and our benchmarks read them as on Xe.
 * Writing a true value (kstrtobool()) to the file clears them, as on Xe.
 * Counters count since the device was made or last cleared; times are in
 * microseconds (summed in nanoseconds, so that many short intervals add
 * up), amounts of data in KiB.  The 4K, 64K and 2M variants are
 * by the size of the SVM range (of the copy, for the copy counters); other
 * sizes count in the totals only.
 */

#define VXE_GT_STAT(id, name) \
	[VXE_GT_STATS_ID_##id] = name

static const char *const vxe_gt_stats_names[VXE_GT_STATS_NUM] = {
	VXE_GT_STAT(SVM_PAGEFAULT_COUNT, "svm_pagefault_count"),
	VXE_GT_STAT(TLB_INVAL, "tlb_inval_count"),
	VXE_GT_STAT(SVM_TLB_INVAL_COUNT, "svm_tlb_inval_count"),
	VXE_GT_STAT(SVM_TLB_INVAL_US, "svm_tlb_inval_us"),
	VXE_GT_STAT(VMA_PAGEFAULT_COUNT, "vma_pagefault_count"),
	VXE_GT_STAT(VMA_PAGEFAULT_KB, "vma_pagefault_kb"),
	VXE_GT_STAT(SVM_4K_PAGEFAULT_COUNT, "svm_4K_pagefault_count"),
	VXE_GT_STAT(SVM_64K_PAGEFAULT_COUNT, "svm_64K_pagefault_count"),
	VXE_GT_STAT(SVM_2M_PAGEFAULT_COUNT, "svm_2M_pagefault_count"),
	VXE_GT_STAT(SVM_4K_VALID_PAGEFAULT_COUNT, "svm_4K_valid_pagefault_count"),
	VXE_GT_STAT(SVM_64K_VALID_PAGEFAULT_COUNT, "svm_64K_valid_pagefault_count"),
	VXE_GT_STAT(SVM_2M_VALID_PAGEFAULT_COUNT, "svm_2M_valid_pagefault_count"),
	VXE_GT_STAT(SVM_4K_PAGEFAULT_US, "svm_4K_pagefault_us"),
	VXE_GT_STAT(SVM_64K_PAGEFAULT_US, "svm_64K_pagefault_us"),
	VXE_GT_STAT(SVM_2M_PAGEFAULT_US, "svm_2M_pagefault_us"),
	VXE_GT_STAT(SVM_4K_MIGRATE_COUNT, "svm_4K_migrate_count"),
	VXE_GT_STAT(SVM_64K_MIGRATE_COUNT, "svm_64K_migrate_count"),
	VXE_GT_STAT(SVM_2M_MIGRATE_COUNT, "svm_2M_migrate_count"),
	VXE_GT_STAT(SVM_4K_MIGRATE_US, "svm_4K_migrate_us"),
	VXE_GT_STAT(SVM_64K_MIGRATE_US, "svm_64K_migrate_us"),
	VXE_GT_STAT(SVM_2M_MIGRATE_US, "svm_2M_migrate_us"),
	VXE_GT_STAT(SVM_DEVICE_COPY_US, "svm_device_copy_us"),
	VXE_GT_STAT(SVM_4K_DEVICE_COPY_US, "svm_4K_device_copy_us"),
	VXE_GT_STAT(SVM_64K_DEVICE_COPY_US, "svm_64K_device_copy_us"),
	VXE_GT_STAT(SVM_2M_DEVICE_COPY_US, "svm_2M_device_copy_us"),
	VXE_GT_STAT(SVM_CPU_COPY_US, "svm_cpu_copy_us"),
	VXE_GT_STAT(SVM_4K_CPU_COPY_US, "svm_4K_cpu_copy_us"),
	VXE_GT_STAT(SVM_64K_CPU_COPY_US, "svm_64K_cpu_copy_us"),
	VXE_GT_STAT(SVM_2M_CPU_COPY_US, "svm_2M_cpu_copy_us"),
	VXE_GT_STAT(SVM_DEVICE_COPY_KB, "svm_device_copy_kb"),
	VXE_GT_STAT(SVM_4K_DEVICE_COPY_KB, "svm_4K_device_copy_kb"),
	VXE_GT_STAT(SVM_64K_DEVICE_COPY_KB, "svm_64K_device_copy_kb"),
	VXE_GT_STAT(SVM_2M_DEVICE_COPY_KB, "svm_2M_device_copy_kb"),
	VXE_GT_STAT(SVM_CPU_COPY_KB, "svm_cpu_copy_kb"),
	VXE_GT_STAT(SVM_4K_CPU_COPY_KB, "svm_4K_cpu_copy_kb"),
	VXE_GT_STAT(SVM_64K_CPU_COPY_KB, "svm_64K_cpu_copy_kb"),
	VXE_GT_STAT(SVM_2M_CPU_COPY_KB, "svm_2M_cpu_copy_kb"),
	VXE_GT_STAT(SVM_4K_GET_PAGES_US, "svm_4K_get_pages_us"),
	VXE_GT_STAT(SVM_64K_GET_PAGES_US, "svm_64K_get_pages_us"),
	VXE_GT_STAT(SVM_2M_GET_PAGES_US, "svm_2M_get_pages_us"),
	VXE_GT_STAT(SVM_4K_BIND_US, "svm_4K_bind_us"),
	VXE_GT_STAT(SVM_64K_BIND_US, "svm_64K_bind_us"),
	VXE_GT_STAT(SVM_2M_BIND_US, "svm_2M_bind_us"),
	/* vxe's own, after Xe's: the garbage collector's cost */
	VXE_GT_STAT(SVM_GARBAGE_COLLECTOR_COUNT, "svm_garbage_collector_count"),
	VXE_GT_STAT(SVM_GARBAGE_COLLECTOR_US, "svm_garbage_collector_us"),
};

/**
 * vxe_gt_stats_incr() - add to a counter
 * @stats: the statistics
 * @id: the counter
 * @incr: how much
 *
 * Context: any.
 */
void vxe_gt_stats_incr(struct vxe_gt_stats *stats, enum vxe_gt_stats_id id,
		       s64 incr)
{
	if (id < VXE_GT_STATS_NUM)
		atomic64_add(incr, &stats->counters[id]);
}

/* The offset of the variant of a 4K counter for @size; -1: none. */
static int vxe_gt_stats_size_offset(u64 size)
{
	switch (size) {
	case SZ_4K:
		return 0;
	case SZ_64K:
		return 1;
	case SZ_2M:
		return 2;
	default:
		return -1;
	}
}

/**
 * vxe_gt_stats_incr_sized() - add to the 4K, 64K or 2M variant of a counter
 * @stats: the statistics
 * @id_4k: the 4K variant
 * @size: the size that picks the variant (nothing for other sizes)
 * @incr: how much
 *
 * Context: any.
 */
void vxe_gt_stats_incr_sized(struct vxe_gt_stats *stats,
			     enum vxe_gt_stats_id id_4k, u64 size, s64 incr)
{
	int off = vxe_gt_stats_size_offset(size);

	if (off >= 0)
		vxe_gt_stats_incr(stats, id_4k + off, incr);
}

/* Is @id a time (a name ending in "_us", kept in nanoseconds)? */
static bool vxe_gt_stats_is_time(enum vxe_gt_stats_id id)
{
	const char *name = vxe_gt_stats_names[id];
	size_t len = strlen(name);

	return len > 3 && !strcmp(name + len - 3, "_us");
}

/**
 * vxe_gt_stats_us() - add the time since @start to a time counter
 * @stats: the statistics
 * @id: the counter (a "_us" one)
 * @start: when the timed work started (ktime_get())
 *
 * Time counters add nanoseconds and read as microseconds: the sum of many
 * short intervals is not cut down by rounding each one (Xe adds each
 * interval in whole microseconds).
 *
 * Context: any.
 * Return: the time now, the start of whatever is timed next.
 */
ktime_t vxe_gt_stats_us(struct vxe_gt_stats *stats, enum vxe_gt_stats_id id,
			ktime_t start)
{
	ktime_t now = ktime_get();

	vxe_gt_stats_incr(stats, id, ktime_to_ns(ktime_sub(now, start)));
	return now;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_gt_stats_us);

/**
 * vxe_gt_stats_us_sized() - add the time since @start to the 4K, 64K or
 *	2M variant of a time counter
 * @stats: the statistics
 * @id_4k: the 4K variant
 * @size: the size that picks the variant
 * @start: when the timed work started (ktime_get())
 *
 * Context: any.
 * Return: the time now, the start of whatever is timed next.
 */
ktime_t vxe_gt_stats_us_sized(struct vxe_gt_stats *stats,
			      enum vxe_gt_stats_id id_4k, u64 size,
			      ktime_t start)
{
	ktime_t now = ktime_get();

	vxe_gt_stats_incr_sized(stats, id_4k, size,
				ktime_to_ns(ktime_sub(now, start)));
	return now;
}

/**
 * vxe_gt_stats_read() - the value of a counter
 * @stats: the statistics
 * @id: the counter
 *
 * Return: its value; a time in microseconds.
 */
u64 vxe_gt_stats_read(struct vxe_gt_stats *stats, enum vxe_gt_stats_id id)
{
	u64 v;

	if (id >= VXE_GT_STATS_NUM)
		return 0;
	v = atomic64_read(&stats->counters[id]);
	return vxe_gt_stats_is_time(id) ? div_u64(v, NSEC_PER_USEC) : v;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_gt_stats_read);

/**
 * vxe_gt_stats_name() - the name Xe prints a counter with
 * @id: the counter
 *
 * Return: the name, or NULL.
 */
const char *vxe_gt_stats_name(enum vxe_gt_stats_id id)
{
	return id < VXE_GT_STATS_NUM ? vxe_gt_stats_names[id] : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_gt_stats_name);

/**
 * vxe_gt_stats_print() - print the statistics as Xe's stats file does
 * @stats: the statistics
 * @m: where
 */
void vxe_gt_stats_print(struct vxe_gt_stats *stats, struct seq_file *m)
{
	enum vxe_gt_stats_id id;

	for (id = 0; id < VXE_GT_STATS_NUM; id++)
		seq_printf(m, "%s: %llu\n", vxe_gt_stats_names[id],
			   vxe_gt_stats_read(stats, id));
}

/**
 * vxe_gt_stats_clear() - set every counter to zero
 * @stats: the statistics
 *
 * Counters updated meanwhile may keep part of their increments, as Xe's.
 */
void vxe_gt_stats_clear(struct vxe_gt_stats *stats)
{
	enum vxe_gt_stats_id id;

	for (id = 0; id < VXE_GT_STATS_NUM; id++)
		atomic64_set(&stats->counters[id], 0);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_gt_stats_clear);
