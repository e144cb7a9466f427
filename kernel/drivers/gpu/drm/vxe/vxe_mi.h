/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_MI_H_
#define _VXE_MI_H_

#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/types.h>

struct vxe_vm;

/* MMIO registers MI_LOAD_REGISTER_IMM can write (a small register file) */
#define VXE_MI_NR_REGS		32

/*
 * Levels of batch buffers (first, second, third), as Xe's command streamer
 * has: MI_BATCH_BUFFER_START with %VXE_MI_BBS_NESTED from the last level
 * fails with -ELOOP.
 */
#define VXE_MI_MAX_LEVELS	3

/*
 * Intel's encodings of the MI commands the engines run, as in Xe's
 * instructions/xe_mi_commands.h and IGT's intel_gpu_commands.h.  A header
 * is client 0 (bits 31:29), an MI opcode (bits 28:23), flags, and for most
 * commands a length: the number of dwords minus two.
 */
#define VXE_INSTR_CLIENT	GENMASK(31, 29)
#define VXE_MI_OPCODE		GENMASK(28, 23)
#define VXE_MI_OP(hdr)		(((hdr) >> 23) & 0x3f)
#define VXE_MI_INSTR(op)	((u32)(op) << 23)
#define VXE_MI_LEN		GENMASK(7, 0)
#define VXE_MI_NUM_DW(n)	((n) - 2)

#define VXE_MI_NOOP		VXE_MI_INSTR(0x00)
#define VXE_MI_USER_INTERRUPT	VXE_MI_INSTR(0x02)
#define VXE_MI_ARB_CHECK	VXE_MI_INSTR(0x05)
#define VXE_MI_ARB_ON_OFF	VXE_MI_INSTR(0x08)
#define VXE_MI_MEM_FENCE	VXE_MI_INSTR(0x09)
#define VXE_MI_BATCH_BUFFER_END	VXE_MI_INSTR(0x0a)
#define VXE_MI_MATH		VXE_MI_INSTR(0x1a)
#define VXE_MI_SEMAPHORE_WAIT	VXE_MI_INSTR(0x1c)
#define VXE_MI_STORE_DATA_IMM	VXE_MI_INSTR(0x20)
#define VXE_MI_LOAD_REGISTER_IMM VXE_MI_INSTR(0x22)
#define VXE_MI_STORE_REGISTER_MEM VXE_MI_INSTR(0x24)
#define VXE_MI_FLUSH_DW		VXE_MI_INSTR(0x26)
#define VXE_MI_LOAD_REGISTER_MEM VXE_MI_INSTR(0x29)
#define VXE_MI_LOAD_REGISTER_REG VXE_MI_INSTR(0x2a)
#define VXE_MI_COPY_MEM_MEM	VXE_MI_INSTR(0x2e)
#define VXE_MI_ATOMIC		VXE_MI_INSTR(0x2f)
#define VXE_MI_BATCH_BUFFER_START VXE_MI_INSTR(0x31)
#define VXE_MI_COND_BB_END	VXE_MI_INSTR(0x36)

/* Bit 22 of most memory commands: the address is in the GGTT (none here) */
#define VXE_MI_GGTT		BIT(22)

/* MI_BATCH_BUFFER_START: 3 dwords, a 48-bit PPGTT address */
#define VXE_MI_BBS_NESTED	BIT(22)
#define VXE_MI_BBS_PREDICATE	BIT(15)
#define VXE_MI_BBS_PPGTT	BIT(8)

/* MI_STORE_DATA_IMM: length in bits 9:0, 3 + n data dwords */
#define VXE_MI_SDI_QWORD	BIT(21)
#define VXE_MI_SDI_LEN		GENMASK(9, 0)

/* MI_LOAD_REGISTER_IMM: 1 + 2n dwords, n { offset, value } pairs */
#define VXE_MI_LRI_CS_MMIO	BIT(19)
#define VXE_MI_LRI_BYTE_DISABLE	GENMASK(11, 8)
#define VXE_MI_LRI_NUM_REGS(n)	VXE_MI_NUM_DW(2 * (n) + 1)
#define VXE_MI_REG_OFFSET	GENMASK(22, 2)

/* MI_LOAD_REGISTER_REG: 3 dwords, source then destination register */
#define VXE_MI_LRR_DST_CS_MMIO	BIT(19)
#define VXE_MI_LRR_SRC_CS_MMIO	BIT(18)

/* MI_STORE_REGISTER_MEM, MI_LOAD_REGISTER_MEM: 4 dwords, register, address */
#define VXE_MI_SRM_PREDICATE	BIT(21)
#define VXE_MI_SRM_LRM_CS_MMIO	BIT(19)

/*
 * MI_MATH: 1 + n dwords, n ALU instructions, each an opcode and two
 * operands.  Operands: CS_GPR0-15 (0x00-0x0f), SRCA, SRCB, ACCU and the
 * zero and carry flags.
 */
#define VXE_MI_MATH_LEN(n)	VXE_MI_NUM_DW((n) + 1)
#define VXE_MI_ALU_OPCODE	GENMASK(31, 20)
#define VXE_MI_ALU_OP1		GENMASK(19, 10)
#define VXE_MI_ALU_OP2		GENMASK(9, 0)
#define VXE_MI_ALU(opcode, op1, op2) \
	((u32)(opcode) << 20 | (u32)(op1) << 10 | (u32)(op2))
#define VXE_MI_ALU_NOOP		0x000
#define VXE_MI_ALU_LOAD		0x080
#define VXE_MI_ALU_LOADINV	0x480
#define VXE_MI_ALU_LOAD0	0x081
#define VXE_MI_ALU_LOAD1	0x481
#define VXE_MI_ALU_ADD		0x100
#define VXE_MI_ALU_SUB		0x101
#define VXE_MI_ALU_AND		0x102
#define VXE_MI_ALU_OR		0x103
#define VXE_MI_ALU_XOR		0x104
#define VXE_MI_ALU_STORE	0x180
#define VXE_MI_ALU_STOREINV	0x580
#define VXE_MI_ALU_R15		0x0f
#define VXE_MI_ALU_SRCA		0x20
#define VXE_MI_ALU_SRCB		0x21
#define VXE_MI_ALU_ACCU		0x31
#define VXE_MI_ALU_ZF		0x32
#define VXE_MI_ALU_CF		0x33

/* MI_FLUSH_DW: length in bits 5:0; 4 dwords (dword post-sync) or 5 (qword) */
#define VXE_MI_FLUSH_STORE_INDEX BIT(21)
#define VXE_MI_FLUSH_INVALIDATE_TLB BIT(18)
#define VXE_MI_FLUSH_OP		GENMASK(15, 14)
#define VXE_MI_FLUSH_OP_NONE	FIELD_PREP_CONST(VXE_MI_FLUSH_OP, 0)
#define VXE_MI_FLUSH_OP_STOREDW	FIELD_PREP_CONST(VXE_MI_FLUSH_OP, 1)
#define VXE_MI_FLUSH_LEN	GENMASK(5, 0)
#define VXE_MI_FLUSH_USE_GTT	BIT(2)	/* in the address dword */

/* MI_COPY_MEM_MEM: 5 dwords, destination then source */
#define VXE_MI_COPY_SRC_GGTT	BIT(22)
#define VXE_MI_COPY_DST_GGTT	BIT(21)

/*
 * MI_ATOMIC: 3 dwords, or with inline data 3 + 2 operands of the data size
 * (operand 1 in dwords 3, 5, ..., operand 2 in dwords 4, 6, ...), or 11.
 * Without inline data, operand 1 is CS_GPR0 and operand 2 CS_GPR2; with
 * return data, CS_GPR4 receives the value memory held before the operation
 * (after it for PREDEC).
 */
#define VXE_MI_ATOMIC_SIZE	GENMASK(20, 19)
#define VXE_MI_ATOMIC_DWORD	FIELD_PREP_CONST(VXE_MI_ATOMIC_SIZE, 0)
#define VXE_MI_ATOMIC_QWORD	FIELD_PREP_CONST(VXE_MI_ATOMIC_SIZE, 1)
#define VXE_MI_ATOMIC_INLINE	BIT(18)
#define VXE_MI_ATOMIC_CS_STALL	BIT(17)
#define VXE_MI_ATOMIC_RETURN	BIT(16)
#define VXE_MI_ATOMIC_OPCODE	GENMASK(15, 8)
#define VXE_MI_ATOMIC_OP(op)	((u32)(op) << 8)
#define VXE_MI_ATOMIC_OP_8B(op)	VXE_MI_ATOMIC_OP(0x20 | (op))

/* Atomic operations (low 5 bits of the atomic opcode) */
#define VXE_ATOMIC_AND		0x01
#define VXE_ATOMIC_OR		0x02
#define VXE_ATOMIC_XOR		0x03
#define VXE_ATOMIC_MOVE		0x04
#define VXE_ATOMIC_INC		0x05
#define VXE_ATOMIC_DEC		0x06
#define VXE_ATOMIC_ADD		0x07
#define VXE_ATOMIC_SUB		0x08
#define VXE_ATOMIC_RSUB		0x09
#define VXE_ATOMIC_IMAX		0x0a
#define VXE_ATOMIC_IMIN		0x0b
#define VXE_ATOMIC_UMAX		0x0c
#define VXE_ATOMIC_UMIN		0x0d
#define VXE_ATOMIC_CMP_WR	0x0e
#define VXE_ATOMIC_PREDEC	0x0f

/* Command streamer general purpose registers, from the engine's MMIO base */
#define VXE_MI_CS_GPR(n)	(0x600 + 8 * (n))

/*
 * Timestamp registers, from the engine's MMIO base (read-only counters at
 * the reference clock): the engine's, and the context's run time.
 */
#define VXE_MI_RING_TIMESTAMP		0x358
#define VXE_MI_RING_TIMESTAMP_UDW	0x35c
#define VXE_MI_CTX_TIMESTAMP		0x3a8
#define VXE_MI_CTX_TIMESTAMP_UDW	0x3ac

/* MI_SEMAPHORE_WAIT: 4 dwords, or 5 (with a wait token) */
#define VXE_MI_SEMAPHORE_INDIRECT BIT(17)
#define VXE_MI_SEMAPHORE_REGISTER_POLL BIT(16)
#define VXE_MI_SEMAPHORE_POLL	BIT(15)

/*
 * Compare operations of MI_SEMAPHORE_WAIT and MI_CONDITIONAL_BATCH_BUFFER_END
 * (bits 14:12): memory data (SAD/MAD) against the inline dword (SDD/IDD),
 * unsigned.  True: the semaphore is satisfied, the batch goes on.
 */
#define VXE_MI_COMPARE_OP	GENMASK(14, 12)
#define VXE_MI_SAD_GT_SDD	FIELD_PREP_CONST(VXE_MI_COMPARE_OP, 0)
#define VXE_MI_SAD_GTE_SDD	FIELD_PREP_CONST(VXE_MI_COMPARE_OP, 1)
#define VXE_MI_SAD_LT_SDD	FIELD_PREP_CONST(VXE_MI_COMPARE_OP, 2)
#define VXE_MI_SAD_LTE_SDD	FIELD_PREP_CONST(VXE_MI_COMPARE_OP, 3)
#define VXE_MI_SAD_EQ_SDD	FIELD_PREP_CONST(VXE_MI_COMPARE_OP, 4)
#define VXE_MI_SAD_NEQ_SDD	FIELD_PREP_CONST(VXE_MI_COMPARE_OP, 5)

/* MI_CONDITIONAL_BATCH_BUFFER_END: 4 dwords */
#define VXE_MI_DO_COMPARE	BIT(21)
#define VXE_MI_CBBE_MASK_MODE	BIT(19)
#define VXE_MI_CBBE_END_LEVEL	BIT(18)
#define VXE_MI_CBBE_PREDICATE	BIT(15)

/*
 * Blitter (client 2) commands, run by the copy engines only: MEM_COPY,
 * MEM_SET and XY_FAST_COPY_BLT with Xe2's encodings (Xe's instructions/xe_gpu_commands.h,
 * IGT's intel_blt.c).  The opcode is in bits 28:22, the length (dwords
 * minus two) in bits 7:0; bits 18:17 give the type: linear (one row) or
 * matrix (rows of a width, a pitch apart).
 */
#define VXE_INSTR_CLIENT_2D	2
#define VXE_BLT_OPCODE		GENMASK(28, 22)
#define VXE_BLT_INSTR(op)	((u32)VXE_INSTR_CLIENT_2D << 29 | (u32)(op) << 22)
#define VXE_MEM_COPY		VXE_BLT_INSTR(0x5a)
#define VXE_MEM_SET		VXE_BLT_INSTR(0x5b)
#define VXE_BLT_TYPE		GENMASK(18, 17)
#define VXE_BLT_LINEAR		FIELD_PREP_CONST(VXE_BLT_TYPE, 0)
#define VXE_BLT_MATRIX		FIELD_PREP_CONST(VXE_BLT_TYPE, 1)
#define VXE_BLT_HEIGHT		GENMASK(17, 0)
#define VXE_BLT_PITCH		GENMASK(17, 0)

/*
 * MEM_COPY: 10 dwords: width - 1, height - 1, source pitch - 1,
 * destination pitch - 1, source address, destination address, MOCS.  In
 * page mode (linear only) the width counts 256-byte pages.
 */
#define VXE_MEM_COPY_PAGE_MODE	BIT(19)
#define VXE_MEM_COPY_WIDTH	GENMASK(17, 0)
#define VXE_MEM_COPY_PAGES	GENMASK(23, 0)
#define VXE_MEM_COPY_PAGE_SIZE	256

/*
 * MEM_SET: 7 dwords: width - 1, height - 1, pitch - 1, destination
 * address, then the fill byte (bits 31:24) and MOCS.
 */
#define VXE_MEM_SET_WIDTH	GENMASK(23, 0)
#define VXE_MEM_SET_DATA	GENMASK(31, 24)

/*
 * XY_FAST_COPY_BLT: 10 dwords: a rectangle of pixels from one surface to
 * another, each linear or tiled (source tiling in bits 21:20 of the
 * header, destination in 14:13): destination pitch and color depth,
 * destination x1/y1 and x2/y2 (exclusive), destination address, source
 * x1/y1, source pitch, source address.  A pitch is in bytes for a linear
 * surface, in dwords for a tiled one; coordinates are in pixels.
 */
#define VXE_XY_FAST_COPY	VXE_BLT_INSTR(0x42)
#define VXE_FAST_SRC_TILING	GENMASK(21, 20)
#define VXE_FAST_DST_TILING	GENMASK(14, 13)
#define VXE_FAST_PITCH		GENMASK(15, 0)
#define VXE_FAST_COLOR_DEPTH	GENMASK(26, 24)
#define VXE_FAST_X		GENMASK(15, 0)
#define VXE_FAST_Y		GENMASK(31, 16)

/* Surface tilings of XY_FAST_COPY_BLT */
enum vxe_tiling {
	VXE_TILING_LINEAR = 0,
	VXE_TILING_X = 1,	/* 512 bytes x 8 rows, rows linear */
	VXE_TILING_4 = 2,	/* 128 bytes x 32 rows, in 16-byte pieces */
	VXE_TILING_64 = 3,	/* 64 KiB, its shape set by the pixel size */
};

/* GPU virtual addresses in commands: bits 63:48 are ignored */
#define VXE_MI_ADDR_MASK	GENMASK_ULL(47, 0)

/**
 * struct vxe_mi_ctx - one batch run by an engine's command streamer
 * @vm: the VM: every fetch and every memory access goes through its page
 *	tables and TLB (vxe_gpu_access_fn()), faulting like hardware
 * @should_stop: polled between commands and while waiting (semaphores):
 *	true when the job must stop (queue destroyed or banned, time-out)
 * @priv: passed to @should_stop
 * @mmio_base: in: the engine's MMIO base (vxe_engine_mmio_base(): 0x2000
 *	for the render engine; 0 is fine): added to the register offsets of
 *	commands with a CS_MMIO flag; the CS_GPR registers of MI_ATOMIC and
 *	MI_MATH and the timestamp registers are at this base
 * @engine_class: in: the engine's class (%DRM_XE_ENGINE_CLASS_RENDER...):
 *	copy engines also run the blitter's MEM_COPY, MEM_SET and
 *	XY_FAST_COPY_BLT
 * @ctx_ticks: in: the context's run time before this run, in reference
 *	clock ticks (CTX_TIMESTAMP); out: with this run's time added
 * @run_start: the engine timestamp when this run started
 * @nr_cmds: out: commands executed by this run
 * @err_addr: out, on failure: GPU address of the failing command (or of
 *	the access that faulted, see @err_is_fault)
 * @err_header: out, on failure: the failing command's first dword
 * @err_is_fault: out: the failure was an unrecoverable memory access at
 *	@err_addr
 * @nr_regs: registers written so far
 * @regs: register file: @regs[i] = { offset, value }
 */
struct vxe_mi_ctx {
	struct vxe_vm *vm;
	bool (*should_stop)(void *priv);
	void *priv;
	u32 mmio_base;
	u16 engine_class;
	u64 ctx_ticks;
	u64 run_start;
	unsigned long nr_cmds;
	u64 err_addr;
	u32 err_header;
	bool err_is_fault;
	unsigned int nr_regs;
	u32 regs[VXE_MI_NR_REGS][2];
};

int vxe_mi_run(struct vxe_mi_ctx *ctx, u64 batch_addr);

#endif
