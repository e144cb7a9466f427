// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/capability.h>
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "vxe_device.h"
#include "vxe_sysfs.h"

/**
 * DOC: vxe engine class sysfs
 *
 * As Xe, vxe has the scheduling properties of each engine class in sysfs,
 * under its device: tile0/gt0/engines/<class>/ for each class the device
 * has (rcs, bcs, vcs, vecs, ccs), with job_timeout_ms, timeslice_duration_us
 * and preempt_timeout_us and the range each may be set to (*_min, *_max),
 * and the same nine read-only in .defaults/.  A value must lie in its
 * class's range; a range must contain no value below its minimum or
 * above its maximum and lie in Xe's absolute limits (job time-out 1 ms to
 * 10 s, timeslice and preemption time-out 1 us to 10 s); else the write
 * is -EINVAL (a string that is no number: kstrtou32()'s error).
 *
 * An exec queue takes its class's job time-out when it is created (a job
 * of a VM not in LR mode running longer is stopped, as Xe's scheduler
 * does); the timeslice an exec queue asks for
 * (DRM_XE_EXEC_QUEUE_SET_PROPERTY_TIMESLICE) must lie in its class's range,
 * or in the absolute limits for a caller with CAP_SYS_NICE (Xe with
 * CONFIG_DRM_XE_ENABLE_SCHEDTIMEOUT_LIMIT, its default).  vxe does not
 * slice time or preempt by time: those two values are recorded.
 *
 * Locking: &vxe_device.sched_lock serialises the writes (a value and its
 * range are checked together); readers read one value with READ_ONCE().
 */

/* Xe's defaults and absolute limits, by &enum vxe_sched_prop */
static const struct vxe_sched_value vxe_sched_defaults[VXE_NR_SCHED_PROPS] = {
	[VXE_SCHED_JOB_TIMEOUT] = { 5 * 1000, 1, 10 * 1000 },
	[VXE_SCHED_TIMESLICE] = { 1000, 1, 10 * 1000 * 1000 },
	[VXE_SCHED_PREEMPT_TIMEOUT] = { 640 * 1000, 1, 10 * 1000 * 1000 },
};

/**
 * vxe_sched_props_init() - every engine class of a device at Xe's defaults
 * @vxe: the device
 */
void vxe_sched_props_init(struct vxe_device *vxe)
{
	int c, p;

	for (c = 0; c < VXE_NR_ENGINE_CLASSES; c++)
		for (p = 0; p < VXE_NR_SCHED_PROPS; p++)
			vxe->sched[c][p] = vxe_sched_defaults[p];
}

/* VM_BIND queues are copy engine work on Xe (its migrate engine) */
static u16 vxe_sched_class(u16 class)
{
	return class < VXE_NR_ENGINE_CLASSES ? class : DRM_XE_ENGINE_CLASS_COPY;
}

/**
 * vxe_sched_get() - a scheduling property of an engine class
 * @vxe: the device
 * @class: the engine class (%DRM_XE_ENGINE_CLASS_VM_BIND: copy's)
 * @prop: which property
 *
 * Return: its value now.
 */
u32 vxe_sched_get(struct vxe_device *vxe, u16 class, enum vxe_sched_prop prop)
{
	return READ_ONCE(vxe->sched[vxe_sched_class(class)][prop].val);
}

/**
 * vxe_sched_value_allowed() - may an exec queue ask for this value?
 * @vxe: the device
 * @class: the queue's engine class (%DRM_XE_ENGINE_CLASS_VM_BIND: copy's)
 * @prop: which property
 * @value: the value asked for
 *
 * Return: true when @value lies in the class's range, or in Xe's absolute
 * limits for a caller with CAP_SYS_NICE.
 */
bool vxe_sched_value_allowed(struct vxe_device *vxe, u16 class,
			     enum vxe_sched_prop prop, u64 value)
{
	const struct vxe_sched_value *v = &vxe->sched[vxe_sched_class(class)][prop];
	u32 min = READ_ONCE(v->min), max = READ_ONCE(v->max);

	if (capable(CAP_SYS_NICE)) {
		min = vxe_sched_defaults[prop].min;
		max = vxe_sched_defaults[prop].max;
	}
	return value >= min && value <= max;
}

/**
 * struct vxe_eclass_kobj - the sysfs directory of an engine class
 * @kobj: the directory: tile0/gt0/engines/<class>, or its .defaults
 * @vxe: the device
 * @class: the engine class
 * @defaults: this is .defaults (read-only, Xe's defaults)
 */
struct vxe_eclass_kobj {
	struct kobject kobj;
	struct vxe_device *vxe;
	u16 class;
	bool defaults;
};

/**
 * struct vxe_sched_attr - one attribute file of an engine class
 * @attr: the sysfs attribute
 * @prop: the property
 * @field: 0 for its value, 1 for its minimum, 2 for its maximum
 */
struct vxe_sched_attr {
	struct attribute attr;
	enum vxe_sched_prop prop;
	int field;
};

static u32 *vxe_sched_field(struct vxe_sched_value *v, int field)
{
	return field == 0 ? &v->val : field == 1 ? &v->min : &v->max;
}

static ssize_t vxe_eclass_show(struct kobject *kobj, struct attribute *attr,
			       char *buf)
{
	struct vxe_eclass_kobj *k = container_of(kobj, struct vxe_eclass_kobj, kobj);
	struct vxe_sched_attr *a = container_of(attr, struct vxe_sched_attr, attr);
	struct vxe_sched_value def = vxe_sched_defaults[a->prop];
	u32 *f = k->defaults ? vxe_sched_field(&def, a->field) :
		 vxe_sched_field(&k->vxe->sched[k->class][a->prop], a->field);

	return sysfs_emit(buf, "%u\n", READ_ONCE(*f));
}

/*
 * A value within its class's range; a minimum no more than the maximum,
 * a maximum no less than the minimum, both within Xe's absolute limits.
 */
static ssize_t vxe_eclass_store(struct kobject *kobj, struct attribute *attr,
				const char *buf, size_t count)
{
	struct vxe_eclass_kobj *k = container_of(kobj, struct vxe_eclass_kobj, kobj);
	struct vxe_sched_attr *a = container_of(attr, struct vxe_sched_attr, attr);
	const struct vxe_sched_value *lim = &vxe_sched_defaults[a->prop];
	struct vxe_device *vxe = k->vxe;
	struct vxe_sched_value *v;
	bool ok;
	u32 x;
	int err;

	/* .defaults is read-only (0444): sysfs never calls this for it. */
	err = kstrtou32(buf, 0, &x);
	if (err)
		return err;

	mutex_lock(&vxe->sched_lock);
	v = &vxe->sched[k->class][a->prop];
	if (a->field == 0)
		ok = x >= v->min && x <= v->max;
	else if (a->field == 1)
		ok = x <= v->max && x >= lim->min && x <= lim->max;
	else
		ok = x >= v->min && x >= lim->min && x <= lim->max;
	if (ok)
		WRITE_ONCE(*vxe_sched_field(v, a->field), x);
	mutex_unlock(&vxe->sched_lock);
	return ok ? count : -EINVAL;
}

static const struct sysfs_ops vxe_eclass_sysfs_ops = {
	.show = vxe_eclass_show,
	.store = vxe_eclass_store,
};

#define VXE_SCHED_ATTR(_name, _prop, _field)			\
	{ .attr = { .name = _name, .mode = 0644 },		\
	  .prop = _prop, .field = _field }

static struct vxe_sched_attr vxe_sched_attrs[] = {
	VXE_SCHED_ATTR("job_timeout_ms", VXE_SCHED_JOB_TIMEOUT, 0),
	VXE_SCHED_ATTR("job_timeout_min", VXE_SCHED_JOB_TIMEOUT, 1),
	VXE_SCHED_ATTR("job_timeout_max", VXE_SCHED_JOB_TIMEOUT, 2),
	VXE_SCHED_ATTR("timeslice_duration_us", VXE_SCHED_TIMESLICE, 0),
	VXE_SCHED_ATTR("timeslice_duration_min", VXE_SCHED_TIMESLICE, 1),
	VXE_SCHED_ATTR("timeslice_duration_max", VXE_SCHED_TIMESLICE, 2),
	VXE_SCHED_ATTR("preempt_timeout_us", VXE_SCHED_PREEMPT_TIMEOUT, 0),
	VXE_SCHED_ATTR("preempt_timeout_min", VXE_SCHED_PREEMPT_TIMEOUT, 1),
	VXE_SCHED_ATTR("preempt_timeout_max", VXE_SCHED_PREEMPT_TIMEOUT, 2),
};

static struct attribute *vxe_eclass_attrs[] = {
	&vxe_sched_attrs[0].attr, &vxe_sched_attrs[1].attr,
	&vxe_sched_attrs[2].attr, &vxe_sched_attrs[3].attr,
	&vxe_sched_attrs[4].attr, &vxe_sched_attrs[5].attr,
	&vxe_sched_attrs[6].attr, &vxe_sched_attrs[7].attr,
	&vxe_sched_attrs[8].attr, NULL,
};

/* The same files in .defaults, read-only */
static umode_t vxe_eclass_attr_mode(struct kobject *kobj,
				    struct attribute *attr, int n)
{
	struct vxe_eclass_kobj *k = container_of(kobj, struct vxe_eclass_kobj, kobj);

	return k->defaults ? 0444 : attr->mode;
}

static const struct attribute_group vxe_eclass_group = {
	.attrs = vxe_eclass_attrs,
	.is_visible = vxe_eclass_attr_mode,
};

static const struct attribute_group *vxe_eclass_groups[] = {
	&vxe_eclass_group, NULL,
};

static void vxe_eclass_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct vxe_eclass_kobj, kobj));
}

static const struct kobj_type vxe_eclass_ktype = {
	.release = vxe_eclass_release,
	.sysfs_ops = &vxe_eclass_sysfs_ops,
	.default_groups = vxe_eclass_groups,
};

/**
 * struct vxe_sysfs - the sysfs directories of a device
 * @tile: tile0, under the device
 * @gt: tile0/gt0
 * @engines: tile0/gt0/engines
 * @eclass: the directory of each engine class the device has, or NULL
 * @defaults: the .defaults directory in each
 */
struct vxe_sysfs {
	struct kobject *tile;
	struct kobject *gt;
	struct kobject *engines;
	struct vxe_eclass_kobj *eclass[VXE_NR_ENGINE_CLASSES];
	struct vxe_eclass_kobj *defaults[VXE_NR_ENGINE_CLASSES];
};

/* Children first: a directory goes before the one it is in. */
static void vxe_sysfs_fini(void *arg)
{
	struct vxe_sysfs *s = arg;
	int c;

	for (c = 0; c < VXE_NR_ENGINE_CLASSES; c++) {
		if (s->defaults[c])
			kobject_put(&s->defaults[c]->kobj);
		if (s->eclass[c])
			kobject_put(&s->eclass[c]->kobj);
	}
	kobject_put(s->engines);
	kobject_put(s->gt);
	kobject_put(s->tile);
	kfree(s);
}

static struct vxe_eclass_kobj *vxe_eclass_add(struct vxe_device *vxe, u16 class,
					      struct kobject *parent,
					      bool defaults)
{
	struct vxe_eclass_kobj *k = kzalloc(sizeof(*k), GFP_KERNEL);
	int err;

	if (!k)
		return ERR_PTR(-ENOMEM);
	k->vxe = vxe;
	k->class = class;
	k->defaults = defaults;
	err = kobject_init_and_add(&k->kobj, &vxe_eclass_ktype, parent, "%s",
				   defaults ? ".defaults" :
				   vxe_engine_class_name(class));
	if (err) {
		kobject_put(&k->kobj);
		return ERR_PTR(err);
	}
	return k;
}

/**
 * vxe_sysfs_init() - the engine class directories of a device
 * @vxe: the device
 *
 * Creates tile0/gt0/engines/<class>/ and their .defaults under the device's
 * parent (the platform device userspace reaches as
 * /sys/class/drm/cardN/device), removed when the parent's driver unbinds.
 *
 * Return: 0, -ENOMEM, or a sysfs error.
 */
int vxe_sysfs_init(struct vxe_device *vxe)
{
	struct device *dev = vxe->drm.dev;
	struct vxe_sysfs *s = kzalloc(sizeof(*s), GFP_KERNEL);
	int i, err;

	if (!s)
		return -ENOMEM;
	err = devm_add_action_or_reset(dev, vxe_sysfs_fini, s);
	if (err)
		return err;

	s->tile = kobject_create_and_add("tile0", &dev->kobj);
	s->gt = s->tile ? kobject_create_and_add("gt0", s->tile) : NULL;
	s->engines = s->gt ? kobject_create_and_add("engines", s->gt) : NULL;
	if (!s->engines)
		return -ENOMEM;
	for (i = 0; i < vxe->info.num_engines; i++) {
		u16 class = vxe->info.engines[i].engine_class;
		struct vxe_eclass_kobj *k;

		if (s->eclass[class])
			continue;
		k = vxe_eclass_add(vxe, class, s->engines, false);
		if (IS_ERR(k))
			return PTR_ERR(k);
		s->eclass[class] = k;
		k = vxe_eclass_add(vxe, class, &s->eclass[class]->kobj, true);
		if (IS_ERR(k))
			return PTR_ERR(k);
		s->defaults[class] = k;
	}
	return 0;
}
