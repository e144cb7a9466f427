/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers for the gpusvm selftests: an LR + fault-mode VM mirroring
 * the process, exec queues, batches with Intel MI commands, execs with a
 * user fence and the wait for it.  Only <drm/xe_drm.h>: no libdrm, no IGT.
 */
#ifndef XE_SVM_H
#define XE_SVM_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <drm/drm.h>
#include <drm/xe_drm.h>

/* Intel MI commands (MI_INSTR(opcode, length - 2)) */
#define MI_BATCH_BUFFER_END	(0x0a << 23)
#define MI_STORE_DWORD_IMM	((0x20 << 23) | 2)	/* + addr lo, hi, dword */
#define MI_ATOMIC_INC		((0x2f << 23) | (5 << 8) | 1)	/* + addr lo, hi */
#define MI_COPY_MEM_MEM		((0x2e << 23) | 3)	/* + dst lo, hi, src lo, hi */
/* MI_SEMAPHORE_WAIT, polling, until the dword at addr == data; + data, addr lo, hi */
#define MI_SEMAPHORE_WAIT_EQ	((0x1c << 23) | (1 << 15) | (4 << 12) | 2)

/* The value user fences are signalled with */
#define XE_UFENCE_VALUE		0xdeadbeefdeadbeefull

/* Five seconds, in nanoseconds */
#define XE_WAIT_NS		(5ll * 1000 * 1000 * 1000)

static inline int xe_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* A long-running, fault-mode VM (the only kind that mirrors): id or -errno */
static inline int xe_vm_create_fault(int fd)
{
	struct drm_xe_vm_create c = {
		.flags = DRM_XE_VM_CREATE_FLAG_LR_MODE |
			 DRM_XE_VM_CREATE_FLAG_FAULT_MODE,
	};
	int err = xe_ioctl(fd, DRM_IOCTL_XE_VM_CREATE, &c);

	return err ? err : (int)c.vm_id;
}

static inline int xe_vm_destroy(int fd, uint32_t vm)
{
	struct drm_xe_vm_destroy d = { .vm_id = vm };

	return xe_ioctl(fd, DRM_IOCTL_XE_VM_DESTROY, &d);
}

/* One bind operation, no syncs (done when the ioctl returns) */
static inline int xe_bind(int fd, uint32_t vm, uint32_t op, uint32_t flags,
			  uint64_t addr, uint64_t range, uint32_t region)
{
	struct drm_xe_vm_bind b = {
		.vm_id = vm,
		.num_binds = 1,
		.bind = {
			.op = op,
			.flags = flags,
			.addr = addr,
			.range = range,
			.pat_index = 2,	/* write-back, 1-way coherent on Xe2 */
			.prefetch_mem_region_instance = region,
		},
	};

	return xe_ioctl(fd, DRM_IOCTL_XE_VM_BIND, &b);
}

/* Mirror (or stop mirroring) the CPU over [addr, addr + range) */
static inline int xe_mirror(int fd, uint32_t vm, uint64_t addr,
			    uint64_t range)
{
	return xe_bind(fd, vm, DRM_XE_VM_BIND_OP_MAP,
		       DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR, addr, range, 0);
}

static inline int xe_unbind(int fd, uint32_t vm, uint64_t addr,
			    uint64_t range)
{
	return xe_bind(fd, vm, DRM_XE_VM_BIND_OP_UNMAP, 0, addr, range, 0);
}

/* An exec queue on engine (class, instance) of GT 0: id or -errno */
static inline int xe_queue_create(int fd, uint32_t vm, uint16_t class,
				  uint16_t instance)
{
	struct drm_xe_engine_class_instance eci = {
		.engine_class = class,
		.engine_instance = instance,
	};
	struct drm_xe_exec_queue_create c = {
		.width = 1,
		.num_placements = 1,
		.vm_id = vm,
		.instances = (uintptr_t)&eci,
	};
	int err = xe_ioctl(fd, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &c);

	return err ? err : (int)c.exec_queue_id;
}

static inline int xe_queue_destroy(int fd, uint32_t q)
{
	struct drm_xe_exec_queue_destroy d = { .exec_queue_id = q };

	return xe_ioctl(fd, DRM_IOCTL_XE_EXEC_QUEUE_DESTROY, &d);
}

/*
 * EXEC of @n batches (@address: the batch's address, or with a parallel
 * queue that of the array of their addresses); the engine writes
 * XE_UFENCE_VALUE at @ufence when they are done.  0 or -errno.
 */
static inline int xe_exec_batches(int fd, uint32_t q, uint64_t address,
				  uint16_t n, uint64_t *ufence)
{
	struct drm_xe_sync sync = {
		.type = DRM_XE_SYNC_TYPE_USER_FENCE,
		.flags = DRM_XE_SYNC_FLAG_SIGNAL,
		.addr = (uintptr_t)ufence,
		.timeline_value = XE_UFENCE_VALUE,
	};
	struct drm_xe_exec e = {
		.exec_queue_id = q,
		.num_syncs = ufence ? 1 : 0,
		.syncs = (uintptr_t)&sync,
		.address = address,
		.num_batch_buffer = n,
	};

	return xe_ioctl(fd, DRM_IOCTL_XE_EXEC, &e);
}

/* Run the batch at @batch; the engine writes XE_UFENCE_VALUE at @ufence */
static inline int xe_exec(int fd, uint32_t q, const void *batch,
			  uint64_t *ufence)
{
	return xe_exec_batches(fd, q, (uintptr_t)batch, 1, ufence);
}

/* Wait until *@ufence == XE_UFENCE_VALUE: 0, -ETIME, -EIO (queue banned) */
static inline int xe_wait_ufence(int fd, uint32_t q,
				 uint64_t *ufence, int64_t timeout_ns)
{
	struct drm_xe_wait_user_fence w = {
		.addr = (uintptr_t)ufence,
		.op = DRM_XE_UFENCE_WAIT_OP_EQ,
		.value = XE_UFENCE_VALUE,
		.mask = ~0ull,
		.timeout = timeout_ns,
		.exec_queue_id = q,
	};

	return xe_ioctl(fd, DRM_IOCTL_XE_WAIT_USER_FENCE, &w);
}

/* Append "store @value at @addr" to a batch; returns the next free slot */
static inline uint32_t *xe_emit_store(uint32_t *b, uint64_t addr,
				      uint32_t value)
{
	*b++ = MI_STORE_DWORD_IMM;
	*b++ = (uint32_t)addr;
	*b++ = (uint32_t)(addr >> 32);
	*b++ = value;
	return b;
}

static inline uint32_t *xe_emit_atomic_inc(uint32_t *b, uint64_t addr)
{
	*b++ = MI_ATOMIC_INC;
	*b++ = (uint32_t)addr;
	*b++ = (uint32_t)(addr >> 32);
	return b;
}

/* Append "copy the dword at @src to @dst" (MI_COPY_MEM_MEM) to a batch */
static inline uint32_t *xe_emit_copy(uint32_t *b, uint64_t dst, uint64_t src)
{
	*b++ = MI_COPY_MEM_MEM;
	*b++ = (uint32_t)dst;
	*b++ = (uint32_t)(dst >> 32);
	*b++ = (uint32_t)src;
	*b++ = (uint32_t)(src >> 32);
	return b;
}

/* Append "wait until the dword at @addr is @value" to a batch */
static inline uint32_t *xe_emit_wait_eq(uint32_t *b, uint64_t addr,
					uint32_t value)
{
	*b++ = MI_SEMAPHORE_WAIT_EQ;
	*b++ = value;
	*b++ = (uint32_t)addr;
	*b++ = (uint32_t)(addr >> 32);
	return b;
}

static inline uint32_t *xe_emit_end(uint32_t *b)
{
	*b++ = MI_BATCH_BUFFER_END;
	return b;
}

/* Dword @i of the data pattern of @seed */
static inline uint32_t pattern(uint32_t seed, unsigned int i)
{
	uint32_t x = seed ^ (i * 0x9e3779b9u);

	x ^= x >> 16;
	x *= 0x7feb352du;
	return x ^ (x >> 15);
}

/* The first @max engines of the device into @eng: their number, or -1 */
static inline int query_engines(int fd,
				struct drm_xe_engine_class_instance *eng,
				int max)
{
	struct drm_xe_device_query dq = { .query = DRM_XE_DEVICE_QUERY_ENGINES };
	struct drm_xe_query_engines *e;
	int n, i;

	if (xe_ioctl(fd, DRM_IOCTL_XE_DEVICE_QUERY, &dq))
		return -1;
	e = calloc(1, dq.size);
	if (!e)
		return -1;
	dq.data = (uintptr_t)e;
	if (xe_ioctl(fd, DRM_IOCTL_XE_DEVICE_QUERY, &dq)) {
		free(e);
		return -1;
	}
	n = e->num_engines < (unsigned int)max ? (int)e->num_engines : max;
	for (i = 0; i < n; i++)
		eng[i] = e->engines[i].instance;
	free(e);
	return n;
}

/* /sys/kernel/debug/dri/<minor of @fd>/@name into @path: 0 or -errno */
static inline int debugfs_path(int fd, const char *name, char *path,
			       size_t size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	snprintf(path, size, "/sys/kernel/debug/dri/%u/%s", minor(st.st_rdev),
		 name);
	return 0;
}

/* Open /sys/kernel/debug/dri/<minor of @fd>/@name, or NULL */
static inline FILE *debugfs_open(int fd, const char *name)
{
	char path[96];

	return debugfs_path(fd, name, path, sizeof(path)) ? NULL :
	       fopen(path, "r");
}

/* Does vxe's debugfs (file svm) list a range covering @addr in @state? */
static inline int svm_range_state(int fd, uint64_t addr, const char *state)
{
	FILE *f = debugfs_open(fd, "svm");
	unsigned long start, end;
	char line[160];
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " range [%lx, %lx)", &start, &end) == 2 &&
		    start <= addr && addr < end && strstr(line, state))
			found = 1;
	fclose(f);
	return found;
}

/* Does the device report VRAM (DRM_XE_QUERY_CONFIG_FLAG_HAS_VRAM)? */
/* Entry @idx (DRM_XE_QUERY_CONFIG_*) of the config query, or 0 */
static inline uint64_t xe_config(int fd, unsigned int idx)
{
	struct drm_xe_device_query dq = { .query = DRM_XE_DEVICE_QUERY_CONFIG };
	struct drm_xe_query_config *c;
	uint64_t val = 0;

	if (xe_ioctl(fd, DRM_IOCTL_XE_DEVICE_QUERY, &dq))
		return 0;
	c = calloc(1, dq.size);
	if (!c)
		return 0;
	dq.data = (uintptr_t)c;
	if (!xe_ioctl(fd, DRM_IOCTL_XE_DEVICE_QUERY, &dq) && idx < c->num_params)
		val = c->info[idx];
	free(c);
	return val;
}

static inline int has_vram(int fd)
{
	return !!(xe_config(fd, DRM_XE_QUERY_CONFIG_FLAGS) &
		  DRM_XE_QUERY_CONFIG_FLAG_HAS_VRAM);
}

/* DRM_XE_MADVISE one attribute (@type) of [@start, @start + @range) */
static inline int xe_madvise(int fd, uint32_t vm, uint64_t start,
			     uint64_t range, uint32_t type, uint32_t val)
{
	struct drm_xe_madvise m = {
		.vm_id = vm, .start = start, .range = range, .type = type,
	};

	if (type == DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC)
		m.preferred_mem_loc.devmem_fd = val;
	else if (type == DRM_XE_MEM_RANGE_ATTR_ATOMIC)
		m.atomic.val = val;
	else
		m.pat_index.val = val;
	return xe_ioctl(fd, DRM_IOCTL_XE_MADVISE, &m);
}

/* MADVISE a preferred location: a device's fd and region, or a default */
static inline int xe_madvise_loc(int fd, uint32_t vm, uint64_t start,
				 uint64_t range, int devmem_fd, uint32_t region)
{
	struct drm_xe_madvise m = {
		.vm_id = vm, .start = start, .range = range,
		.type = DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC,
		.preferred_mem_loc.devmem_fd = devmem_fd,
		.preferred_mem_loc.region_instance = region,
	};

	return xe_ioctl(fd, DRM_IOCTL_XE_MADVISE, &m);
}

/*
 * The count of @name (vms, exec_queues, jobs, bos, svm_bos, svm_ranges,
 * userptrs, vram_used, svm_notifiers) in vxe's debugfs file objects, or -1 (not vxe)
 */
static inline long vxe_objects(int fd, const char *name)
{
	FILE *f = debugfs_open(fd, "objects");
	size_t len = strlen(name);
	char line[96];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			v = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return v;
}

#endif
