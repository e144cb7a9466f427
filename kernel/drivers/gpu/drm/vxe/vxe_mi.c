// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * The command streamer of vxe's engines: it runs a batch of Intel MI
 * commands at a GPU virtual address, every fetch and every memory access
 * through the VM's page tables and TLB, faulting like hardware.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <drm/drm_print.h>
#include <kunit/visibility.h>

#include "vxe_device.h"
#include "vxe_mi.h"
#include "vxe_pt.h"
#include "vxe_vm.h"

/* Dwords one fetch reads at most; a fetch never crosses a 4K page. */
#define MI_FETCH_DW		16

/* Commands between two should_stop() checks (and cond_resched()). */
#define MI_CHECK_EVERY		32

/* Semaphore polls with cond_resched() before sleeping between polls. */
#define MI_POLL_SPIN		16
#define MI_POLL_MIN_US		50
#define MI_POLL_MAX_US		200

/* Returned by a command that ends the batch. */
#define MI_DONE			1

/* The longest fixed-length command: MI_ATOMIC with inline data. */
#define MI_MAX_FIXED_DW		11

/* Bytes a blitter command moves with one access, and between two checks. */
#define MI_BLT_PIECE		256
#define MI_BLT_CHECK		SZ_64K
/* XY_FAST_COPY_BLT moves a row this many bytes at a time */
#define MI_FAST_COPY_PIECE	SZ_4K

/**
 * struct mi_run - the state of a command streamer running one batch
 * @ctx: the caller's context
 * @vm: the VM
 * @ip: address of the next command
 * @cmd: address of the command being executed
 * @hdr: its header
 * @level: current batch level (0: the batch vxe_mi_run() was given)
 * @ret: return addresses of the nested levels
 * @win_addr: address of the first fetched dword
 * @win_n: number of fetched dwords (0: none)
 * @win: the dwords last fetched, a window of the batch
 */
struct mi_run {
	struct vxe_mi_ctx *ctx;
	struct vxe_vm *vm;
	u64 ip;
	u64 cmd;
	u32 hdr;
	unsigned int level;
	u64 ret[VXE_MI_MAX_LEVELS];
	u64 win_addr;
	unsigned int win_n;
	u32 win[MI_FETCH_DW];
};

/**
 * struct mi_atomic - one MI_ATOMIC operation, carried out under the
 *	page-table lock by mi_atomic_copy()
 * @vxe: the device (its memory port)
 * @op: the operation (%VXE_ATOMIC_AND...)
 * @size: 4 or 8 bytes
 * @op1: operand 1
 * @op2: operand 2
 * @old: out: the value before the operation
 * @new: out: the value after it
 */
struct mi_atomic {
	struct vxe_device *vxe;
	unsigned int op;
	unsigned int size;
	u64 op1;
	u64 op2;
	u64 old;
	u64 new;
};

static u64 mi_addr(u32 lo, u32 hi)
{
	return ((u64)hi << 32 | lo) & VXE_MI_ADDR_MASK;
}

/* Total dwords of a command with an 8-bit length field. */
static unsigned int mi_len(u32 hdr)
{
	return FIELD_GET(VXE_MI_LEN, hdr) + 2;
}

static int mi_fault(struct mi_run *r, u64 addr, int err)
{
	r->ctx->err_is_fault = true;
	r->ctx->err_addr = addr;
	return err;
}

static bool mi_should_stop(struct mi_run *r)
{
	return r->ctx->should_stop && r->ctx->should_stop(r->ctx->priv);
}

/* A write to memory may change the batch: forget the fetched window. */
static void mi_clobber(struct mi_run *r, u64 addr, size_t len)
{
	if (r->win_n && addr < r->win_addr + 4 * r->win_n &&
	    addr + len > r->win_addr)
		r->win_n = 0;
}

/*
 * Read or write memory, one 4K piece at a time, so that a fault is
 * reported at the address of the piece that faulted.
 */
static int mi_access(struct mi_run *r, u64 addr, void *buf, size_t len,
		     bool write)
{
	while (len) {
		size_t n = min_t(u64, len, SZ_4K - (addr & (SZ_4K - 1)));
		int err;

		err = vxe_gpu_access(r->vm, addr, buf, n, write);
		if (err)
			return mi_fault(r, addr, err);
		if (write)
			mi_clobber(r, addr, n);
		addr += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Fetch the dword of the batch at @addr.  A fetch reads a few dwords
 * ahead, never past the 4K page of @addr: a batch ending on the last
 * dword of a page does not touch the next page.
 */
static int mi_fetch(struct mi_run *r, u64 addr, u32 *dw)
{
	if (!r->win_n || addr < r->win_addr ||
	    addr >= r->win_addr + 4 * r->win_n) {
		unsigned int n = min_t(u64, MI_FETCH_DW,
				       (SZ_4K - (addr & (SZ_4K - 1))) / 4);
		int err;

		r->win_n = 0;
		err = vxe_gpu_access(r->vm, addr, r->win, 4 * n, false);
		if (err)
			return mi_fault(r, addr, err);
		r->win_addr = addr;
		r->win_n = n;
	}
	*dw = r->win[(addr - r->win_addr) / 4];
	return 0;
}

/* Fetch the first @n dwords of the current command. */
static int mi_fetch_cmd(struct mi_run *r, u32 *dw, unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		err = mi_fetch(r, r->cmd + 4 * i, &dw[i]);
		if (err)
			return err;
	}
	return 0;
}

static bool mi_compare(unsigned int op, u32 mem, u32 data)
{
	switch (op) {
	case 0:
		return mem > data;
	case 1:
		return mem >= data;
	case 2:
		return mem < data;
	case 3:
		return mem <= data;
	case 4:
		return mem == data;
	default:
		return mem != data;
	}
}

static int mi_reg_find(const struct vxe_mi_ctx *ctx, u32 offset)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_regs; i++)
		if (ctx->regs[i][0] == offset)
			return i;
	return -1;
}

/* The context's run time: CTX_TIMESTAMP, in reference clock ticks */
static u64 mi_ctx_timestamp(const struct vxe_mi_ctx *ctx)
{
	return ctx->ctx_ticks + vxe_engine_timestamp() - ctx->run_start;
}

/*
 * The timestamp registers are read-only counters (writes are dropped):
 * RING_TIMESTAMP and its upper dword, the engine's (vxe_engine_timestamp()),
 * and CTX_TIMESTAMP, the time the context has run.  Returns whether
 * @offset is one of them, with its value in @value.
 */
static bool mi_reg_timestamp(const struct vxe_mi_ctx *ctx, u32 offset,
			     u32 *value)
{
	switch (offset - ctx->mmio_base) {
	case VXE_MI_RING_TIMESTAMP:
		*value = lower_32_bits(vxe_engine_timestamp());
		return true;
	case VXE_MI_RING_TIMESTAMP_UDW:
		*value = upper_32_bits(vxe_engine_timestamp());
		return true;
	case VXE_MI_CTX_TIMESTAMP:
		*value = lower_32_bits(mi_ctx_timestamp(ctx));
		return true;
	case VXE_MI_CTX_TIMESTAMP_UDW:
		*value = upper_32_bits(mi_ctx_timestamp(ctx));
		return true;
	default:
		return false;
	}
}

static u32 mi_reg_read(const struct vxe_mi_ctx *ctx, u32 offset)
{
	u32 value;
	int i;

	if (mi_reg_timestamp(ctx, offset, &value))
		return value;
	i = mi_reg_find(ctx, offset);
	return i < 0 ? 0 : ctx->regs[i][1];
}

/* Write the bytes of @value that @mask selects; unwritten registers are 0. */
static int mi_reg_write(struct vxe_mi_ctx *ctx, u32 offset, u32 value,
			u32 mask)
{
	u32 ignored;
	int i;

	if (!mask || mi_reg_timestamp(ctx, offset, &ignored))
		return 0;
	i = mi_reg_find(ctx, offset);
	if (i < 0) {
		if (ctx->nr_regs >= VXE_MI_NR_REGS)
			return -ENOSPC;
		i = ctx->nr_regs++;
		ctx->regs[i][0] = offset;
		ctx->regs[i][1] = 0;
	}
	ctx->regs[i][1] = (ctx->regs[i][1] & ~mask) | (value & mask);
	return 0;
}

static u64 mi_gpr_read(const struct vxe_mi_ctx *ctx, unsigned int n)
{
	u32 reg = ctx->mmio_base + VXE_MI_CS_GPR(n);

	return (u64)mi_reg_read(ctx, reg + 4) << 32 | mi_reg_read(ctx, reg);
}

static int mi_gpr_write(struct vxe_mi_ctx *ctx, unsigned int n, u64 value)
{
	u32 reg = ctx->mmio_base + VXE_MI_CS_GPR(n);
	int err;

	err = mi_reg_write(ctx, reg, lower_32_bits(value), U32_MAX);
	if (!err)
		err = mi_reg_write(ctx, reg + 4, upper_32_bits(value), U32_MAX);
	return err;
}

/* A register operand: an MMIO offset, relative to the engine with @cs_mmio */
static u32 mi_reg_offset(const struct mi_run *r, u32 dw, bool cs_mmio)
{
	dw &= VXE_MI_REG_OFFSET;
	return cs_mmio ? dw + r->ctx->mmio_base : dw;
}

/* End the current batch level: return to the caller, or end the batch. */
static int mi_end_level(struct mi_run *r)
{
	if (!r->level)
		return MI_DONE;
	r->ip = r->ret[--r->level];
	r->win_n = 0;
	return 0;
}

static int mi_batch_buffer_start(struct mi_run *r)
{
	u32 dw[3];
	int err;

	if (mi_len(r->hdr) != 3 || (r->hdr & VXE_MI_BBS_PREDICATE))
		return -ENOEXEC;
	err = mi_fetch_cmd(r, dw, 3);
	if (err)
		return err;

	/*
	 * Chained (a jump) unless nested (a call): hardware keeps one return
	 * address per level.  The batch is PPGTT whatever bit 8 says: a batch
	 * started from a PPGTT batch is in the PPGTT.
	 */
	if (r->hdr & VXE_MI_BBS_NESTED) {
		if (r->level + 1 >= VXE_MI_MAX_LEVELS)
			return -ELOOP;
		r->ret[r->level++] = r->cmd + 4 * 3;
	}
	r->ip = mi_addr(dw[1] & ~3u, dw[2]);
	/* Fetch again: the CPU may have rewritten a looping batch. */
	r->win_n = 0;
	return 0;
}

static int mi_cond_batch_buffer_end(struct mi_run *r)
{
	unsigned int op = FIELD_GET(VXE_MI_COMPARE_OP, r->hdr);
	u32 dw[4], mem[2];
	u64 addr;
	int err;

	if (mi_len(r->hdr) != 4)
		return -ENOEXEC;
	if (r->hdr & VXE_MI_GGTT)
		return -EPERM;
	if ((r->hdr & VXE_MI_CBBE_PREDICATE) || op > 5)
		return -ENOEXEC;
	err = mi_fetch_cmd(r, dw, 4);
	if (err)
		return err;
	r->ip = r->cmd + 4 * 4;
	/* Without "compare semaphore", the command is a no-op. */
	if (!(r->hdr & VXE_MI_DO_COMPARE))
		return 0;

	addr = mi_addr(dw[2], dw[3]);
	if (r->hdr & VXE_MI_CBBE_MASK_MODE) {
		/* A qword: mask, then data; their AND is compared. */
		err = mi_access(r, addr & ~7ull, mem, 8, false);
		mem[0] &= mem[1];
	} else {
		err = mi_access(r, addr & ~3ull, mem, 4, false);
	}
	if (err)
		return err;

	/* True: go on; false: end this level or the whole batch. */
	if (mi_compare(op, mem[0], dw[1]))
		return 0;
	if (r->hdr & VXE_MI_CBBE_END_LEVEL)
		return mi_end_level(r);
	return MI_DONE;
}

static int mi_store_data_imm(struct mi_run *r)
{
	unsigned int len = FIELD_GET(VXE_MI_SDI_LEN, r->hdr) + 2;
	unsigned int n = len - 3, i, j, chunk;
	u32 dw[3], data[MI_FETCH_DW];
	u64 addr;
	int err;

	/* At least one data dword; an even number of them for qwords. */
	if (len < 4 || ((r->hdr & VXE_MI_SDI_QWORD) && (n & 1)))
		return -ENOEXEC;
	if (r->hdr & VXE_MI_GGTT)
		return -EPERM;
	err = mi_fetch_cmd(r, dw, 3);
	if (err)
		return err;
	addr = mi_addr(dw[1] & ~3u, dw[2]);

	for (i = 0; i < n; i += chunk) {
		chunk = min(n - i, MI_FETCH_DW);
		for (j = 0; j < chunk; j++) {
			err = mi_fetch(r, r->cmd + 4 * (3 + i + j), &data[j]);
			if (err)
				return err;
		}
		err = mi_access(r, addr + 4 * i, data, 4 * chunk, true);
		if (err)
			return err;
	}
	r->ip = r->cmd + 4 * len;
	return 0;
}

/*
 * Registers written beyond the file's %VXE_MI_NR_REGS distinct offsets
 * fail the command with -ENOSPC (the pairs before it are written).
 */
static int mi_load_register_imm(struct mi_run *r)
{
	unsigned int len = mi_len(r->hdr), i;
	u32 mask = 0, offset, value;
	int err;

	/* 1 + 2n dwords */
	if (!(len & 1) || len < 3)
		return -ENOEXEC;
	for (i = 0; i < 4; i++)
		if (!(r->hdr & BIT(8 + i)))
			mask |= 0xffu << (8 * i);

	for (i = 1; i < len; i += 2) {
		err = mi_fetch(r, r->cmd + 4 * i, &offset);
		if (!err)
			err = mi_fetch(r, r->cmd + 4 * (i + 1), &value);
		if (err)
			return err;
		offset = mi_reg_offset(r, offset, r->hdr & VXE_MI_LRI_CS_MMIO);
		err = mi_reg_write(r->ctx, offset, value, mask);
		if (err)
			return err;
	}
	r->ip = r->cmd + 4 * len;
	return 0;
}

/* MI_LOAD_REGISTER_REG: 3 dwords, a register copied to another */
static int mi_load_register_reg(struct mi_run *r)
{
	u32 dw[3], src, dst;
	int err;

	if (mi_len(r->hdr) != 3)
		return -ENOEXEC;
	err = mi_fetch_cmd(r, dw, 3);
	if (err)
		return err;
	src = mi_reg_offset(r, dw[1], r->hdr & VXE_MI_LRR_SRC_CS_MMIO);
	dst = mi_reg_offset(r, dw[2], r->hdr & VXE_MI_LRR_DST_CS_MMIO);
	err = mi_reg_write(r->ctx, dst, mi_reg_read(r->ctx, src), U32_MAX);
	if (err)
		return err;
	r->ip = r->cmd + 4 * 3;
	return 0;
}

/*
 * MI_STORE_REGISTER_MEM and MI_LOAD_REGISTER_MEM: 4 dwords, a register
 * stored to the dword at a 48-bit address, or loaded from it.  Predicated
 * stores are not modeled (-ENOEXEC).
 */
static int mi_register_mem(struct mi_run *r, bool store)
{
	u32 dw[4], reg, val;
	u64 addr;
	int err;

	if (mi_len(r->hdr) != 4)
		return -ENOEXEC;
	if (r->hdr & VXE_MI_GGTT)
		return -EPERM;
	if (store && (r->hdr & VXE_MI_SRM_PREDICATE))
		return -ENOEXEC;
	err = mi_fetch_cmd(r, dw, 4);
	if (err)
		return err;
	reg = mi_reg_offset(r, dw[1], r->hdr & VXE_MI_SRM_LRM_CS_MMIO);
	addr = mi_addr(dw[2] & ~3u, dw[3]);
	if (store) {
		val = mi_reg_read(r->ctx, reg);
		err = mi_access(r, addr, &val, 4, true);
	} else {
		err = mi_access(r, addr, &val, 4, false);
		if (!err)
			err = mi_reg_write(r->ctx, reg, val, U32_MAX);
	}
	if (err)
		return err;
	r->ip = r->cmd + 4 * 4;
	return 0;
}

/* The ALU of MI_MATH: its operand registers, accumulator and flags */
struct mi_alu {
	u64 srca;
	u64 srcb;
	u64 accu;
	u64 zf;
	u64 cf;
};

/*
 * An ALU operand read by LOAD or STORE: a GPR, the accumulator or a flag
 * (a flag reads as all ones when set).  -ENOEXEC for anything else.
 */
static int mi_alu_src(const struct mi_run *r, const struct mi_alu *alu,
		      unsigned int op, u64 *val)
{
	if (op <= VXE_MI_ALU_R15) {
		*val = mi_gpr_read(r->ctx, op);
		return 0;
	}
	switch (op) {
	case VXE_MI_ALU_SRCA:
		*val = alu->srca;
		return 0;
	case VXE_MI_ALU_SRCB:
		*val = alu->srcb;
		return 0;
	case VXE_MI_ALU_ACCU:
		*val = alu->accu;
		return 0;
	case VXE_MI_ALU_ZF:
		*val = alu->zf;
		return 0;
	case VXE_MI_ALU_CF:
		*val = alu->cf;
		return 0;
	default:
		return -ENOEXEC;
	}
}

/* A flag value: all ones when set */
static u64 mi_alu_flag(bool set)
{
	return set ? U64_MAX : 0;
}

/* One ALU instruction: opcode (bits 31:20), operand 1 (19:10), 2 (9:0) */
static int mi_alu_exec(struct mi_run *r, struct mi_alu *alu, u32 instr)
{
	unsigned int opcode = FIELD_GET(VXE_MI_ALU_OPCODE, instr);
	unsigned int op1 = FIELD_GET(VXE_MI_ALU_OP1, instr);
	unsigned int op2 = FIELD_GET(VXE_MI_ALU_OP2, instr);
	u64 val, *dst;
	int err;

	switch (opcode) {
	case VXE_MI_ALU_NOOP:
		return 0;
	case VXE_MI_ALU_LOAD:
	case VXE_MI_ALU_LOADINV:
	case VXE_MI_ALU_LOAD0:
	case VXE_MI_ALU_LOAD1:
		if (op1 == VXE_MI_ALU_SRCA)
			dst = &alu->srca;
		else if (op1 == VXE_MI_ALU_SRCB)
			dst = &alu->srcb;
		else
			return -ENOEXEC;
		if (opcode == VXE_MI_ALU_LOAD0 || opcode == VXE_MI_ALU_LOAD1) {
			*dst = opcode == VXE_MI_ALU_LOAD1;
			return 0;
		}
		err = mi_alu_src(r, alu, op2, &val);
		if (err)
			return err;
		*dst = opcode == VXE_MI_ALU_LOADINV ? ~val : val;
		return 0;
	case VXE_MI_ALU_ADD:
		alu->accu = alu->srca + alu->srcb;
		alu->cf = mi_alu_flag(alu->accu < alu->srca);
		break;
	case VXE_MI_ALU_SUB:
		alu->accu = alu->srca - alu->srcb;
		alu->cf = mi_alu_flag(alu->srca < alu->srcb);
		break;
	case VXE_MI_ALU_AND:
		alu->accu = alu->srca & alu->srcb;
		break;
	case VXE_MI_ALU_OR:
		alu->accu = alu->srca | alu->srcb;
		break;
	case VXE_MI_ALU_XOR:
		alu->accu = alu->srca ^ alu->srcb;
		break;
	case VXE_MI_ALU_STORE:
	case VXE_MI_ALU_STOREINV:
		if (op1 > VXE_MI_ALU_R15)
			return -ENOEXEC;
		err = mi_alu_src(r, alu, op2, &val);
		if (err)
			return err;
		return mi_gpr_write(r->ctx, op1,
				    opcode == VXE_MI_ALU_STOREINV ? ~val : val);
	default:
		return -ENOEXEC;
	}
	alu->zf = mi_alu_flag(!alu->accu);
	return 0;
}

/* MI_MATH: 1 + n dwords, n ALU instructions on the CS_GPR registers */
static int mi_math(struct mi_run *r)
{
	unsigned int len = mi_len(r->hdr), i;
	struct mi_alu alu = {};
	u32 instr;
	int err;

	for (i = 1; i < len; i++) {
		err = mi_fetch(r, r->cmd + 4 * i, &instr);
		if (!err)
			err = mi_alu_exec(r, &alu, instr);
		if (err)
			return err;
	}
	r->ip = r->cmd + 4 * len;
	return 0;
}

static int mi_flush_dw(struct mi_run *r)
{
	unsigned int len = FIELD_GET(VXE_MI_FLUSH_LEN, r->hdr) + 2;
	u32 dw[5];
	int err;

	/* 4 dwords (a dword post-sync write) or 5 (a qword one) */
	if (len != 4 && len != 5)
		return -ENOEXEC;
	if (r->hdr & VXE_MI_FLUSH_STORE_INDEX)
		return -EPERM;	/* an index into the GGTT's status page */
	if ((r->hdr & VXE_MI_FLUSH_OP) != VXE_MI_FLUSH_OP_NONE &&
	    (r->hdr & VXE_MI_FLUSH_OP) != VXE_MI_FLUSH_OP_STOREDW)
		return -ENOEXEC;
	err = mi_fetch_cmd(r, dw, len);
	if (err)
		return err;

	/* Nothing to flush, and TLB invalidation is the driver's business. */
	if ((r->hdr & VXE_MI_FLUSH_OP) == VXE_MI_FLUSH_OP_STOREDW) {
		if (dw[1] & VXE_MI_FLUSH_USE_GTT)
			return -EPERM;
		err = mi_access(r, mi_addr(dw[1] & ~7u, dw[2]), &dw[3],
				4 * (len - 3), true);
		if (err)
			return err;
	}
	r->ip = r->cmd + 4 * len;
	return 0;
}

static int mi_copy_mem_mem(struct mi_run *r)
{
	u32 dw[5], data;
	int err;

	if (mi_len(r->hdr) != 5)
		return -ENOEXEC;
	if (r->hdr & (VXE_MI_COPY_SRC_GGTT | VXE_MI_COPY_DST_GGTT))
		return -EPERM;
	err = mi_fetch_cmd(r, dw, 5);
	if (!err)
		err = mi_access(r, mi_addr(dw[3] & ~3u, dw[4]), &data, 4, false);
	if (!err)
		err = mi_access(r, mi_addr(dw[1] & ~3u, dw[2]), &data, 4, true);
	if (err)
		return err;
	r->ip = r->cmd + 4 * 5;
	return 0;
}

static u64 mi_atomic_op(const struct mi_atomic *at, u64 old)
{
	bool q = at->size == 8;

	switch (at->op) {
	case VXE_ATOMIC_AND:
		return old & at->op1;
	case VXE_ATOMIC_OR:
		return old | at->op1;
	case VXE_ATOMIC_XOR:
		return old ^ at->op1;
	case VXE_ATOMIC_MOVE:
		return at->op1;
	case VXE_ATOMIC_INC:
		return old + 1;
	case VXE_ATOMIC_DEC:
	case VXE_ATOMIC_PREDEC:
		return old - 1;
	case VXE_ATOMIC_ADD:
		return old + at->op1;
	case VXE_ATOMIC_SUB:
		return old - at->op1;
	case VXE_ATOMIC_RSUB:
		return at->op1 - old;
	case VXE_ATOMIC_IMAX:
		if (q)
			return (s64)old > (s64)at->op1 ? old : at->op1;
		return (s32)old > (s32)at->op1 ? old : at->op1;
	case VXE_ATOMIC_IMIN:
		if (q)
			return (s64)old < (s64)at->op1 ? old : at->op1;
		return (s32)old < (s32)at->op1 ? old : at->op1;
	case VXE_ATOMIC_UMAX:
		return max(old, at->op1);
	case VXE_ATOMIC_UMIN:
		return min(old, at->op1);
	default: /* VXE_ATOMIC_CMP_WR */
		return old == at->op1 ? at->op2 : old;
	}
}

/*
 * The memory port of MI_ATOMIC: a read-modify-write of the kmapped word
 * with compare-and-exchange, so that engines and CPU threads updating the
 * same word at once never lose an update.  Called with the page-table lock
 * held, on the one 4K piece holding the (naturally aligned) word.  A leaf
 * that does not allow atomics (no %VXE_PTE_AE) faults, as on Xe.
 */
static int mi_atomic_copy(void *priv, const struct vxe_pt_xlate *x,
			  void *buf, size_t len, bool write)
{
	struct mi_atomic *at = priv;
	void *vaddr;

	if (len != at->size || !write)
		return -EINVAL;
	if (!(x->pte & VXE_PTE_AE))
		return -ENOENT;
	vaddr = vxe_mem_kmap(at->vxe, x);
	if (!vaddr)
		return -EIO;

	if (at->size == 4) {
		u32 *p = vaddr, old = READ_ONCE(*p), new;

		do {
			new = mi_atomic_op(at, old);
		} while (!try_cmpxchg(p, &old, new));
		at->old = old;
		at->new = new;
	} else {
		u64 *p = vaddr, old = READ_ONCE(*p), new;

		do {
			new = mi_atomic_op(at, old);
		} while (!try_cmpxchg64(p, &old, new));
		at->old = old;
		at->new = new;
	}
	kunmap_local(vaddr);
	return 0;
}

static int mi_atomic(struct mi_run *r)
{
	unsigned int opcode = FIELD_GET(VXE_MI_ATOMIC_OPCODE, r->hdr);
	unsigned int len = mi_len(r->hdr);
	struct mi_atomic at = {
		.vxe = r->vm->vxe,
		.op = opcode & 0x1f,
	};
	u32 dw[MI_MAX_FIXED_DW], reg;
	u64 addr;
	int err;

	/* Dword ops 0x01-0x0f, qword ops 0x21-0x2f; no octword (0x4e). */
	switch (r->hdr & VXE_MI_ATOMIC_SIZE) {
	case VXE_MI_ATOMIC_DWORD:
		if (opcode & 0xe0)
			return -ENOEXEC;
		at.size = 4;
		break;
	case VXE_MI_ATOMIC_QWORD:
		if ((opcode & 0xe0) != 0x20)
			return -ENOEXEC;
		at.size = 8;
		break;
	default:
		return -ENOEXEC;
	}
	if (!at.op || at.op > VXE_ATOMIC_PREDEC)
		return -ENOEXEC;
	/* Inline data: both operands of the data size, or the full 8 dwords */
	if (r->hdr & VXE_MI_ATOMIC_INLINE) {
		if (len != 11 && len != 3 + 2 * at.size / 4)
			return -ENOEXEC;
	} else if (len != 3) {
		return -ENOEXEC;
	}
	if (r->hdr & VXE_MI_GGTT)
		return -EPERM;
	err = mi_fetch_cmd(r, dw, len);
	if (err)
		return err;

	addr = mi_addr(dw[1] & ~3u, dw[2]);
	if (addr & (at.size - 1))
		return -ENOEXEC;
	if (r->hdr & VXE_MI_ATOMIC_INLINE) {
		at.op1 = dw[3];
		at.op2 = dw[4];
		if (at.size == 8) {
			at.op1 |= (u64)dw[5] << 32;
			at.op2 |= (u64)dw[6] << 32;
		}
	} else {
		at.op1 = mi_gpr_read(r->ctx, 0);
		at.op2 = mi_gpr_read(r->ctx, 2);
	}
	if (at.size == 4) {
		at.op1 = (u32)at.op1;
		at.op2 = (u32)at.op2;
	}

	err = vxe_gpu_atomic_fn(r->vm, addr, &at.old, at.size, mi_atomic_copy,
				&at);
	if (err)
		return mi_fault(r, addr, err);
	mi_clobber(r, addr, at.size);

	if (r->hdr & VXE_MI_ATOMIC_RETURN) {
		u64 val = at.op == VXE_ATOMIC_PREDEC ? at.new : at.old;

		reg = r->ctx->mmio_base + VXE_MI_CS_GPR(4);
		if (at.size == 8)
			err = mi_gpr_write(r->ctx, 4, val);
		else
			err = mi_reg_write(r->ctx, reg, lower_32_bits(val),
					   U32_MAX);
		if (err)
			return err;
	}
	r->ip = r->cmd + 4 * len;
	return 0;
}

static int mi_semaphore_wait(struct mi_run *r)
{
	unsigned int op = FIELD_GET(VXE_MI_COMPARE_OP, r->hdr);
	unsigned int len = mi_len(r->hdr), polls;
	u32 dw[5], mem;
	u64 addr;
	int err;

	if (len != 4 && len != 5)
		return -ENOEXEC;
	if (r->hdr & VXE_MI_GGTT)
		return -EPERM;
	if ((r->hdr & (VXE_MI_SEMAPHORE_REGISTER_POLL |
		       VXE_MI_SEMAPHORE_INDIRECT)) || op > 5)
		return -ENOEXEC;
	err = mi_fetch_cmd(r, dw, len);
	if (err)
		return err;
	addr = mi_addr(dw[2] & ~3u, dw[3]);

	/*
	 * Poll until the compare is true.  Signal mode polls too: its
	 * signal comes once memory has changed, which polling sees as well.
	 */
	for (polls = 0;; polls++) {
		err = mi_access(r, addr, &mem, 4, false);
		if (err)
			return err;
		if (mi_compare(op, mem, dw[1]))
			break;
		if (mi_should_stop(r))
			return -ECANCELED;
		if (polls < MI_POLL_SPIN)
			cond_resched();
		else
			usleep_range(MI_POLL_MIN_US, MI_POLL_MAX_US);
	}
	r->ip = r->cmd + 4 * len;
	return 0;
}

/**
 * struct mi_blt - what one blitter command does: @height rows of @width
 *	bytes, each row @dst_pitch (@src_pitch) bytes after the last
 * @dst: destination address
 * @src: source address (a copy)
 * @width: bytes a row
 * @height: rows
 * @dst_pitch: bytes from a destination row to the next
 * @src_pitch: bytes from a source row to the next
 * @set: a fill with @fill instead of a copy
 * @fill: the fill byte
 */
struct mi_blt {
	u64 dst;
	u64 src;
	u64 width;
	u32 height;
	u32 dst_pitch;
	u32 src_pitch;
	bool set;
	u8 fill;
};

/*
 * Carry out a blitter command, MI_BLT_PIECE bytes at a time through the
 * page tables like every access; a long one checks should_stop() every
 * MI_BLT_CHECK bytes (a page-mode MEM_COPY may move 4 GiB).
 */
static int mi_blt_run(struct mi_run *r, const struct mi_blt *b)
{
	u8 buf[MI_BLT_PIECE];
	u64 since_check = 0;
	u32 row;

	if (b->set)
		memset(buf, b->fill, sizeof(buf));
	for (row = 0; row < b->height; row++) {
		u64 dst = b->dst + (u64)row * b->dst_pitch;
		u64 src = b->src + (u64)row * b->src_pitch;
		u64 off = 0;

		while (off < b->width) {
			size_t n = min_t(u64, b->width - off, sizeof(buf));
			int err;

			if (!b->set) {
				err = mi_access(r, (src + off) & VXE_MI_ADDR_MASK,
						buf, n, false);
				if (err)
					return err;
			}
			err = mi_access(r, (dst + off) & VXE_MI_ADDR_MASK,
					buf, n, true);
			if (err)
				return err;
			off += n;
			since_check += n;
			if (since_check >= MI_BLT_CHECK) {
				since_check = 0;
				cond_resched();
				if (mi_should_stop(r))
					return -ECANCELED;
			}
		}
	}
	return 0;
}

/* MEM_COPY: linear in bytes or 256-byte pages, or a matrix of bytes. */
static int mi_mem_copy(struct mi_run *r)
{
	bool pages = r->hdr & VXE_MEM_COPY_PAGE_MODE;
	u32 type = r->hdr & VXE_BLT_TYPE;
	struct mi_blt b = {};
	u32 dw[10];
	int err;

	if (mi_len(r->hdr) != 10 ||
	    (type != VXE_BLT_LINEAR && type != VXE_BLT_MATRIX) ||
	    (pages && type != VXE_BLT_LINEAR))
		return -ENOEXEC;
	err = mi_fetch_cmd(r, dw, 10);
	if (err)
		return err;

	b.src = mi_addr(dw[5], dw[6]);
	b.dst = mi_addr(dw[7], dw[8]);
	b.height = 1;
	if (pages) {
		b.width = ((u64)FIELD_GET(VXE_MEM_COPY_PAGES, dw[1]) + 1) *
			  VXE_MEM_COPY_PAGE_SIZE;
	} else {
		b.width = FIELD_GET(VXE_MEM_COPY_WIDTH, dw[1]) + 1;
		if (type == VXE_BLT_MATRIX) {
			b.height = FIELD_GET(VXE_BLT_HEIGHT, dw[2]) + 1;
			b.src_pitch = FIELD_GET(VXE_BLT_PITCH, dw[3]) + 1;
			b.dst_pitch = FIELD_GET(VXE_BLT_PITCH, dw[4]) + 1;
		}
	}
	err = mi_blt_run(r, &b);
	if (err)
		return err;
	r->ip = r->cmd + 4 * 10;
	return 0;
}

/* MEM_SET: fill a linear range or a matrix with a byte. */
static int mi_mem_set(struct mi_run *r)
{
	u32 type = r->hdr & VXE_BLT_TYPE;
	struct mi_blt b = { .set = true, .height = 1 };
	u32 dw[7];
	int err;

	if (mi_len(r->hdr) != 7 ||
	    (type != VXE_BLT_LINEAR && type != VXE_BLT_MATRIX))
		return -ENOEXEC;
	err = mi_fetch_cmd(r, dw, 7);
	if (err)
		return err;

	b.width = FIELD_GET(VXE_MEM_SET_WIDTH, dw[1]) + 1;
	if (type == VXE_BLT_MATRIX) {
		b.height = FIELD_GET(VXE_BLT_HEIGHT, dw[2]) + 1;
		b.dst_pitch = FIELD_GET(VXE_BLT_PITCH, dw[3]) + 1;
	}
	b.dst = mi_addr(dw[4], dw[5]);
	b.fill = FIELD_GET(VXE_MEM_SET_DATA, dw[6]);
	err = mi_blt_run(r, &b);
	if (err)
		return err;
	r->ip = r->cmd + 4 * 7;
	return 0;
}

/**
 * struct mi_surface - a surface of XY_FAST_COPY_BLT
 * @base: its GPU address
 * @pitch: bytes from a row of pixels (linear) or of tiles to the next
 * @ymask: a tiled surface: bit i set when bit i of an offset in a tile is
 *	the next bit of the row in the tile, clear when it is the next bit
 *	of the byte in the tile's row (the tile's swizzle)
 * @tile_bits: a tiled surface: log2 of the tile size (0: linear)
 * @xbits: a tiled surface: log2 of a tile's width in bytes
 * @ybits: a tiled surface: log2 of a tile's height in rows
 * @run_bits: a tiled surface: the low offset bits that are all x bits
 *	(bytes of a row that follow each other in memory)
 */
struct mi_surface {
	u64 base;
	u32 pitch;
	u16 ymask;
	u8 tile_bits;
	u8 xbits;
	u8 ybits;
	u8 run_bits;
};

/*
 * The tile swizzles, offset bit 0 first: X-major, row after row of 512
 * bytes; Tile4, 16-byte pieces of 4 rows in 64-byte blocks, as
 * x x x x y y x x y x y y; Tile64, four more bits that depend on the
 * pixel size (8: x y y y; 16 and 32: x x y y; 64 and 128: x x x y).
 */
#define MI_YMASK_X		0x0e00
#define MI_YMASK_4		0x0d30
#define MI_YMASK_64_8		0xed30
#define MI_YMASK_64_32		0xcd30
#define MI_YMASK_64_128		0x8d30

static void mi_surface_init(struct mi_surface *s, u32 tiling, u32 pitch,
			    u64 base, unsigned int cpp)
{
	s->base = base;
	s->pitch = tiling == VXE_TILING_LINEAR ? pitch : pitch * 4;
	switch (tiling) {
	case VXE_TILING_LINEAR:
		s->tile_bits = 0;
		return;
	case VXE_TILING_X:
		s->ymask = MI_YMASK_X;
		s->tile_bits = 12;
		break;
	case VXE_TILING_4:
		s->ymask = MI_YMASK_4;
		s->tile_bits = 12;
		break;
	default:
		s->ymask = cpp == 1 ? MI_YMASK_64_8 :
			   cpp <= 4 ? MI_YMASK_64_32 : MI_YMASK_64_128;
		s->tile_bits = 16;
		break;
	}
	s->ybits = hweight16(s->ymask);
	s->xbits = s->tile_bits - s->ybits;
	s->run_bits = __ffs(s->ymask);
}

/* Where byte @xb of row @y of @s is, and how many bytes follow it there */
static u64 mi_surface_addr(const struct mi_surface *s, u32 xb, u32 y,
			   u32 *run)
{
	u32 tx, ty, off = 0;
	unsigned int i;
	u64 tile;

	if (!s->tile_bits) {
		*run = U32_MAX;
		return s->base + (u64)y * s->pitch + xb;
	}
	*run = BIT(s->run_bits) - (xb & (BIT(s->run_bits) - 1));
	tile = (u64)(y >> s->ybits) * (s->pitch >> s->xbits) +
	       (xb >> s->xbits);
	tx = xb & (BIT(s->xbits) - 1);
	ty = y & (BIT(s->ybits) - 1);
	for (i = 0; i < s->tile_bits; i++) {
		if (s->ymask & BIT(i)) {
			off |= (ty & 1) << i;
			ty >>= 1;
		} else {
			off |= (tx & 1) << i;
			tx >>= 1;
		}
	}
	return s->base + (tile << s->tile_bits) + off;
}

/**
 * struct mi_span - the bytes of a surface row segment that share a 4K page
 * @vxe: the device (its memory port)
 * @start: GPU address of the first byte
 * @len: bytes from @start to the end of the last piece
 * @mask: which of those bytes are the segment's (a tiled row's pieces
 *	have the tile's other rows between them; they lie in the row's
 *	order, a tiling's x bits growing with the offset)
 * @data: the bytes, at their offset from @start
 */
struct mi_span {
	struct vxe_device *vxe;
	u64 start;
	u32 len;
	DECLARE_BITMAP(mask, SZ_4K);
	u8 data[SZ_4K];
};

/*
 * The memory port for a span's write: only the bytes of its mask, as the
 * blitter writes them (the other rows of a tile, between them, are left
 * as they are even if written meanwhile).
 */
static int mi_span_copy(void *priv, const struct vxe_pt_xlate *x, void *buf,
			size_t len, bool write)
{
	struct mi_span *sp = priv;
	unsigned long first = (u8 *)buf - sp->data, end = first + len, i, j;
	u8 *vaddr;

	if (!write)
		return vxe_mem_copy(sp->vxe, x, buf, len, false);
	vaddr = vxe_mem_kmap(sp->vxe, x);
	if (!vaddr)
		return -EIO;
	for (i = find_next_bit(sp->mask, end, first); i < end;
	     i = find_next_bit(sp->mask, end, j)) {
		j = find_next_zero_bit(sp->mask, end, i);
		memcpy(vaddr + (i - first), sp->data + i, j - i);
	}
	kunmap_local(vaddr);
	return 0;
}

/*
 * Move bytes [@xb, @xb + @n) of row @y of @s from (@write) or to @buf:
 * a linear row in one access, a tiled one page by page, the pieces of the
 * row in each page in one access (@sp: room for one page's span).
 */
static int mi_surface_row(struct mi_run *r, const struct mi_surface *s,
			  u32 xb, u32 y, u8 *buf, u32 n, bool write,
			  struct mi_span *sp)
{
	u32 done = 0;
	int err;

	if (!s->tile_bits) {
		u32 run;
		u64 addr = mi_surface_addr(s, xb, y, &run);

		return mi_access(r, addr & VXE_MI_ADDR_MASK, buf, n, write);
	}
	while (done < n) {
		u32 run, k = 0, m;
		u64 addr = mi_surface_addr(s, xb + done, y, &run), page;

		/* The pieces from here that lie in the same 4K page */
		page = addr & ~(u64)(SZ_4K - 1);
		sp->start = addr;
		sp->len = 0;
		bitmap_zero(sp->mask, SZ_4K);
		do {
			m = min(run, n - done - k);
			if (write)
				memcpy(sp->data + (addr - sp->start), buf + done + k, m);
			bitmap_set(sp->mask, addr - sp->start, m);
			sp->len = addr - sp->start + m;
			k += m;
			if (done + k == n)
				break;
			addr = mi_surface_addr(s, xb + done + k, y, &run);
		} while ((addr & ~(u64)(SZ_4K - 1)) == page && addr > sp->start);

		if (write) {
			err = vxe_gpu_access_fn(r->vm, sp->start & VXE_MI_ADDR_MASK,
						sp->data, sp->len, true,
						mi_span_copy, sp);
			if (err)
				return mi_fault(r, sp->start & VXE_MI_ADDR_MASK,
						err);
			mi_clobber(r, sp->start & VXE_MI_ADDR_MASK, sp->len);
		} else {
			unsigned long i, j, to = done;

			err = mi_access(r, sp->start & VXE_MI_ADDR_MASK,
					sp->data, sp->len, false);
			if (err)
				return err;
			/* The row's bytes, in the span in the row's order */
			for (i = find_first_bit(sp->mask, sp->len); i < sp->len;
			     i = find_next_bit(sp->mask, sp->len, j)) {
				j = find_next_zero_bit(sp->mask, sp->len, i);
				memcpy(buf + to, sp->data + i, j - i);
				to += j - i;
			}
		}
		done += k;
	}
	return 0;
}

/* Bytes a pixel of XY_FAST_COPY_BLT's color depths (0: reserved) */
static const u8 mi_fast_copy_cpp[8] = { 1, 2, 0, 4, 8, 16, 0, 0 };

/*
 * XY_FAST_COPY_BLT: the rectangle row by row, MI_FAST_COPY_PIECE bytes of
 * a row at a time: read from the source (a linear row in one access, a tiled
 * one in one access per 4K page it touches), written to the destination
 * the same way, through the page tables like every access.
 */
static int mi_fast_copy(struct mi_run *r)
{
	struct mi_surface src, dst;
	unsigned int cpp;
	u32 dw[10], w, h, row, dx, dy, sx, sy;
	u64 since_check = 0;
	struct mi_span *sp;
	u8 *buf;
	int err;

	if (mi_len(r->hdr) != 10)
		return -ENOEXEC;
	err = mi_fetch_cmd(r, dw, 10);
	if (err)
		return err;
	cpp = mi_fast_copy_cpp[FIELD_GET(VXE_FAST_COLOR_DEPTH, dw[1])];
	if (!cpp)
		return -ENOEXEC;
	mi_surface_init(&dst, FIELD_GET(VXE_FAST_DST_TILING, r->hdr),
			FIELD_GET(VXE_FAST_PITCH, dw[1]), mi_addr(dw[4], dw[5]),
			cpp);
	mi_surface_init(&src, FIELD_GET(VXE_FAST_SRC_TILING, r->hdr),
			FIELD_GET(VXE_FAST_PITCH, dw[7]), mi_addr(dw[8], dw[9]),
			cpp);
	dx = FIELD_GET(VXE_FAST_X, dw[2]);
	dy = FIELD_GET(VXE_FAST_Y, dw[2]);
	w = FIELD_GET(VXE_FAST_X, dw[3]);
	h = FIELD_GET(VXE_FAST_Y, dw[3]);
	sx = FIELD_GET(VXE_FAST_X, dw[6]);
	sy = FIELD_GET(VXE_FAST_Y, dw[6]);
	/* An empty rectangle copies nothing. */
	w = w > dx ? (w - dx) * cpp : 0;
	h = h > dy ? h - dy : 0;

	sp = kmalloc(sizeof(*sp), GFP_KERNEL);
	buf = kmalloc(MI_FAST_COPY_PIECE, GFP_KERNEL);
	if (!sp || !buf) {
		err = -ENOMEM;
		goto out;
	}
	sp->vxe = r->vm->vxe;
	for (row = 0; row < h; row++) {
		u32 off = 0;

		while (off < w) {
			u32 n = min_t(u32, w - off, MI_FAST_COPY_PIECE);

			err = mi_surface_row(r, &src, sx * cpp + off, sy + row,
					     buf, n, false, sp);
			if (!err)
				err = mi_surface_row(r, &dst, dx * cpp + off,
						     dy + row, buf, n, true, sp);
			if (err)
				goto out;
			off += n;
			since_check += n;
			if (since_check >= MI_BLT_CHECK) {
				since_check = 0;
				cond_resched();
				if (mi_should_stop(r)) {
					err = -ECANCELED;
					goto out;
				}
			}
		}
	}
	r->ip = r->cmd + 4 * 10;
	err = 0;
out:
	kfree(buf);
	kfree(sp);
	return err;
}

/* A blitter command: the copy engines' MEM_COPY, MEM_SET, XY_FAST_COPY_BLT */
static int mi_blitter(struct mi_run *r)
{
	if (r->ctx->engine_class != DRM_XE_ENGINE_CLASS_COPY)
		return -ENOEXEC;
	switch (r->hdr & VXE_BLT_OPCODE) {
	case VXE_MEM_COPY & VXE_BLT_OPCODE:
		return mi_mem_copy(r);
	case VXE_MEM_SET & VXE_BLT_OPCODE:
		return mi_mem_set(r);
	case VXE_XY_FAST_COPY & VXE_BLT_OPCODE:
		return mi_fast_copy(r);
	default:
		return -ENOEXEC;
	}
}

/* Execute the command at r->cmd: 0 to go on, MI_DONE, or an error. */
static int mi_exec(struct mi_run *r)
{
	if (FIELD_GET(VXE_INSTR_CLIENT, r->hdr) == VXE_INSTR_CLIENT_2D)
		return mi_blitter(r);
	if (FIELD_GET(VXE_INSTR_CLIENT, r->hdr))
		return -ENOEXEC;

	switch (VXE_MI_OP(r->hdr)) {
	case VXE_MI_OP(VXE_MI_NOOP):
	case VXE_MI_OP(VXE_MI_USER_INTERRUPT):
	case VXE_MI_OP(VXE_MI_ARB_CHECK):
	case VXE_MI_OP(VXE_MI_ARB_ON_OFF):
	case VXE_MI_OP(VXE_MI_MEM_FENCE):
		r->ip = r->cmd + 4;
		return 0;
	case VXE_MI_OP(VXE_MI_BATCH_BUFFER_END):
		r->ip = r->cmd + 4;
		return mi_end_level(r);
	case VXE_MI_OP(VXE_MI_BATCH_BUFFER_START):
		return mi_batch_buffer_start(r);
	case VXE_MI_OP(VXE_MI_COND_BB_END):
		return mi_cond_batch_buffer_end(r);
	case VXE_MI_OP(VXE_MI_STORE_DATA_IMM):
		return mi_store_data_imm(r);
	case VXE_MI_OP(VXE_MI_LOAD_REGISTER_IMM):
		return mi_load_register_imm(r);
	case VXE_MI_OP(VXE_MI_LOAD_REGISTER_REG):
		return mi_load_register_reg(r);
	case VXE_MI_OP(VXE_MI_STORE_REGISTER_MEM):
		return mi_register_mem(r, true);
	case VXE_MI_OP(VXE_MI_LOAD_REGISTER_MEM):
		return mi_register_mem(r, false);
	case VXE_MI_OP(VXE_MI_MATH):
		return mi_math(r);
	case VXE_MI_OP(VXE_MI_FLUSH_DW):
		return mi_flush_dw(r);
	case VXE_MI_OP(VXE_MI_COPY_MEM_MEM):
		return mi_copy_mem_mem(r);
	case VXE_MI_OP(VXE_MI_ATOMIC):
		return mi_atomic(r);
	case VXE_MI_OP(VXE_MI_SEMAPHORE_WAIT):
		return mi_semaphore_wait(r);
	default:
		return -ENOEXEC;
	}
}

/**
 * vxe_mi_run() - run a batch buffer on an engine
 * @ctx: the context: @ctx->vm, @ctx->should_stop and @ctx->priv,
 *	@ctx->mmio_base in; the register file persists from run to run
 * @batch_addr: GPU virtual address of the first command (bits 1:0 and
 *	63:48 ignored)
 *
 * Fetches and executes Intel MI commands until MI_BATCH_BUFFER_END of the
 * first level (or a conditional end).  Supported: MI_NOOP, MI_ARB_CHECK,
 * MI_ARB_ON_OFF, MI_USER_INTERRUPT, MI_MEM_FENCE (no-ops);
 * MI_BATCH_BUFFER_START (a jump, or a call with %VXE_MI_BBS_NESTED, up to
 * %VXE_MI_MAX_LEVELS levels); MI_CONDITIONAL_BATCH_BUFFER_END (ends the
 * batch, or with %VXE_MI_CBBE_END_LEVEL the level, when the compare of
 * memory with the inline dword is false: by default when memory <= data);
 * MI_STORE_DATA_IMM (dwords or qwords); MI_LOAD_REGISTER_IMM (into
 * @ctx->regs); MI_LOAD_REGISTER_REG, MI_STORE_REGISTER_MEM and
 * MI_LOAD_REGISTER_MEM; MI_MATH (LOAD, LOADINV, LOAD0, LOAD1, ADD, SUB,
 * AND, OR, XOR, STORE, STOREINV on the 16 CS_GPR registers; the timestamp
 * registers RING_TIMESTAMP and CTX_TIMESTAMP read as counters);
 * MI_FLUSH_DW (with its post-sync write); MI_COPY_MEM_MEM;
 * MI_ATOMIC (every dword and qword operation, true read-modify-writes of
 * memory); MI_SEMAPHORE_WAIT (polls memory until the compare is true).
 * On copy engines also the blitter's MEM_COPY (linear in bytes or in
 * 256-byte pages, or a matrix), MEM_SET (linear or matrix) and
 * XY_FAST_COPY_BLT (linear, X-major, Tile4 and Tile64 surfaces).
 *
 * @ctx->should_stop is polled every few commands and at every poll of a
 * semaphore; a batch that loops for ever (MI_BATCH_BUFFER_START to
 * itself) only ends through it.
 *
 * Context: process context, may sleep; not holding the VM lock.
 * Return: 0 when the batch ended; -ENOEXEC for an unknown command, a bad
 * length or an unsupported variant; -EPERM for a GGTT access; -ELOOP for
 * batches nested too deep; -ENOSPC when the register file is full;
 * -ECANCELED when @ctx->should_stop said so; the error of the memory
 * access (-EFAULT...) for a fetch or an access that cannot be served, with
 * @ctx->err_is_fault set.  On failure @ctx->err_addr and @ctx->err_header
 * say where.
 */
int vxe_mi_run(struct vxe_mi_ctx *ctx, u64 batch_addr)
{
	struct mi_run r = {
		.ctx = ctx,
		.vm = ctx->vm,
		.ip = batch_addr & VXE_MI_ADDR_MASK & ~3ull,
	};
	unsigned long n = 0;
	int ret;

	ctx->nr_cmds = 0;
	ctx->run_start = vxe_engine_timestamp();
	ctx->err_addr = 0;
	ctx->err_header = 0;
	ctx->err_is_fault = false;

	for (;;) {
		r.cmd = r.ip;
		r.hdr = 0;
		if (!(++n % MI_CHECK_EVERY)) {
			cond_resched();
			if (mi_should_stop(&r)) {
				ret = -ECANCELED;
				break;
			}
		}
		ret = mi_fetch(&r, r.cmd, &r.hdr);
		if (!ret)
			ret = mi_exec(&r);
		if (ret)
			break;
		ctx->nr_cmds++;
	}

	ctx->ctx_ticks = mi_ctx_timestamp(ctx);
	if (ret == MI_DONE) {
		ctx->nr_cmds++;
		return 0;
	}
	if (!ctx->err_is_fault)
		ctx->err_addr = r.cmd;
	ctx->err_header = r.hdr;
	drm_dbg(&r.vm->vxe->drm,
		"batch %#llx: command %#010x at %#llx failed (%d)%s\n",
		batch_addr, r.hdr, r.cmd, ret,
		ctx->err_is_fault ? ": memory fault" : "");
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_mi_run);
