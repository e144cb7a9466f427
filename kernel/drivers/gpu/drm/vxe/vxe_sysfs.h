/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_SYSFS_H_
#define _VXE_SYSFS_H_

#include <linux/types.h>

struct vxe_device;

/* The scheduling properties of an engine class, as Xe's sysfs names them */
enum vxe_sched_prop {
	VXE_SCHED_JOB_TIMEOUT,		/* job_timeout_ms */
	VXE_SCHED_TIMESLICE,		/* timeslice_duration_us */
	VXE_SCHED_PREEMPT_TIMEOUT,	/* preempt_timeout_us */
	VXE_NR_SCHED_PROPS,
};

/**
 * struct vxe_sched_value - one scheduling property of an engine class
 * @val: its value (job time-out in ms; timeslice and preemption time-out
 *	in us)
 * @min: the smallest value that may be set
 * @max: the largest value that may be set
 */
struct vxe_sched_value {
	u32 val;
	u32 min;
	u32 max;
};

void vxe_sched_props_init(struct vxe_device *vxe);
u32 vxe_sched_get(struct vxe_device *vxe, u16 class, enum vxe_sched_prop prop);
bool vxe_sched_value_allowed(struct vxe_device *vxe, u16 class,
			     enum vxe_sched_prop prop, u64 value);
int vxe_sysfs_init(struct vxe_device *vxe);

#endif
