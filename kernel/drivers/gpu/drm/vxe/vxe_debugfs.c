// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/string_choices.h>
#include <drm/drm_debugfs.h>
#include <drm/drm_file.h>
#include <drm/ttm/ttm_placement.h>
#include <drm/ttm/ttm_resource.h>

#include "vxe_device.h"
#include "vxe_pat.h"
#include "vxe_exec_queue.h"
#include "vxe_vm.h"

/**
 * DOC: vxe debugfs
 *
 * Under ``/sys/kernel/debug/dri/<minor>/`` of the primary node:
 *
 * - ``gt0/stats``: Xe's per-GT statistics file, with the lines Xe prints
 *   (vxe_gt_stats.c: ``svm_pagefault_count: N`` is what IGT reads: the GPU
 *   page faults served in CPU-address mirrors); writing a true value
 *   clears them, as on Xe;
 * - ``atomic_svm_timeslice_ms``: how long a range migrated to VRAM for a
 *   GPU atomic stays there before a CPU fault may take it back, as Xe's
 *   (read and written in milliseconds);
 * - ``gt0/force_reset``, ``gt0/force_reset_sync``: a write resets the GT,
 *   as on Xe: the jobs running then fail and their queues are banned; the
 *   second returns once they have stopped (vxe_gt_reset());
 * - ``gt0/pat_sw_config``: the PAT table, in the lines of Xe's (vxe_pat.c):
 *   IGT takes the PAT indices of every Xe test from it;
 * - ``svm``: every VM of the device, its VMAs, and its SVM ranges with
 *   their state (bound, pages valid, unmapped) and where their pages live
 *   (``sysmem``, ``vram``, or ``peer vram`` in the VRAM of a peer on the
 *   interconnect);
 * - ``vram0_mm`` and ``tile0/vram_mm`` (with VRAM): TTM's VRAM manager,
 *   its buddy allocator's free blocks; ``gtt_mm``: TTM's manager of GPU-mapped system memory
 *   (%TTM_PL_TT), as Xe names them;
 * - ``info``: the lines of Xe's ``info`` that apply to vxe (device and
 *   revision ids, discrete, tiles, page-table levels, page faults);
 * - ``forcewake_all``: held open, it keeps the GT awake on Xe; vxe's GT is
 *   always awake, and ``info`` counts the holders (``gt0 force wake``);
 * - ``objects``: what the device holds, one ``name: count`` a line: its
 *   VMs, exec queues, jobs not retired, BOs (SVM allocations included),
 *   SVM allocations, SVM ranges, the bytes of VRAM in use, and the SVM
 *   notifiers of all vxe devices.  Leak checks wait for them to return
 *   to zero once a process closed its files or exited.
 */

static int vxe_gt_stats_show(struct seq_file *m, void *data)
{
	struct vxe_device *vxe = m->private;

	vxe_gt_stats_print(&vxe->stats, m);
	return 0;
}

static int vxe_gt_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, vxe_gt_stats_show, inode->i_private);
}

/* As Xe's: a true value (kstrtobool()) clears the statistics. */
static ssize_t vxe_gt_stats_write(struct file *file, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	struct vxe_device *vxe = file_inode(file)->i_private;
	bool clear;
	int err;

	err = kstrtobool_from_user(buf, count, &clear);
	if (err)
		return err;
	if (clear)
		vxe_gt_stats_clear(&vxe->stats);
	return count;
}

static const struct file_operations vxe_gt_stats_fops = {
	.owner = THIS_MODULE,
	.open = vxe_gt_stats_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = vxe_gt_stats_write,
};

static int vxe_atomic_svm_timeslice_get(void *data, u64 *val)
{
	struct vxe_device *vxe = data;

	*val = READ_ONCE(vxe->atomic_svm_timeslice_ms);
	return 0;
}

static int vxe_atomic_svm_timeslice_set(void *data, u64 val)
{
	struct vxe_device *vxe = data;

	if (val > U32_MAX)
		return -EINVAL;
	WRITE_ONCE(vxe->atomic_svm_timeslice_ms, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(vxe_atomic_svm_timeslice_fops,
			 vxe_atomic_svm_timeslice_get,
			 vxe_atomic_svm_timeslice_set, "%llu\n");

static ssize_t vxe_force_reset_write(struct file *file,
				     const char __user *buf, size_t count,
				     loff_t *ppos)
{
	struct vxe_device *vxe = file->private_data;

	vxe_gt_reset(vxe, false);
	return count;
}

static ssize_t vxe_force_reset_sync_write(struct file *file,
					  const char __user *buf, size_t count,
					  loff_t *ppos)
{
	struct vxe_device *vxe = file->private_data;
	int err = vxe_gt_reset(vxe, true);

	return err ?: count;
}

static const struct file_operations vxe_force_reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = vxe_force_reset_write,
	.llseek = noop_llseek,
};

static const struct file_operations vxe_force_reset_sync_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = vxe_force_reset_sync_write,
	.llseek = noop_llseek,
};

/* The engine classes that run parallel queues, by their short names */
static void vxe_info_multi_lrc(struct seq_file *m)
{
	u16 class;

	seq_puts(m, "multi_lrc_engine_classes");
	for (class = 0; class < VXE_NR_ENGINE_CLASSES; class++)
		if (VXE_MULTI_LRC_CLASSES & BIT(class))
			seq_printf(m, " %s", vxe_engine_class_name(class));
	seq_putc(m, '\n');
}

/* The lines of Xe's debugfs info that vxe has answers for */
static int vxe_info_show(struct seq_file *m, void *data)
{
	struct vxe_device *vxe = m->private;

	seq_printf(m, "graphics_verx100 %d\n",
		   VXE_IP_VER_MAJOR * 100 + VXE_IP_VER_MINOR);
	seq_printf(m, "is_dgfx %s\n", str_yes_no(vxe->vram));
	seq_printf(m, "devid 0x%x\n", vxe->info.devid);
	seq_printf(m, "revid %d\n", vxe->info.revid);
	seq_puts(m, "tile_count 1\n");
	/* Four levels of 512 entries: the root is level 3 */
	seq_printf(m, "vm_max_level %d\n", VXE_PT_LEVELS - 1);
	seq_puts(m, "has_flat_ccs no\n");
	seq_puts(m, "has_usm yes\n");
	vxe_info_multi_lrc(m);
	seq_printf(m, "gt0 force wake %d\n", atomic_read(&vxe->forcewake));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vxe_info);

static int vxe_forcewake_open(struct inode *inode, struct file *file)
{
	struct vxe_device *vxe = inode->i_private;

	atomic_inc(&vxe->forcewake);
	file->private_data = vxe;
	return 0;
}

static int vxe_forcewake_release(struct inode *inode, struct file *file)
{
	struct vxe_device *vxe = inode->i_private;

	atomic_dec(&vxe->forcewake);
	return 0;
}

static const struct file_operations vxe_forcewake_all_fops = {
	.owner = THIS_MODULE,
	.open = vxe_forcewake_open,
	.release = vxe_forcewake_release,
};

static void vxe_debugfs_vm(struct seq_file *m, struct vxe_vm *vm)
{
	struct drm_gpusvm_notifier *notifier;
	struct drm_gpuva *va;
	unsigned int n = 0;

	seq_printf(m, "vm %p: flags %#x%s, %d ranges\n", vm, vm->flags,
		   vm->closed ? " closed" : "", atomic_read(&vm->nr_ranges));
	drm_gpuvm_for_each_va(va, &vm->gpuvm) {
		struct vxe_vma *vma = to_vxe_vma(va);

		seq_printf(m, "  vma [%#llx, %#llx) %s%s\n", va->va.addr,
			   va->va.addr + va->va.range,
			   vxe_vma_is_mirror(vma) ? "mirror" :
			   vxe_vma_is_userptr(vma) ? "userptr" :
			   vxe_vma_is_null(vma) ? "null" : "bo",
			   !vxe_vma_is_mirror(vma) && vma->bound ? " bound" : "");
	}
	if (!(vm->flags & VXE_VM_FAULT_MODE) || vm->closed)
		return;
	drm_gpusvm_for_each_notifier(notifier, &vm->svm.gpusvm, 0, ULONG_MAX)
		n++;
	seq_printf(m, "  notifiers %u of %lu MiB\n", n,
		   vm->svm.cfg.notifier_size / SZ_1M);
	drm_gpusvm_for_each_notifier(notifier, &vm->svm.gpusvm, 0, ULONG_MAX) {
		struct drm_gpusvm_range *r = NULL;

		drm_gpusvm_for_each_range(r, notifier, 0, ULONG_MAX) {
			struct vxe_svm_range *range = to_vxe_svm_range(r);

			seq_printf(m, "  range [%#lx, %#lx) %s%s%s%s\n",
				   drm_gpusvm_range_start(r),
				   drm_gpusvm_range_end(r),
				   !range->pages.flags.has_devmem_pages ? "sysmem" :
				   range->pages.dpagemap == vm->svm.dpagemap ? "vram" :
				   "peer vram",
				   range->bound ? " bound" : "",
				   range->pages.flags.has_dma_mapping ? " pages" : "",
				   r->flags.unmapped ? " unmapped" : "");
		}
	}
}

/*
 * Each VM is shown under its own lock, not under &vxe_device.vms_lock:
 * the VM lock comes before the mmap lock (binds read user memory under
 * it), and the mmap lock before vms_lock (exit_mmap() may drop the last
 * reference on a VM, whose free takes vms_lock).  A reference keeps the
 * VM, and so its place in the list, while vms_lock is dropped.
 */
static int vxe_svm_show(struct seq_file *m, void *data)
{
	struct vxe_device *vxe = m->private;
	struct vxe_vm *vm, *shown = NULL;

	mutex_lock(&vxe->vms_lock);
	list_for_each_entry(vm, &vxe->vms, link) {
		if (!kref_get_unless_zero(&vm->gpuvm.kref))
			continue;	/* being freed */
		mutex_unlock(&vxe->vms_lock);
		if (shown)
			vxe_vm_put(shown);
		mutex_lock(&vm->lock);
		vxe_debugfs_vm(m, vm);
		mutex_unlock(&vm->lock);
		shown = vm;
		mutex_lock(&vxe->vms_lock);
	}
	mutex_unlock(&vxe->vms_lock);
	if (shown)
		vxe_vm_put(shown);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vxe_svm);

static int vxe_objects_show(struct seq_file *m, void *data)
{
	struct vxe_device *vxe = m->private;

	seq_printf(m, "vms: %d\n", atomic_read(&vxe->nr_vms));
	seq_printf(m, "exec_queues: %d\n", atomic_read(&vxe->nr_queues));
	seq_printf(m, "jobs: %d\n", atomic_read(&vxe->nr_jobs));
	seq_printf(m, "bos: %d\n", atomic_read(&vxe->nr_bos));
	seq_printf(m, "svm_bos: %d\n", atomic_read(&vxe->nr_svm_bos));
	seq_printf(m, "svm_ranges: %d\n", atomic_read(&vxe->nr_svm_ranges));
	seq_printf(m, "userptrs: %d\n", atomic_read(&vxe->nr_userptrs));
	seq_printf(m, "vram_used: %llu\n", vxe->vram ?
		   ttm_resource_manager_usage(&vxe->vram_mgr.manager) : 0);
	seq_printf(m, "svm_notifiers: %d\n", vxe_svm_nr_notifiers());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vxe_objects);

static int vxe_pat_sw_config_show(struct seq_file *m, void *data)
{
	vxe_pat_dump_sw_config(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vxe_pat_sw_config);

/**
 * vxe_debugfs_init() - the &drm_driver.debugfs_init hook
 * @minor: the primary minor of a vxe device
 */
void vxe_debugfs_init(struct drm_minor *minor)
{
	struct vxe_device *vxe = to_vxe_device(minor->dev);
	struct dentry *gt, *tile;

	gt = debugfs_create_dir("gt0", minor->debugfs_root);
	debugfs_create_file("stats", 0644, gt, vxe, &vxe_gt_stats_fops);
	debugfs_create_file("force_reset", 0200, gt, vxe,
			    &vxe_force_reset_fops);
	debugfs_create_file("force_reset_sync", 0200, gt, vxe,
			    &vxe_force_reset_sync_fops);
	debugfs_create_file("pat_sw_config", 0444, gt, vxe,
			    &vxe_pat_sw_config_fops);
	debugfs_create_file("svm", 0444, minor->debugfs_root, vxe,
			    &vxe_svm_fops);
	debugfs_create_file("objects", 0444, minor->debugfs_root, vxe,
			    &vxe_objects_fops);
	debugfs_create_file_unsafe("atomic_svm_timeslice_ms", 0644,
				   minor->debugfs_root, vxe,
				   &vxe_atomic_svm_timeslice_fops);
	debugfs_create_file("info", 0444, minor->debugfs_root, vxe,
			    &vxe_info_fops);
	debugfs_create_file("forcewake_all", 0400, minor->debugfs_root, vxe,
			    &vxe_forcewake_all_fops);
	ttm_resource_manager_create_debugfs(ttm_manager_type(&vxe->ttm,
							     TTM_PL_TT),
					    minor->debugfs_root, "gtt_mm");
	/* Xe's tile directory: its VRAM manager again, as Xe's tile0/vram_mm */
	tile = debugfs_create_dir("tile0", minor->debugfs_root);
	if (vxe->vram) {
		ttm_resource_manager_create_debugfs(&vxe->vram_mgr.manager,
						    minor->debugfs_root, "vram0_mm");
		ttm_resource_manager_create_debugfs(&vxe->vram_mgr.manager,
						    tile, "vram_mm");
	}
}
