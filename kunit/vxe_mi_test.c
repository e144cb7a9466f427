// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * KUnit tests of vxe's command streamer (vxe_mi.c): every MI command and
 * its length variants, bad encodings, memory faults, atomics racing with
 * other engines and with the CPU, chained and nested batches, conditional
 * ends, semaphores, and cancellation.  Batches live in the test's own
 * address space (GPU VA == CPU VA) and are written with copy_to_user().
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>

#include "gpusvm_kunit.h"
#include "vxe_device.h"
#include "vxe_mi.h"

#define RW		(PROT_READ | PROT_WRITE)
#define MAP_LEN		SZ_64K
#define BATCH		GK_BASE			/* batches */
#define BATCH2		(GK_BASE + SZ_8K)	/* second-level batches */
#define BATCH3		(GK_BASE + SZ_16K)
#define BATCH4		(GK_BASE + SZ_16K + SZ_4K)
#define DATA		(GK_BASE + SZ_32K)	/* what batches write */
#define UNMAPPED	(GK_BASE + SZ_1M)	/* nothing mapped there */
#define BB_MAX		1024			/* dwords of a batch */
#define JOB_TIMEOUT_MS	10000

/* Dword lengths: the header says "total - 2" */
#define SDI_DW(n)	(VXE_MI_STORE_DATA_IMM | VXE_MI_NUM_DW(3 + (n)))
#define SDI_QW(n)	(SDI_DW(2 * (n)) | VXE_MI_SDI_QWORD)

/**
 * struct mi_bb - a batch being written
 * @addr: its GPU (and CPU) address
 * @n: dwords so far
 * @dw: the dwords
 */
struct mi_bb {
	u64 addr;
	unsigned int n;
	u32 dw[BB_MAX];
};

/**
 * struct mi_test - the fixture: a VM, a mapping and a context
 * @test: the test
 * @gk: the device and VM
 * @ctx: the context runs use
 * @bb: a batch buffer to write batches with
 */
struct mi_test {
	struct kunit *test;
	struct gpusvm_kunit *gk;
	struct vxe_mi_ctx ctx;
	struct mi_bb *bb;
};

static struct mi_test *mt_create(struct kunit *test)
{
	struct mi_test *mt = kunit_kzalloc(test, sizeof(*mt), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, mt);
	mt->test = test;
	mt->gk = gk_create(test, NULL);
	gk_mmap(mt->gk, GK_BASE, MAP_LEN, RW);
	mt->bb = kunit_kzalloc(test, sizeof(*mt->bb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mt->bb);
	mt->ctx.vm = mt->gk->vm;
	return mt;
}

/* Start a new batch at @addr. */
static struct mi_bb *bb_at(struct mi_test *mt, u64 addr)
{
	mt->bb->addr = addr;
	mt->bb->n = 0;
	return mt->bb;
}

static u64 bb_here(const struct mi_bb *bb)
{
	return bb->addr + 4 * bb->n;
}

static void emit(struct mi_bb *bb, u32 dw)
{
	if (!WARN_ON(bb->n >= BB_MAX))
		bb->dw[bb->n++] = dw;
}

static void emit_addr(struct mi_bb *bb, u64 addr)
{
	emit(bb, lower_32_bits(addr));
	emit(bb, upper_32_bits(addr));
}

static void emit_sdi(struct mi_bb *bb, u64 addr, u32 value)
{
	emit(bb, SDI_DW(1));
	emit_addr(bb, addr);
	emit(bb, value);
}

static void emit_bbs(struct mi_bb *bb, u64 addr, bool nested)
{
	emit(bb, VXE_MI_BATCH_BUFFER_START | VXE_MI_BBS_PPGTT |
	     (nested ? VXE_MI_BBS_NESTED : 0) | VXE_MI_NUM_DW(3));
	emit_addr(bb, addr);
}

static void emit_bbe(struct mi_bb *bb)
{
	emit(bb, VXE_MI_BATCH_BUFFER_END);
}

/* Write the batch to memory. */
static void bb_put(struct mi_test *mt, const struct mi_bb *bb)
{
	KUNIT_ASSERT_EQ(mt->test, copy_to_user((void __user *)bb->addr, bb->dw,
					       4 * bb->n), 0);
}

static int mt_run(struct mi_test *mt, u64 addr)
{
	return vxe_mi_run(&mt->ctx, addr);
}

/* Write the batch and run it. */
static int bb_run(struct mi_test *mt, const struct mi_bb *bb)
{
	bb_put(mt, bb);
	return mt_run(mt, bb->addr);
}

static u32 rd32(struct mi_test *mt, u64 addr)
{
	u32 v = 0;

	KUNIT_ASSERT_EQ(mt->test, get_user(v, (u32 __user *)addr), 0);
	return v;
}

static u64 rd64(struct mi_test *mt, u64 addr)
{
	u64 v = 0;

	KUNIT_ASSERT_EQ(mt->test, get_user(v, (u64 __user *)addr), 0);
	return v;
}

static void wr32(struct mi_test *mt, u64 addr, u32 v)
{
	KUNIT_ASSERT_EQ(mt->test, put_user(v, (u32 __user *)addr), 0);
}

static void wr64(struct mi_test *mt, u64 addr, u64 v)
{
	KUNIT_ASSERT_EQ(mt->test, put_user(v, (u64 __user *)addr), 0);
}

/* The value of a register of the context, or -1 if never written. */
static s64 reg(const struct vxe_mi_ctx *ctx, u32 offset)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_regs; i++)
		if (ctx->regs[i][0] == offset)
			return ctx->regs[i][1];
	return -1;
}

/* Expect the run to fail on the command at @addr, not on memory. */
static void expect_bad_cmd(struct mi_test *mt, int ret, int err, u64 addr,
			   u32 hdr)
{
	KUNIT_EXPECT_EQ_MSG(mt->test, ret, err, "header %#010x", hdr);
	KUNIT_EXPECT_EQ_MSG(mt->test, mt->ctx.err_addr, addr, "header %#010x",
			    hdr);
	KUNIT_EXPECT_EQ_MSG(mt->test, mt->ctx.err_header, hdr, "header %#010x",
			    hdr);
	KUNIT_EXPECT_FALSE_MSG(mt->test, mt->ctx.err_is_fault, "header %#010x",
			       hdr);
}

/*
 * A batch run by a kernel thread, as an engine's worker runs it, so that
 * the test thread can play the CPU side.  A KUnit action stops and waits
 * for it, whatever happens to the test.
 */
struct mi_job {
	struct vxe_mi_ctx ctx;
	u64 addr;
	int ret;
	bool stop;
	struct completion done;
};

static bool mi_job_should_stop(void *priv)
{
	struct mi_job *job = priv;

	return READ_ONCE(job->stop);
}

static int mi_job_fn(void *data)
{
	struct mi_job *job = data;

	job->ret = vxe_mi_run(&job->ctx, job->addr);
	complete_all(&job->done);
	return 0;
}

static void mi_job_release(void *data)
{
	struct mi_job *job = data;

	WRITE_ONCE(job->stop, true);
	wait_for_completion(&job->done);
}

static struct mi_job *mi_job_start(struct mi_test *mt, u64 addr)
{
	struct kunit *test = mt->test;
	struct task_struct *task;
	struct mi_job *job;

	job = kunit_kzalloc(test, sizeof(*job), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, job);
	job->ctx.vm = mt->gk->vm;
	job->ctx.should_stop = mi_job_should_stop;
	job->ctx.priv = job;
	job->addr = addr;
	init_completion(&job->done);

	task = kthread_run(mi_job_fn, job, "vxe_mi_test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, mi_job_release,
							job), 0);
	return job;
}

/* Wait for the job; after a time-out, stop it and fail. */
static int mi_job_wait(struct mi_test *mt, struct mi_job *job)
{
	if (!wait_for_completion_timeout(&job->done,
					 msecs_to_jiffies(JOB_TIMEOUT_MS))) {
		KUNIT_FAIL(mt->test, "batch at %#llx still running after %d ms",
			   job->addr, JOB_TIMEOUT_MS);
		WRITE_ONCE(job->stop, true);
		wait_for_completion(&job->done);
	}
	return job->ret;
}

/* Wait until the dword at @addr reads @v (or time out and fail). */
static void wait_for_value(struct mi_test *mt, u64 addr, u32 v)
{
	unsigned int ms;

	for (ms = 0; ms < JOB_TIMEOUT_MS; ms++) {
		if (rd32(mt, addr) == v)
			return;
		usleep_range(1000, 1100);
	}
	KUNIT_FAIL(mt->test, "%#llx never read %#x", addr, v);
}

static void vxe_mi_noops_and_end(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);

	emit(bb, VXE_MI_NOOP);
	emit(bb, VXE_MI_NOOP | BIT(22) | 0x1234);	/* NOPID write */
	emit(bb, VXE_MI_ARB_CHECK);
	emit(bb, VXE_MI_ARB_ON_OFF | 1);
	emit(bb, VXE_MI_ARB_ON_OFF);
	emit(bb, VXE_MI_USER_INTERRUPT);
	emit(bb, VXE_MI_MEM_FENCE | 3);
	emit_sdi(bb, DATA, 0xc0ffee);
	emit_bbe(bb);
	/* Never reached */
	emit_sdi(bb, DATA + 4, 0xbad);
	emit_bbe(bb);

	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 9);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 0xc0ffee);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 0);
}

static void vxe_mi_store_dword(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);

	/* IGT's MI_STORE_DWORD_IMM_GEN4: 0x10000002 */
	KUNIT_ASSERT_EQ(test, SDI_DW(1), 0x10000002);
	emit_sdi(bb, DATA + 8, 0x12345678);
	/* Bits 63:48 of an address and bits 1:0 are ignored. */
	emit(bb, SDI_DW(1));
	emit(bb, lower_32_bits(DATA + 16) | 3);
	emit(bb, upper_32_bits(DATA + 16) | 0xffff0000);
	emit(bb, 0x9abcdef0);
	emit_bbe(bb);

	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 8), 0x12345678);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 12), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 16), 0x9abcdef0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 20), 0);
}

static void vxe_mi_store_lengths(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);
	unsigned int i;

	/* A qword (IGT's MI_STORE_QWORD_IMM_GEN8: 0x10200003) */
	KUNIT_ASSERT_EQ(test, SDI_QW(1), 0x10200003);
	emit(bb, SDI_QW(1));
	emit_addr(bb, DATA);
	emit(bb, 0x55667788);
	emit(bb, 0x11223344);
	/* Two dwords, same length, no qword bit */
	emit(bb, SDI_DW(2));
	emit_addr(bb, DATA + 16);
	emit(bb, 0xaaaa0001);
	emit(bb, 0xaaaa0002);
	/* Two qwords */
	emit(bb, SDI_QW(2));
	emit_addr(bb, DATA + 32);
	for (i = 0; i < 4; i++)
		emit(bb, 0xbbbb0000 + i);
	/* 40 dwords: longer than a fetch */
	emit(bb, SDI_DW(40));
	emit_addr(bb, DATA + 64);
	for (i = 0; i < 40; i++)
		emit(bb, 0xcccc0000 + i);
	emit_bbe(bb);

	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 5);
	KUNIT_EXPECT_EQ(test, rd64(mt, DATA), 0x1122334455667788ull);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 8), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 16), 0xaaaa0001);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 20), 0xaaaa0002);
	KUNIT_EXPECT_EQ(test, rd64(mt, DATA + 32), 0xbbbb0001bbbb0000ull);
	KUNIT_EXPECT_EQ(test, rd64(mt, DATA + 40), 0xbbbb0003bbbb0002ull);
	for (i = 0; i < 40; i++)
		KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 64 + 4 * i), 0xcccc0000 + i);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 64 + 160), 0);
}

static void vxe_mi_store_bad_lengths(struct kunit *test)
{
	static const u32 hdrs[] = {
		VXE_MI_STORE_DATA_IMM | VXE_MI_NUM_DW(3),	/* no data */
		VXE_MI_STORE_DATA_IMM | VXE_MI_NUM_DW(2),
		SDI_DW(1) | VXE_MI_SDI_QWORD,			/* half a qword */
		SDI_DW(3) | VXE_MI_SDI_QWORD,
	};
	struct mi_test *mt = mt_create(test);
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(hdrs); i++) {
		struct mi_bb *bb = bb_at(mt, BATCH);

		emit(bb, VXE_MI_NOOP);
		emit(bb, hdrs[i]);
		emit_addr(bb, DATA);
		for (j = 0; j < 4; j++)
			emit(bb, 0xbad);
		emit_bbe(bb);
		expect_bad_cmd(mt, bb_run(mt, bb), -ENOEXEC, BATCH + 4, hdrs[i]);
		KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 1);
		KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 0);
	}
}

static void vxe_mi_bad_lengths(struct kunit *test)
{
	static const u32 hdrs[] = {
		VXE_MI_BATCH_BUFFER_START | VXE_MI_NUM_DW(2),
		VXE_MI_BATCH_BUFFER_START | VXE_MI_NUM_DW(4),
		VXE_MI_LOAD_REGISTER_REG | VXE_MI_NUM_DW(2),
		VXE_MI_LOAD_REGISTER_REG | VXE_MI_NUM_DW(4),
		VXE_MI_STORE_REGISTER_MEM | VXE_MI_NUM_DW(3),
		VXE_MI_STORE_REGISTER_MEM | VXE_MI_NUM_DW(5),
		VXE_MI_LOAD_REGISTER_MEM | VXE_MI_NUM_DW(3),
		VXE_MI_LOAD_REGISTER_MEM | VXE_MI_NUM_DW(5),
		VXE_MI_COND_BB_END | VXE_MI_DO_COMPARE | VXE_MI_NUM_DW(3),
		VXE_MI_COND_BB_END | VXE_MI_DO_COMPARE | VXE_MI_NUM_DW(5),
		VXE_MI_FLUSH_DW | VXE_MI_NUM_DW(3),
		VXE_MI_FLUSH_DW | VXE_MI_FLUSH_OP_STOREDW | VXE_MI_NUM_DW(6),
		VXE_MI_COPY_MEM_MEM | VXE_MI_NUM_DW(4),
		VXE_MI_COPY_MEM_MEM | VXE_MI_NUM_DW(6),
		VXE_MI_ATOMIC | VXE_MI_ATOMIC_OP(VXE_ATOMIC_INC) | VXE_MI_NUM_DW(4),
		VXE_MI_ATOMIC | VXE_MI_ATOMIC_INLINE |
			VXE_MI_ATOMIC_OP(VXE_ATOMIC_ADD) | VXE_MI_NUM_DW(4),
		VXE_MI_ATOMIC | VXE_MI_ATOMIC_INLINE |
			VXE_MI_ATOMIC_OP(VXE_ATOMIC_ADD) | VXE_MI_NUM_DW(7),
		VXE_MI_ATOMIC | VXE_MI_ATOMIC_QWORD | VXE_MI_ATOMIC_INLINE |
			VXE_MI_ATOMIC_OP_8B(VXE_ATOMIC_ADD) | VXE_MI_NUM_DW(5),
		VXE_MI_SEMAPHORE_WAIT | VXE_MI_SEMAPHORE_POLL | VXE_MI_NUM_DW(3),
		VXE_MI_SEMAPHORE_WAIT | VXE_MI_SEMAPHORE_POLL | VXE_MI_NUM_DW(6),
		VXE_MI_LOAD_REGISTER_IMM | VXE_MI_NUM_DW(2),
		VXE_MI_LOAD_REGISTER_IMM | VXE_MI_NUM_DW(4),
	};
	struct mi_test *mt = mt_create(test);
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(hdrs); i++) {
		struct mi_bb *bb = bb_at(mt, BATCH);

		emit(bb, hdrs[i]);
		emit_addr(bb, DATA);
		for (j = 0; j < 12; j++)
			emit(bb, 0);
		emit_bbe(bb);
		expect_bad_cmd(mt, bb_run(mt, bb), -ENOEXEC, BATCH, hdrs[i]);
		KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 0);
	}
	KUNIT_EXPECT_EQ(test, mt->ctx.nr_regs, 0);
}

static void vxe_mi_unknown_command(struct kunit *test)
{
	static const u32 hdrs[] = {
		VXE_MI_INSTR(0x3f),
		VXE_MI_INSTR(0x39) | 1,	/* MI_PRT_BATCH_BUFFER_START */
		0x7a000004,		/* PIPE_CONTROL: not an MI command */
		0x56800008,		/* MEM_COPY: not on the render engine */
		0xffffffff,
	};
	struct mi_test *mt = mt_create(test);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hdrs); i++) {
		struct mi_bb *bb = bb_at(mt, BATCH);

		emit_sdi(bb, DATA, i + 1);
		emit(bb, hdrs[i]);
		emit_sdi(bb, DATA + 4, 0xbad);
		emit_bbe(bb);
		expect_bad_cmd(mt, bb_run(mt, bb), -ENOEXEC, BATCH + 16, hdrs[i]);
		KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 1);
		KUNIT_EXPECT_EQ(test, rd32(mt, DATA), i + 1);
		KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 0);
	}
}

static void vxe_mi_ggtt_rejected(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb;
	u32 hdr;

	/* Stores, atomics, copies, semaphores, conditional ends, flushes */
	hdr = SDI_DW(1) | VXE_MI_GGTT;
	bb = bb_at(mt, BATCH);
	emit(bb, hdr);
	emit_addr(bb, DATA);
	emit(bb, 1);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -EPERM, BATCH, hdr);

	hdr = VXE_MI_ATOMIC | VXE_MI_GGTT | VXE_MI_ATOMIC_OP(VXE_ATOMIC_INC) |
	      VXE_MI_NUM_DW(3);
	bb = bb_at(mt, BATCH);
	emit(bb, hdr);
	emit_addr(bb, DATA);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -EPERM, BATCH, hdr);

	hdr = VXE_MI_COPY_MEM_MEM | VXE_MI_COPY_SRC_GGTT | VXE_MI_NUM_DW(5);
	bb = bb_at(mt, BATCH);
	emit(bb, hdr);
	emit_addr(bb, DATA);
	emit_addr(bb, DATA + 4);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -EPERM, BATCH, hdr);

	hdr = VXE_MI_COPY_MEM_MEM | VXE_MI_COPY_DST_GGTT | VXE_MI_NUM_DW(5);
	bb = bb_at(mt, BATCH);
	emit(bb, hdr);
	emit_addr(bb, DATA);
	emit_addr(bb, DATA + 4);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -EPERM, BATCH, hdr);

	hdr = VXE_MI_SEMAPHORE_WAIT | VXE_MI_GGTT | VXE_MI_SEMAPHORE_POLL |
	      VXE_MI_SAD_EQ_SDD | VXE_MI_NUM_DW(4);
	bb = bb_at(mt, BATCH);
	emit(bb, hdr);
	emit(bb, 0);
	emit_addr(bb, DATA);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -EPERM, BATCH, hdr);

	hdr = VXE_MI_COND_BB_END | VXE_MI_GGTT | VXE_MI_DO_COMPARE |
	      VXE_MI_NUM_DW(4);
	bb = bb_at(mt, BATCH);
	emit(bb, hdr);
	emit(bb, 0);
	emit_addr(bb, DATA);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -EPERM, BATCH, hdr);

	/* MI_FLUSH_DW: a GGTT address, or an index into the status page */
	hdr = VXE_MI_FLUSH_DW | VXE_MI_FLUSH_OP_STOREDW | VXE_MI_NUM_DW(4);
	bb = bb_at(mt, BATCH);
	emit(bb, hdr);
	emit_addr(bb, DATA | VXE_MI_FLUSH_USE_GTT);
	emit(bb, 1);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -EPERM, BATCH, hdr);

	hdr = VXE_MI_FLUSH_DW | VXE_MI_FLUSH_STORE_INDEX |
	      VXE_MI_FLUSH_OP_STOREDW | VXE_MI_NUM_DW(4);
	bb = bb_at(mt, BATCH);
	emit(bb, hdr);
	emit_addr(bb, 0x40);
	emit(bb, 1);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -EPERM, BATCH, hdr);

	KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 0);
}

static void vxe_mi_store_unmapped(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);

	emit_sdi(bb, DATA, 1);
	emit_sdi(bb, UNMAPPED + 8, 2);
	emit_sdi(bb, DATA + 4, 3);
	emit_bbe(bb);
	KUNIT_EXPECT_EQ(test, bb_run(mt, bb), -EFAULT);
	KUNIT_EXPECT_TRUE(test, mt->ctx.err_is_fault);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_addr, UNMAPPED + 8);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_header, SDI_DW(1));
	KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 1);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 1);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 0);

	/* A qword across the end of the mapping: the fault is at the end. */
	bb = bb_at(mt, BATCH);
	emit(bb, SDI_QW(1));
	emit_addr(bb, GK_BASE + MAP_LEN - 4);
	emit(bb, 0x11111111);
	emit(bb, 0x22222222);
	emit_bbe(bb);
	KUNIT_EXPECT_EQ(test, bb_run(mt, bb), -EFAULT);
	KUNIT_EXPECT_TRUE(test, mt->ctx.err_is_fault);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_addr, GK_BASE + MAP_LEN);
	KUNIT_EXPECT_EQ(test, rd32(mt, GK_BASE + MAP_LEN - 4), 0x11111111);
}

static void vxe_mi_batch_unmapped(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);

	KUNIT_EXPECT_EQ(test, mt_run(mt, UNMAPPED), -EFAULT);
	KUNIT_EXPECT_TRUE(test, mt->ctx.err_is_fault);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_addr, UNMAPPED);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_header, 0);
	KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 0);

	/* A jump to nowhere faults at its target. */
	emit_bbs(bb_at(mt, BATCH), UNMAPPED + SZ_4K, false);
	KUNIT_EXPECT_EQ(test, bb_run(mt, mt->bb), -EFAULT);
	KUNIT_EXPECT_TRUE(test, mt->ctx.err_is_fault);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_addr, UNMAPPED + SZ_4K);
	KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 1);
}

static void vxe_mi_end_at_page_end(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	u64 page = UNMAPPED - SZ_4K, end = UNMAPPED;
	struct mi_bb *bb;

	/* One page, and nothing after it: the batch ends on its last dword. */
	gk_mmap(mt->gk, page, SZ_4K, RW);
	bb = bb_at(mt, end - 4 * 9);
	emit_sdi(bb, DATA, 0x600d);
	emit(bb, VXE_MI_NOOP);
	emit(bb, VXE_MI_NOOP);
	emit(bb, VXE_MI_NOOP);
	emit(bb, VXE_MI_NOOP);
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_here(bb), end);
	KUNIT_EXPECT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 6);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 0x600d);
}

static void vxe_mi_command_across_unmapped(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	u64 page = UNMAPPED - SZ_4K, end = UNMAPPED;
	struct mi_bb *bb;

	/* A store whose data dwords are on the next, unmapped, page */
	gk_mmap(mt->gk, page, SZ_4K, RW);
	bb = bb_at(mt, end - 4 * 3);
	emit(bb, SDI_DW(1));
	emit_addr(bb, DATA);
	bb_put(mt, bb);
	KUNIT_EXPECT_EQ(test, mt_run(mt, bb->addr), -EFAULT);
	KUNIT_EXPECT_TRUE(test, mt->ctx.err_is_fault);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_addr, end);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_header, SDI_DW(1));
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 0);
}

static void vxe_mi_copy_mem_mem(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);

	wr64(mt, DATA, 0x8765432112345678ull);
	emit(bb, VXE_MI_COPY_MEM_MEM | VXE_MI_NUM_DW(5));
	emit_addr(bb, DATA + 0x100);	/* destination */
	emit_addr(bb, DATA);		/* source */
	emit(bb, VXE_MI_COPY_MEM_MEM | VXE_MI_NUM_DW(5));
	emit_addr(bb, DATA + 0x108);
	emit_addr(bb, DATA + 4);
	emit_bbe(bb);

	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 0x100), 0x12345678);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 0x104), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 0x108), 0x87654321);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 0x10c), 0);

	/* A source that faults */
	bb = bb_at(mt, BATCH);
	emit(bb, VXE_MI_COPY_MEM_MEM | VXE_MI_NUM_DW(5));
	emit_addr(bb, DATA + 0x100);
	emit_addr(bb, UNMAPPED);
	emit_bbe(bb);
	KUNIT_EXPECT_EQ(test, bb_run(mt, bb), -EFAULT);
	KUNIT_EXPECT_TRUE(test, mt->ctx.err_is_fault);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_addr, UNMAPPED);
}

static void vxe_mi_flush_dw(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);
	u32 hdr;

	/* No post-sync operation: nothing written, TLB invalidation ignored */
	emit(bb, VXE_MI_FLUSH_DW | VXE_MI_FLUSH_INVALIDATE_TLB |
	     VXE_MI_NUM_DW(4));
	emit_addr(bb, DATA);
	emit(bb, 0xbad);
	/* Store a dword, then a qword */
	emit(bb, VXE_MI_FLUSH_DW | VXE_MI_FLUSH_OP_STOREDW | VXE_MI_NUM_DW(4));
	emit_addr(bb, DATA + 8);
	emit(bb, 0xf1005);
	emit(bb, VXE_MI_FLUSH_DW | VXE_MI_FLUSH_OP_STOREDW |
	     VXE_MI_FLUSH_INVALIDATE_TLB | VXE_MI_NUM_DW(5));
	emit_addr(bb, DATA + 16);
	emit(bb, 0xdddd0000);
	emit(bb, 0xeeee0000);
	emit_bbe(bb);

	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 4);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 0);
	KUNIT_EXPECT_EQ(test, rd64(mt, DATA + 8), 0xf1005);
	KUNIT_EXPECT_EQ(test, rd64(mt, DATA + 16), 0xeeee0000dddd0000ull);

	/* Post-sync "write timestamp" is not supported */
	hdr = VXE_MI_FLUSH_DW | FIELD_PREP(VXE_MI_FLUSH_OP, 3) |
	      VXE_MI_NUM_DW(5);
	bb = bb_at(mt, BATCH);
	emit(bb, hdr);
	emit_addr(bb, DATA + 24);
	emit(bb, 0);
	emit(bb, 0);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -ENOEXEC, BATCH, hdr);
}

static void vxe_mi_load_register_imm(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct vxe_mi_ctx *ctx = &mt->ctx;
	struct mi_bb *bb = bb_at(mt, BATCH);

	/* IGT's MI_LOAD_REGISTER_IMM(1): 0x11000001 */
	KUNIT_ASSERT_EQ(test, VXE_MI_LOAD_REGISTER_IMM | VXE_MI_LRI_NUM_REGS(1),
			0x11000001);
	ctx->mmio_base = 0x2000;
	emit(bb, VXE_MI_LOAD_REGISTER_IMM | VXE_MI_LRI_NUM_REGS(3));
	emit(bb, 0x2600);
	emit(bb, 0x11111111);
	emit(bb, 0x2604);
	emit(bb, 0x22222222);
	emit(bb, 0x1234 | 3);	/* bits 1:0 are not part of the offset */
	emit(bb, 0x33333333);
	/* The same register again: overwritten */
	emit(bb, VXE_MI_LOAD_REGISTER_IMM | VXE_MI_LRI_NUM_REGS(1));
	emit(bb, 0x2600);
	emit(bb, 0x44444444);
	/* Relative to the engine's MMIO base */
	emit(bb, VXE_MI_LOAD_REGISTER_IMM | VXE_MI_LRI_CS_MMIO |
	     VXE_MI_LRI_NUM_REGS(1));
	emit(bb, VXE_MI_CS_GPR(1));
	emit(bb, 0x55555555);
	/* Bytes 0 and 1 write-disabled */
	emit(bb, VXE_MI_LOAD_REGISTER_IMM | BIT(8) | BIT(9) |
	     VXE_MI_LRI_NUM_REGS(1));
	emit(bb, 0x2604);
	emit(bb, 0xabcdef01);
	emit_bbe(bb);

	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, ctx->nr_regs, 4);
	KUNIT_EXPECT_EQ(test, reg(ctx, 0x2600), 0x44444444);
	KUNIT_EXPECT_EQ(test, reg(ctx, 0x2604), 0xabcd2222);
	KUNIT_EXPECT_EQ(test, reg(ctx, 0x1234), 0x33333333);
	KUNIT_EXPECT_EQ(test, reg(ctx, 0x2608), 0x55555555);
}

static void vxe_mi_load_register_imm_full(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct vxe_mi_ctx *ctx = &mt->ctx;
	struct mi_bb *bb = bb_at(mt, BATCH);
	unsigned int i;
	u32 hdr;

	/* The whole register file in one command */
	emit(bb, VXE_MI_LOAD_REGISTER_IMM | VXE_MI_LRI_NUM_REGS(VXE_MI_NR_REGS));
	for (i = 0; i < VXE_MI_NR_REGS; i++) {
		emit(bb, 0x10000 + 4 * i);
		emit(bb, i);
	}
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, ctx->nr_regs, VXE_MI_NR_REGS);

	/* Known registers can still be written, a new one cannot. */
	hdr = VXE_MI_LOAD_REGISTER_IMM | VXE_MI_LRI_NUM_REGS(2);
	bb = bb_at(mt, BATCH);
	emit(bb, hdr);
	emit(bb, 0x10000);
	emit(bb, 0x600d);
	emit(bb, 0x20000);
	emit(bb, 0xbad);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -ENOSPC, BATCH, hdr);
	KUNIT_EXPECT_EQ(test, ctx->nr_regs, VXE_MI_NR_REGS);
	KUNIT_EXPECT_EQ(test, reg(ctx, 0x10000), 0x600d);
	KUNIT_EXPECT_EQ(test, reg(ctx, 0x20000), -1);
}

/**
 * struct atomic_case - one MI_ATOMIC and its effect
 * @op: the operation
 * @mem: memory before
 * @op1: operand 1
 * @op2: operand 2
 * @result: memory after
 */
struct atomic_case {
	u8 op;
	u64 mem;
	u64 op1;
	u64 op2;
	u64 result;
};

static const struct atomic_case atomic_dword_cases[] = {
	{ VXE_ATOMIC_AND, 0xf0f0f0f0, 0xff00ff00, 0, 0xf000f000 },
	{ VXE_ATOMIC_OR, 0xf0f0f0f0, 0x0f000000, 0, 0xfff0f0f0 },
	{ VXE_ATOMIC_XOR, 0xffff0000, 0x0ff00ff0, 0, 0xf00f0ff0 },
	{ VXE_ATOMIC_MOVE, 5, 0xdeadbeef, 0, 0xdeadbeef },
	{ VXE_ATOMIC_INC, 0xffffffff, 0, 0, 0 },
	{ VXE_ATOMIC_DEC, 0, 0, 0, 0xffffffff },
	{ VXE_ATOMIC_ADD, 0xfffffff0, 0x20, 0, 0x10 },
	{ VXE_ATOMIC_SUB, 10, 20, 0, 0xfffffff6 },
	{ VXE_ATOMIC_RSUB, 10, 25, 0, 15 },
	{ VXE_ATOMIC_IMAX, 0xfffffffb, 3, 0, 3 },
	{ VXE_ATOMIC_IMIN, 0xfffffffb, 3, 0, 0xfffffffb },
	{ VXE_ATOMIC_UMAX, 0xfffffffb, 3, 0, 0xfffffffb },
	{ VXE_ATOMIC_UMIN, 0xfffffffb, 3, 0, 3 },
	{ VXE_ATOMIC_CMP_WR, 7, 7, 9, 9 },
	{ VXE_ATOMIC_CMP_WR, 7, 8, 9, 7 },
	{ VXE_ATOMIC_PREDEC, 1, 0, 0, 0 },
};

static const struct atomic_case atomic_qword_cases[] = {
	{ VXE_ATOMIC_AND, 0xf0f0f0f0f0f0f0f0ull, 0xff00ff0000ff00ffull, 0,
	  0xf000f00000f000f0ull },
	{ VXE_ATOMIC_OR, 0x00000000f0f0f0f0ull, 0x0f00000000000000ull, 0,
	  0x0f000000f0f0f0f0ull },
	{ VXE_ATOMIC_XOR, 0xffff0000ffff0000ull, 0x0ff00ff00ff00ff0ull, 0,
	  0xf00f0ff0f00f0ff0ull },
	{ VXE_ATOMIC_MOVE, 5, 0x0123456789abcdefull, 0, 0x0123456789abcdefull },
	{ VXE_ATOMIC_INC, 0xffffffffull, 0, 0, 0x100000000ull },
	{ VXE_ATOMIC_DEC, 0x100000000ull, 0, 0, 0xffffffffull },
	{ VXE_ATOMIC_ADD, 0x1fffffff0ull, 0x100000020ull, 0, 0x300000010ull },
	{ VXE_ATOMIC_SUB, 0, 1, 0, U64_MAX },
	{ VXE_ATOMIC_RSUB, 1, 0x100000000ull, 0, 0xffffffffull },
	{ VXE_ATOMIC_IMAX, U64_MAX, 0x100000000ull, 0, 0x100000000ull },
	{ VXE_ATOMIC_IMIN, U64_MAX, 0x100000000ull, 0, U64_MAX },
	{ VXE_ATOMIC_UMAX, 0xffffffffull, 0x100000000ull, 0, 0x100000000ull },
	{ VXE_ATOMIC_UMIN, 0xffffffffull, 0x100000000ull, 0, 0xffffffffull },
	{ VXE_ATOMIC_CMP_WR, 0x700000007ull, 0x700000007ull, 0x900000009ull,
	  0x900000009ull },
	{ VXE_ATOMIC_CMP_WR, 0x700000007ull, 0x7ull, 0x9ull, 0x700000007ull },
	{ VXE_ATOMIC_PREDEC, 0x100000000ull, 0, 0, 0xffffffffull },
};

/* Guard values next to each atomic's word: the atomics must not touch them */
#define GUARD32		0x5a5a5a5a
#define GUARD64		0x5a5a5a5a5a5a5a5aull

static void vxe_mi_atomic_dword(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);
	const struct atomic_case *c;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(atomic_dword_cases); i++) {
		u64 addr = DATA + 8 * i;
		bool full = i & 1;	/* 11 dwords, or just the 2 operands */

		c = &atomic_dword_cases[i];
		wr32(mt, addr, c->mem);
		wr32(mt, addr + 4, GUARD32);
		emit(bb, VXE_MI_ATOMIC | VXE_MI_ATOMIC_DWORD |
		     VXE_MI_ATOMIC_INLINE | VXE_MI_ATOMIC_CS_STALL |
		     VXE_MI_ATOMIC_OP(c->op) | VXE_MI_NUM_DW(full ? 11 : 5));
		emit_addr(bb, addr);
		emit(bb, c->op1);
		emit(bb, c->op2);
		if (full) {
			emit(bb, 0xbad);
			emit(bb, 0xbad);
			emit(bb, 0xbad);
			emit(bb, 0xbad);
			emit(bb, 0xbad);
			emit(bb, 0xbad);
		}
	}
	emit_bbe(bb);

	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	for (i = 0; i < ARRAY_SIZE(atomic_dword_cases); i++) {
		c = &atomic_dword_cases[i];
		KUNIT_EXPECT_EQ_MSG(test, rd32(mt, DATA + 8 * i), c->result,
				    "case %u, op %#x", i, c->op);
		KUNIT_EXPECT_EQ_MSG(test, rd32(mt, DATA + 8 * i + 4), GUARD32,
				    "case %u, op %#x", i, c->op);
	}
}

static void vxe_mi_atomic_qword(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);
	const struct atomic_case *c;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(atomic_qword_cases); i++) {
		u64 addr = DATA + 16 * i;
		bool full = i & 1;

		c = &atomic_qword_cases[i];
		wr64(mt, addr, c->mem);
		wr64(mt, addr + 8, GUARD64);
		emit(bb, VXE_MI_ATOMIC | VXE_MI_ATOMIC_QWORD |
		     VXE_MI_ATOMIC_INLINE | VXE_MI_ATOMIC_OP_8B(c->op) |
		     VXE_MI_NUM_DW(full ? 11 : 7));
		emit_addr(bb, addr);
		/* Operands interleaved: op1 dw0, op2 dw0, op1 dw1, op2 dw1 */
		emit(bb, lower_32_bits(c->op1));
		emit(bb, lower_32_bits(c->op2));
		emit(bb, upper_32_bits(c->op1));
		emit(bb, upper_32_bits(c->op2));
		if (full) {
			emit(bb, 0xbad);
			emit(bb, 0xbad);
			emit(bb, 0xbad);
			emit(bb, 0xbad);
		}
	}
	emit_bbe(bb);

	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	for (i = 0; i < ARRAY_SIZE(atomic_qword_cases); i++) {
		c = &atomic_qword_cases[i];
		KUNIT_EXPECT_EQ_MSG(test, rd64(mt, DATA + 16 * i), c->result,
				    "case %u, op %#x", i, c->op);
		KUNIT_EXPECT_EQ_MSG(test, rd64(mt, DATA + 16 * i + 8), GUARD64,
				    "case %u, op %#x", i, c->op);
	}
}

static void emit_lri(struct mi_bb *bb, u32 offset, u32 value)
{
	emit(bb, VXE_MI_LOAD_REGISTER_IMM | VXE_MI_LRI_NUM_REGS(1));
	emit(bb, offset);
	emit(bb, value);
}

static void vxe_mi_atomic_no_inline(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);

	/* IGT's MI_ATOMIC | MI_ATOMIC_INC: 0x17800501 */
	KUNIT_ASSERT_EQ(test, VXE_MI_ATOMIC | VXE_MI_ATOMIC_OP(VXE_ATOMIC_INC) |
			VXE_MI_NUM_DW(3), 0x17800501);
	wr32(mt, DATA, 41);
	wr32(mt, DATA + 4, 10);
	wr32(mt, DATA + 8, 1000);
	wr64(mt, DATA + 16, 0x100000001ull);

	emit(bb, 0x17800501);
	emit_addr(bb, DATA);
	emit(bb, VXE_MI_ATOMIC | VXE_MI_ATOMIC_OP(VXE_ATOMIC_DEC) |
	     VXE_MI_NUM_DW(3));
	emit_addr(bb, DATA + 4);
	/* Operands from CS_GPR0 (operand 1) and CS_GPR2 (operand 2) */
	emit_lri(bb, VXE_MI_CS_GPR(0), 234);
	emit(bb, VXE_MI_ATOMIC | VXE_MI_ATOMIC_OP(VXE_ATOMIC_ADD) |
	     VXE_MI_NUM_DW(3));
	emit_addr(bb, DATA + 8);
	emit_lri(bb, VXE_MI_CS_GPR(0), 1);
	emit_lri(bb, VXE_MI_CS_GPR(0) + 4, 1);
	emit_lri(bb, VXE_MI_CS_GPR(2), 0xcafe);
	emit_lri(bb, VXE_MI_CS_GPR(2) + 4, 0xf00d);
	emit(bb, VXE_MI_ATOMIC | VXE_MI_ATOMIC_QWORD |
	     VXE_MI_ATOMIC_OP_8B(VXE_ATOMIC_CMP_WR) | VXE_MI_NUM_DW(3));
	emit_addr(bb, DATA + 16);
	emit_bbe(bb);

	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 42);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 9);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 8), 1234);
	KUNIT_EXPECT_EQ(test, rd64(mt, DATA + 16), 0xf00d0000cafeull);
}

static void vxe_mi_atomic_return_data(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct vxe_mi_ctx *ctx = &mt->ctx;
	u32 gpr4 = 0x2000 + VXE_MI_CS_GPR(4);
	struct mi_bb *bb;

	ctx->mmio_base = 0x2000;
	wr32(mt, DATA, 100);
	wr64(mt, DATA + 8, 0x500000000ull);

	/* Dword: the old value in CS_GPR4's low dword */
	bb = bb_at(mt, BATCH);
	emit(bb, VXE_MI_ATOMIC | VXE_MI_ATOMIC_RETURN | VXE_MI_ATOMIC_INLINE |
	     VXE_MI_ATOMIC_OP(VXE_ATOMIC_ADD) | VXE_MI_NUM_DW(5));
	emit_addr(bb, DATA);
	emit(bb, 5);
	emit(bb, 0);
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 105);
	KUNIT_EXPECT_EQ(test, reg(ctx, gpr4), 100);
	KUNIT_EXPECT_EQ(test, reg(ctx, gpr4 + 4), -1);

	/* Qword: all of CS_GPR4 */
	bb = bb_at(mt, BATCH);
	emit(bb, VXE_MI_ATOMIC | VXE_MI_ATOMIC_QWORD | VXE_MI_ATOMIC_RETURN |
	     VXE_MI_ATOMIC_OP_8B(VXE_ATOMIC_INC) | VXE_MI_NUM_DW(3));
	emit_addr(bb, DATA + 8);
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, rd64(mt, DATA + 8), 0x500000001ull);
	KUNIT_EXPECT_EQ(test, reg(ctx, gpr4), 0);
	KUNIT_EXPECT_EQ(test, reg(ctx, gpr4 + 4), 5);

	/* PREDEC returns the new value */
	bb = bb_at(mt, BATCH);
	emit(bb, VXE_MI_ATOMIC | VXE_MI_ATOMIC_RETURN |
	     VXE_MI_ATOMIC_OP(VXE_ATOMIC_PREDEC) | VXE_MI_NUM_DW(3));
	emit_addr(bb, DATA);
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 104);
	KUNIT_EXPECT_EQ(test, reg(ctx, gpr4), 104);
}

static void vxe_mi_atomic_bad(struct kunit *test)
{
	static const u32 hdrs[] = {
		/* size and operation disagree */
		VXE_MI_ATOMIC | VXE_MI_ATOMIC_QWORD |
			VXE_MI_ATOMIC_OP(VXE_ATOMIC_INC) | VXE_MI_NUM_DW(3),
		VXE_MI_ATOMIC | VXE_MI_ATOMIC_DWORD |
			VXE_MI_ATOMIC_OP_8B(VXE_ATOMIC_INC) | VXE_MI_NUM_DW(3),
		/* octword compare-and-write: not supported */
		VXE_MI_ATOMIC | FIELD_PREP_CONST(VXE_MI_ATOMIC_SIZE, 2) |
			VXE_MI_ATOMIC_INLINE | VXE_MI_ATOMIC_OP(0x4e) |
			VXE_MI_NUM_DW(11),
		/* no such operations */
		VXE_MI_ATOMIC | VXE_MI_ATOMIC_OP(0) | VXE_MI_NUM_DW(3),
		VXE_MI_ATOMIC | VXE_MI_ATOMIC_OP(0x10) | VXE_MI_NUM_DW(3),
		/* a qword at an address that is not 8-byte aligned */
		VXE_MI_ATOMIC | VXE_MI_ATOMIC_QWORD |
			VXE_MI_ATOMIC_OP_8B(VXE_ATOMIC_INC) | VXE_MI_NUM_DW(3),
	};
	struct mi_test *mt = mt_create(test);
	unsigned int i, j;
	struct mi_bb *bb;
	u32 hdr;

	for (i = 0; i < ARRAY_SIZE(hdrs); i++) {
		bb = bb_at(mt, BATCH);
		emit(bb, hdrs[i]);
		emit_addr(bb, i == ARRAY_SIZE(hdrs) - 1 ? DATA + 4 : DATA);
		for (j = 0; j < 8; j++)
			emit(bb, 0);
		emit_bbe(bb);
		expect_bad_cmd(mt, bb_run(mt, bb), -ENOEXEC, BATCH, hdrs[i]);
	}
	KUNIT_EXPECT_EQ(test, rd64(mt, DATA), 0);

	/* On unmapped memory: a fault at the word */
	hdr = VXE_MI_ATOMIC | VXE_MI_ATOMIC_OP(VXE_ATOMIC_INC) | VXE_MI_NUM_DW(3);
	bb = bb_at(mt, BATCH);
	emit(bb, hdr);
	emit_addr(bb, UNMAPPED + 0x40);
	emit_bbe(bb);
	KUNIT_EXPECT_EQ(test, bb_run(mt, bb), -EFAULT);
	KUNIT_EXPECT_TRUE(test, mt->ctx.err_is_fault);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_addr, UNMAPPED + 0x40);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_header, hdr);
}

/* Iterations of each engine's loop, and CPU increments, in the race */
#define RACE_LOOPS	1500
#define RACE_CPU_INCS	3000
#define RACE_Q0		0xffffff00ull	/* the qword counter carries */

/*
 * A loop of RACE_LOOPS iterations: increment the shared dword and qword
 * counters, decrement the engine's own loop counter, end when it is 0.
 */
static void emit_race_batch(struct mi_bb *bb, u64 counter)
{
	u64 loop = bb_here(bb);

	emit(bb, VXE_MI_ATOMIC | VXE_MI_ATOMIC_OP(VXE_ATOMIC_INC) |
	     VXE_MI_NUM_DW(3));
	emit_addr(bb, DATA);
	emit(bb, VXE_MI_ATOMIC | VXE_MI_ATOMIC_QWORD | VXE_MI_ATOMIC_INLINE |
	     VXE_MI_ATOMIC_OP_8B(VXE_ATOMIC_ADD) | VXE_MI_NUM_DW(7));
	emit_addr(bb, DATA + 8);
	emit(bb, 1);
	emit(bb, 0);
	emit(bb, 0);
	emit(bb, 0);
	emit(bb, VXE_MI_ATOMIC | VXE_MI_ATOMIC_OP(VXE_ATOMIC_DEC) |
	     VXE_MI_NUM_DW(3));
	emit_addr(bb, counter);
	/* Go on while the loop counter is > 0 */
	emit(bb, VXE_MI_COND_BB_END | VXE_MI_DO_COMPARE | VXE_MI_SAD_GT_SDD |
	     VXE_MI_NUM_DW(4));
	emit(bb, 0);
	emit_addr(bb, counter);
	emit_bbs(bb, loop, false);
}

/* The CPU increments both counters, with atomics on the pinned page. */
static void cpu_increments(struct mi_test *mt, unsigned int n)
{
	struct page *page;
	unsigned int i;
	void *va;

	KUNIT_ASSERT_EQ(mt->test, get_user_pages_fast(DATA, 1, FOLL_WRITE,
						      &page), 1);
	for (i = 0; i < n; i++) {
		va = kmap_local_page(page);
		atomic_inc(va + offset_in_page(DATA));
		atomic64_inc(va + offset_in_page(DATA + 8));
		kunmap_local(va);
		if (!(i % 64))
			cond_resched();
	}
	put_page(page);
}

static void vxe_mi_atomic_race(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_job *job[2];
	struct mi_bb *bb;
	unsigned int i;

	kunit_info(test, "2 engines x %u loops, %u CPU increments\n",
		   RACE_LOOPS, RACE_CPU_INCS);
	wr32(mt, DATA, 0);
	wr64(mt, DATA + 8, RACE_Q0);
	for (i = 0; i < 2; i++) {
		wr32(mt, DATA + 64 + 4 * i, RACE_LOOPS);
		bb = bb_at(mt, BATCH + SZ_4K * i);
		emit_race_batch(bb, DATA + 64 + 4 * i);
		bb_put(mt, bb);
	}
	for (i = 0; i < 2; i++)
		job[i] = mi_job_start(mt, BATCH + SZ_4K * i);
	cpu_increments(mt, RACE_CPU_INCS);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, mi_job_wait(mt, job[i]), 0);
		/* 5 commands a loop, the last one ends at the conditional end */
		KUNIT_EXPECT_EQ(test, job[i]->ctx.nr_cmds, 5 * RACE_LOOPS - 1);
		KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 64 + 4 * i), 0);
	}
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 2 * RACE_LOOPS + RACE_CPU_INCS);
	KUNIT_EXPECT_EQ(test, rd64(mt, DATA + 8),
			RACE_Q0 + 2 * RACE_LOOPS + RACE_CPU_INCS);
}

static void vxe_mi_batch_chained(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb;

	/* IGT's form, MI_BATCH_BUFFER_START | 1: bit 8 (PPGTT) clear */
	bb = bb_at(mt, BATCH);
	emit_sdi(bb, DATA, 1);
	emit(bb, VXE_MI_BATCH_BUFFER_START | 1);
	emit_addr(bb, BATCH2);
	emit_sdi(bb, DATA + 4, 0xbad);
	emit_bbe(bb);
	bb_put(mt, bb);

	bb = bb_at(mt, BATCH2);
	emit_sdi(bb, DATA + 8, 2);
	emit_bbe(bb);
	bb_put(mt, bb);

	KUNIT_ASSERT_EQ(test, mt_run(mt, BATCH), 0);
	KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 4);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 1);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 8), 2);
}

static void vxe_mi_batch_nested(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb;

	/* First level calls the second, which calls the third. */
	bb = bb_at(mt, BATCH);
	emit_sdi(bb, DATA, 1);
	emit_bbs(bb, BATCH2, true);
	emit_sdi(bb, DATA + 12, 4);
	emit_bbe(bb);
	bb_put(mt, bb);

	/* The second chains within its level, then calls. */
	bb = bb_at(mt, BATCH2);
	emit_bbs(bb, BATCH2 + 0x100, false);
	bb_put(mt, bb);
	bb = bb_at(mt, BATCH2 + 0x100);
	emit_sdi(bb, DATA + 4, 2);
	emit_bbs(bb, BATCH3, true);
	emit_sdi(bb, DATA + 8, 3);
	emit_bbe(bb);
	bb_put(mt, bb);

	bb = bb_at(mt, BATCH3);
	emit_sdi(bb, DATA + 16, 5);
	emit_bbe(bb);
	bb_put(mt, bb);

	KUNIT_ASSERT_EQ(test, mt_run(mt, BATCH), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA), 1);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 2);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 8), 3);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 12), 4);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 16), 5);
	KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 11);

	/* A fourth level is one too many. */
	bb = bb_at(mt, BATCH3);
	emit_sdi(bb, DATA + 16, 6);
	emit_bbs(bb, BATCH4, true);
	emit_bbe(bb);
	bb_put(mt, bb);
	bb = bb_at(mt, BATCH4);
	emit_sdi(bb, DATA + 20, 0xbad);
	emit_bbe(bb);
	bb_put(mt, bb);
	expect_bad_cmd(mt, mt_run(mt, BATCH), -ELOOP, BATCH3 + 16,
		       VXE_MI_BATCH_BUFFER_START | VXE_MI_BBS_PPGTT |
		       VXE_MI_BBS_NESTED | VXE_MI_NUM_DW(3));
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 16), 6);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 20), 0);
}

/* Run one conditional end on @mem against @data: did the batch go on? */
static bool cond_end_goes_on(struct mi_test *mt, u32 flags, u32 mem, u32 data)
{
	struct mi_bb *bb = bb_at(mt, BATCH);

	wr32(mt, DATA, mem);
	wr32(mt, DATA + 4, 0);
	emit(bb, VXE_MI_COND_BB_END | flags | VXE_MI_NUM_DW(4));
	emit(bb, data);
	emit_addr(bb, DATA);
	emit_sdi(bb, DATA + 4, 1);
	emit_bbe(bb);
	KUNIT_EXPECT_EQ(mt->test, bb_run(mt, bb), 0);
	return rd32(mt, DATA + 4);
}

static void vxe_mi_cond_end_compare(struct kunit *test)
{
	/* memory 1, 2, 3 against data 2: goes on when the compare is true */
	static const struct {
		u32 op;
		bool on[3];
	} cases[] = {
		{ VXE_MI_SAD_GT_SDD, { false, false, true } },
		{ VXE_MI_SAD_GTE_SDD, { false, true, true } },
		{ VXE_MI_SAD_LT_SDD, { true, false, false } },
		{ VXE_MI_SAD_LTE_SDD, { true, true, false } },
		{ VXE_MI_SAD_EQ_SDD, { false, true, false } },
		{ VXE_MI_SAD_NEQ_SDD, { true, false, true } },
	};
	struct mi_test *mt = mt_create(test);
	unsigned int i, m;

	/* xe_spin's header: 0x1b200002 (compare: memory > data) */
	KUNIT_ASSERT_EQ(test, VXE_MI_COND_BB_END | VXE_MI_DO_COMPARE |
			VXE_MI_NUM_DW(4), 0x1b200002);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		for (m = 0; m < 3; m++)
			KUNIT_EXPECT_EQ_MSG(test,
					    cond_end_goes_on(mt, VXE_MI_DO_COMPARE |
							     cases[i].op, m + 1, 2),
					    cases[i].on[m], "op %u, memory %u",
					    cases[i].op >> 12, m + 1);

	/* Unsigned: 0xffffffff > 0 */
	KUNIT_EXPECT_TRUE(test, cond_end_goes_on(mt, VXE_MI_DO_COMPARE,
						 0xffffffff, 0));
	/* Without "compare semaphore": a no-op */
	KUNIT_EXPECT_TRUE(test, cond_end_goes_on(mt, 0, 0, 5));
	KUNIT_EXPECT_TRUE(test, cond_end_goes_on(mt, VXE_MI_SAD_EQ_SDD, 0, 5));
}

static void vxe_mi_cond_end_levels(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb;
	unsigned int i;

	/*
	 * First level calls a second that ends conditionally: the whole
	 * batch, or with "end current level" only the second level.
	 */
	for (i = 0; i < 2; i++) {
		wr32(mt, DATA, 0);
		wr32(mt, DATA + 4, 0);
		bb = bb_at(mt, BATCH);
		emit_bbs(bb, BATCH2, true);
		emit_sdi(bb, DATA, 1);
		emit_bbe(bb);
		bb_put(mt, bb);

		bb = bb_at(mt, BATCH2);
		emit(bb, VXE_MI_COND_BB_END | VXE_MI_DO_COMPARE |
		     VXE_MI_SAD_EQ_SDD | (i ? VXE_MI_CBBE_END_LEVEL : 0) |
		     VXE_MI_NUM_DW(4));
		emit(bb, 1);
		emit_addr(bb, DATA + 8);	/* 0 != 1: false, end */
		emit_sdi(bb, DATA + 4, 0xbad);
		emit_bbe(bb);
		bb_put(mt, bb);

		KUNIT_EXPECT_EQ(test, mt_run(mt, BATCH), 0);
		KUNIT_EXPECT_EQ_MSG(test, rd32(mt, DATA), i, "end level %u", i);
		KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 0);
	}

	/* Compare mask mode: a qword of mask then data, ANDed: 0x5600 */
	wr32(mt, DATA + 16, 0x0000ff00);
	wr32(mt, DATA + 20, 0x12345678);
	for (i = 0; i < 2; i++) {
		wr32(mt, DATA + 24, 0);
		bb = bb_at(mt, BATCH);
		emit(bb, VXE_MI_COND_BB_END | VXE_MI_DO_COMPARE |
		     VXE_MI_CBBE_MASK_MODE | VXE_MI_SAD_EQ_SDD |
		     VXE_MI_NUM_DW(4));
		emit(bb, i ? 0x5600 : 0x5678);
		emit_addr(bb, DATA + 16);
		emit_sdi(bb, DATA + 24, 1);
		emit_bbe(bb);
		KUNIT_EXPECT_EQ(test, bb_run(mt, bb), 0);
		KUNIT_EXPECT_EQ_MSG(test, rd32(mt, DATA + 24), i, "mask mode %u", i);
	}
}

/* IGT's struct xe_spin: its end dword is not qword aligned */
#define SPIN_START	(BATCH + 512 + 8)
#define SPIN_END	(BATCH + 512 + 12)

static void vxe_mi_xe_spin(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);
	struct mi_job *job;
	u64 loop;

	/* What IGT's xe_spin_init() writes, dword for dword */
	wr32(mt, SPIN_START, 0);
	wr32(mt, SPIN_END, 0xffffffff);
	emit(bb, 0x10000002);			/* MI_STORE_DWORD_IMM_GEN4 */
	emit_addr(bb, SPIN_START);
	emit(bb, 0xc0ffee);
	loop = bb_here(bb);
	emit(bb, 0x1b200002);			/* COND_BBE | DO_COMPARE | 2 */
	emit(bb, 0);
	emit_addr(bb, SPIN_END);
	emit(bb, 0x18800101);			/* BB_START | 1 << 8 | 1 */
	emit_addr(bb, loop);
	bb_put(mt, bb);

	job = mi_job_start(mt, BATCH);
	wait_for_value(mt, SPIN_START, 0xc0ffee);
	msleep(50);
	KUNIT_EXPECT_FALSE(test, completion_done(&job->done));
	/* xe_spin_end(): end = 0 */
	wr32(mt, SPIN_END, 0);
	KUNIT_EXPECT_EQ(test, mi_job_wait(mt, job), 0);
	KUNIT_EXPECT_GT(test, job->ctx.nr_cmds, 3);
	kunit_info(test, "spun %lu commands\n", job->ctx.nr_cmds);
}

static void vxe_mi_semaphore_compare(struct kunit *test)
{
	/* Each satisfied at once: memory 5 */
	static const struct {
		u32 op;
		u32 data;
	} cases[] = {
		{ VXE_MI_SAD_GT_SDD, 4 },
		{ VXE_MI_SAD_GTE_SDD, 5 },
		{ VXE_MI_SAD_LT_SDD, 6 },
		{ VXE_MI_SAD_LTE_SDD, 5 },
		{ VXE_MI_SAD_EQ_SDD, 5 },
		{ VXE_MI_SAD_NEQ_SDD, 0 },
	};
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);
	unsigned int i;

	wr32(mt, DATA, 5);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u32 mode = 0, len = 4;

		/* 4 dwords, or 5 with a wait token; polling or signal mode */
		if (i & 1)
			mode = VXE_MI_SEMAPHORE_POLL;
		if (i & 2)
			len = 5;
		emit(bb, VXE_MI_SEMAPHORE_WAIT | cases[i].op | mode |
		     VXE_MI_NUM_DW(len));
		emit(bb, cases[i].data);
		emit_addr(bb, DATA);
		if (i & 2)
			emit(bb, 0);
		emit_sdi(bb, DATA + 4 + 4 * i, i + 1);
	}
	emit_bbe(bb);

	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4 + 4 * i), i + 1);

	/* Register poll mode and bad compare operations are refused. */
	bb = bb_at(mt, BATCH);
	emit(bb, VXE_MI_SEMAPHORE_WAIT | VXE_MI_SEMAPHORE_POLL |
	     VXE_MI_SEMAPHORE_REGISTER_POLL | VXE_MI_NUM_DW(4));
	emit(bb, 0);
	emit_addr(bb, 0x2600);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -ENOEXEC, BATCH, bb->dw[0]);
	bb = bb_at(mt, BATCH);
	emit(bb, VXE_MI_SEMAPHORE_WAIT | VXE_MI_SEMAPHORE_POLL |
	     FIELD_PREP(VXE_MI_COMPARE_OP, 6) | VXE_MI_NUM_DW(4));
	emit(bb, 0);
	emit_addr(bb, DATA);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -ENOEXEC, BATCH, bb->dw[0]);
}

static void vxe_mi_semaphore_cpu_signal(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);
	struct mi_job *job;

	/* Wait for the semaphore to reach 3 */
	wr32(mt, DATA + 8, 0);
	emit_sdi(bb, DATA, 1);
	emit(bb, VXE_MI_SEMAPHORE_WAIT | VXE_MI_SEMAPHORE_POLL |
	     VXE_MI_SAD_GTE_SDD | VXE_MI_NUM_DW(4));
	emit(bb, 3);
	emit_addr(bb, DATA + 8);
	emit_sdi(bb, DATA + 4, 2);
	emit_bbe(bb);
	bb_put(mt, bb);

	job = mi_job_start(mt, BATCH);
	wait_for_value(mt, DATA, 1);
	msleep(20);
	wr32(mt, DATA + 8, 2);		/* not yet */
	msleep(20);
	KUNIT_EXPECT_FALSE(test, completion_done(&job->done));
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 0);
	wr32(mt, DATA + 8, 3);
	KUNIT_EXPECT_EQ(test, mi_job_wait(mt, job), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 2);
	KUNIT_EXPECT_EQ(test, job->ctx.nr_cmds, 4);
}

struct stop_after {
	unsigned int calls;
	unsigned int limit;
};

static bool stop_after_fn(void *priv)
{
	struct stop_after *s = priv;

	return ++s->calls >= s->limit;
}

static void vxe_mi_semaphore_cancelled(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct stop_after stop = { .limit = 50 };
	struct mi_bb *bb = bb_at(mt, BATCH);
	u32 hdr = VXE_MI_SEMAPHORE_WAIT | VXE_MI_SEMAPHORE_POLL |
		  VXE_MI_SAD_EQ_SDD | VXE_MI_NUM_DW(4);

	mt->ctx.should_stop = stop_after_fn;
	mt->ctx.priv = &stop;
	emit(bb, VXE_MI_NOOP);
	emit(bb, hdr);
	emit(bb, 1);		/* memory stays 0 */
	emit_addr(bb, DATA);
	emit_sdi(bb, DATA + 4, 0xbad);
	emit_bbe(bb);

	expect_bad_cmd(mt, bb_run(mt, bb), -ECANCELED, BATCH + 4, hdr);
	KUNIT_EXPECT_EQ(test, stop.calls, 50);
	KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 1);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 0);
}

static void vxe_mi_self_loop_cancelled(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct stop_after stop = { .limit = 10 };
	struct mi_bb *bb = bb_at(mt, BATCH);

	mt->ctx.should_stop = stop_after_fn;
	mt->ctx.priv = &stop;
	emit_bbs(bb, BATCH, false);

	KUNIT_EXPECT_EQ(test, bb_run(mt, bb), -ECANCELED);
	KUNIT_EXPECT_EQ(test, stop.calls, 10);
	KUNIT_EXPECT_GE(test, mt->ctx.nr_cmds, 10);
	KUNIT_EXPECT_FALSE(test, mt->ctx.err_is_fault);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_addr, BATCH);
}

static void vxe_mi_loop_ended_by_rewrite(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct mi_bb *bb = bb_at(mt, BATCH);
	struct mi_job *job;

	/* A loop the CPU ends by writing MI_BATCH_BUFFER_END into it */
	emit_sdi(bb, DATA, 1);
	emit(bb, VXE_MI_NOOP);
	emit_bbs(bb, BATCH + 16, false);
	bb_put(mt, bb);

	job = mi_job_start(mt, BATCH);
	wait_for_value(mt, DATA, 1);
	msleep(20);
	KUNIT_EXPECT_FALSE(test, completion_done(&job->done));
	wr32(mt, BATCH + 16, VXE_MI_BATCH_BUFFER_END);
	KUNIT_EXPECT_EQ(test, mi_job_wait(mt, job), 0);
}

/* MI_LOAD_REGISTER_REG copies a register, absolute or engine-relative. */
static void vxe_mi_load_register_reg(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct vxe_mi_ctx *ctx = &mt->ctx;
	struct mi_bb *bb = bb_at(mt, BATCH);
	u32 hdr = VXE_MI_LOAD_REGISTER_REG | VXE_MI_NUM_DW(3);

	ctx->mmio_base = 0x22000;
	emit_lri(bb, 0x22000 + VXE_MI_CS_GPR(0), 0xdeadbeef);
	/* IGT's MI_LOAD_REGISTER_REG: 0x15000001 */
	KUNIT_ASSERT_EQ(test, hdr, 0x15000001);
	emit(bb, hdr | VXE_MI_LRR_SRC_CS_MMIO | VXE_MI_LRR_DST_CS_MMIO);
	emit(bb, VXE_MI_CS_GPR(0));
	emit(bb, VXE_MI_CS_GPR(5) + 4);
	emit(bb, hdr);				/* both absolute */
	emit(bb, 0x22000 + VXE_MI_CS_GPR(5) + 4);
	emit(bb, 0x4000 | 3);			/* bits 1:0 ignored */
	emit(bb, hdr | VXE_MI_LRR_DST_CS_MMIO);	/* a never written source: 0 */
	emit(bb, 0x8000);
	emit(bb, VXE_MI_CS_GPR(0));
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, reg(ctx, 0x22000 + VXE_MI_CS_GPR(5) + 4), 0xdeadbeef);
	KUNIT_EXPECT_EQ(test, reg(ctx, 0x4000), 0xdeadbeef);
	KUNIT_EXPECT_EQ(test, reg(ctx, 0x22000 + VXE_MI_CS_GPR(0)), 0);
}

/* MI_STORE_REGISTER_MEM and MI_LOAD_REGISTER_MEM move a dword. */
static void vxe_mi_register_mem(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct vxe_mi_ctx *ctx = &mt->ctx;
	struct mi_bb *bb = bb_at(mt, BATCH);
	u32 srm = VXE_MI_STORE_REGISTER_MEM | VXE_MI_NUM_DW(4);
	u32 lrm = VXE_MI_LOAD_REGISTER_MEM | VXE_MI_NUM_DW(4);

	/* IGT's MI_STORE_REGISTER_MEM_GEN8 and MI_LOAD_REGISTER_MEM_GEN8 */
	KUNIT_ASSERT_EQ(test, srm, 0x12000002);
	KUNIT_ASSERT_EQ(test, lrm, 0x14800002);
	ctx->mmio_base = 0x2000;
	wr32(mt, DATA, 0x1234abcd);
	emit(bb, lrm | VXE_MI_SRM_LRM_CS_MMIO);
	emit(bb, VXE_MI_CS_GPR(3));
	emit_addr(bb, DATA | 3);		/* bits 1:0 ignored */
	emit(bb, srm);
	emit(bb, 0x2000 + VXE_MI_CS_GPR(3));
	emit_addr(bb, DATA + 8);
	emit(bb, srm | VXE_MI_SRM_LRM_CS_MMIO);	/* never written: 0 */
	emit(bb, VXE_MI_CS_GPR(9));
	emit_addr(bb, DATA + 12);
	emit_bbe(bb);
	wr32(mt, DATA + 12, 0xbad);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, reg(ctx, 0x2000 + VXE_MI_CS_GPR(3)), 0x1234abcd);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 8), 0x1234abcd);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 12), 0);

	/* GGTT addresses, predicated stores, and memory that is not there */
	bb = bb_at(mt, BATCH);
	emit(bb, srm | VXE_MI_GGTT);
	emit(bb, 0);
	emit_addr(bb, DATA);
	expect_bad_cmd(mt, bb_run(mt, bb), -EPERM, BATCH, srm | VXE_MI_GGTT);
	bb = bb_at(mt, BATCH);
	emit(bb, lrm | VXE_MI_GGTT);
	emit(bb, 0);
	emit_addr(bb, DATA);
	expect_bad_cmd(mt, bb_run(mt, bb), -EPERM, BATCH, lrm | VXE_MI_GGTT);
	bb = bb_at(mt, BATCH);
	emit(bb, srm | VXE_MI_SRM_PREDICATE);
	emit(bb, 0);
	emit_addr(bb, DATA);
	expect_bad_cmd(mt, bb_run(mt, bb), -ENOEXEC, BATCH,
		       srm | VXE_MI_SRM_PREDICATE);
	bb = bb_at(mt, BATCH);
	emit(bb, lrm);
	emit(bb, 0x2000 + VXE_MI_CS_GPR(3));
	emit_addr(bb, UNMAPPED);
	emit_bbe(bb);
	KUNIT_EXPECT_EQ(test, bb_run(mt, bb), -EFAULT);
	KUNIT_EXPECT_TRUE(test, ctx->err_is_fault);
	KUNIT_EXPECT_EQ(test, ctx->err_addr, UNMAPPED);
	KUNIT_EXPECT_EQ(test, reg(ctx, 0x2000 + VXE_MI_CS_GPR(3)), 0x1234abcd);
}

/**
 * struct math_case - one MI_MATH operation on R0 and R1, and its results
 * @alu: the operation (%VXE_MI_ALU_ADD...)
 * @a: R0
 * @b: R1
 * @accu: the accumulator after it
 * @zf: the zero flag after it
 * @cf: the carry flag after it
 */
struct math_case {
	u32 alu;
	u64 a, b, accu;
	bool zf, cf;
};

static const struct math_case math_cases[] = {
	{ VXE_MI_ALU_ADD, 5, 7, 12, false, false },
	{ VXE_MI_ALU_ADD, U64_MAX, 1, 0, true, true },
	{ VXE_MI_ALU_ADD, 0x80000000ull, 0x80000000ull, 0x100000000ull, false, false },
	{ VXE_MI_ALU_SUB, 7, 5, 2, false, false },
	{ VXE_MI_ALU_SUB, 5, 7, (u64)-2, false, true },
	{ VXE_MI_ALU_SUB, 9, 9, 0, true, false },
	{ VXE_MI_ALU_AND, 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull,
	  0x0f000f000f000f00ull, false, false },
	{ VXE_MI_ALU_AND, 0xf0, 0x0f, 0, true, false },
	{ VXE_MI_ALU_OR, 0xf0, 0x0f00000000000000ull, 0x0f000000000000f0ull,
	  false, false },
	{ VXE_MI_ALU_XOR, 0x1234, 0x1234, 0, true, false },
	{ VXE_MI_ALU_XOR, 0xffff, 0xff, 0xff00, false, false },
};

static void emit_math(struct mi_bb *bb, const u32 *alu, unsigned int n)
{
	unsigned int i;

	emit(bb, VXE_MI_MATH | VXE_MI_MATH_LEN(n));
	for (i = 0; i < n; i++)
		emit(bb, alu[i]);
}

static void emit_gpr(struct mi_bb *bb, u32 base, unsigned int n, u64 v)
{
	emit_lri(bb, base + VXE_MI_CS_GPR(n), lower_32_bits(v));
	emit_lri(bb, base + VXE_MI_CS_GPR(n) + 4, upper_32_bits(v));
}

static u64 gpr(const struct vxe_mi_ctx *ctx, unsigned int n)
{
	u32 r = ctx->mmio_base + VXE_MI_CS_GPR(n);

	return (u64)(u32)reg(ctx, r + 4) << 32 | (u32)reg(ctx, r);
}

/*
 * MI_MATH: the arithmetic and logic operations on 64-bit GPRs, with the
 * accumulator, the zero flag and the carry (borrow) flag stored back;
 * flags read as all ones when set.
 */
static void vxe_mi_math(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct vxe_mi_ctx *ctx = &mt->ctx;
	unsigned int i;

	ctx->mmio_base = 0x2000;
	/* IGT's MI_MATH(4) and MI_MATH_LOAD(MI_MATH_REG_SRCA, MI_MATH_REG(2)) */
	KUNIT_ASSERT_EQ(test, VXE_MI_MATH | VXE_MI_MATH_LEN(4), 0x0d000003);
	KUNIT_ASSERT_EQ(test, VXE_MI_ALU(VXE_MI_ALU_LOAD, VXE_MI_ALU_SRCA, 2),
			0x08008002);
	for (i = 0; i < ARRAY_SIZE(math_cases); i++) {
		const struct math_case *c = &math_cases[i];
		const u32 alu[] = {
			VXE_MI_ALU(VXE_MI_ALU_LOAD, VXE_MI_ALU_SRCA, 0),
			VXE_MI_ALU(VXE_MI_ALU_LOAD, VXE_MI_ALU_SRCB, 1),
			VXE_MI_ALU(VXE_MI_ALU_NOOP, 0, 0),
			VXE_MI_ALU(c->alu, 0, 0),
			VXE_MI_ALU(VXE_MI_ALU_STORE, 2, VXE_MI_ALU_ACCU),
			VXE_MI_ALU(VXE_MI_ALU_STORE, 3, VXE_MI_ALU_ZF),
			VXE_MI_ALU(VXE_MI_ALU_STORE, 4, VXE_MI_ALU_CF),
			VXE_MI_ALU(VXE_MI_ALU_STOREINV, 5, VXE_MI_ALU_ACCU),
		};
		struct mi_bb *bb = bb_at(mt, BATCH);

		ctx->nr_regs = 0;
		emit_gpr(bb, 0x2000, 0, c->a);
		emit_gpr(bb, 0x2000, 1, c->b);
		emit_math(bb, alu, ARRAY_SIZE(alu));
		emit_bbe(bb);
		KUNIT_ASSERT_EQ_MSG(test, bb_run(mt, bb), 0, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, gpr(ctx, 2), c->accu, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, gpr(ctx, 3), c->zf ? U64_MAX : 0,
				    "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, gpr(ctx, 4), c->cf ? U64_MAX : 0,
				    "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, gpr(ctx, 5), ~c->accu, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, gpr(ctx, 0), c->a, "case %u", i);
	}
}

/* LOADINV, LOAD0, LOAD1, loads of the flags, and what MI_MATH refuses. */
static void vxe_mi_math_loads_and_bad(struct kunit *test)
{
	static const u32 bad[] = {
		VXE_MI_ALU(VXE_MI_ALU_LOAD, 0, 1),	/* into a GPR */
		VXE_MI_ALU(VXE_MI_ALU_LOAD, VXE_MI_ALU_SRCA, 0x10),
		VXE_MI_ALU(VXE_MI_ALU_STORE, VXE_MI_ALU_SRCA, VXE_MI_ALU_ACCU),
		VXE_MI_ALU(VXE_MI_ALU_STORE, 1, 0x30),
		VXE_MI_ALU(0x105, 0, 0),		/* no such operation */
		VXE_MI_ALU(0x7ff, 0, 0),
	};
	const u32 alu[] = {
		VXE_MI_ALU(VXE_MI_ALU_LOADINV, VXE_MI_ALU_SRCA, 0),
		VXE_MI_ALU(VXE_MI_ALU_LOAD1, VXE_MI_ALU_SRCB, 0),
		VXE_MI_ALU(VXE_MI_ALU_ADD, 0, 0),	/* ~R0 + 1 = -R0 */
		VXE_MI_ALU(VXE_MI_ALU_STORE, 6, VXE_MI_ALU_ACCU),
		VXE_MI_ALU(VXE_MI_ALU_LOAD0, VXE_MI_ALU_SRCA, 0),
		VXE_MI_ALU(VXE_MI_ALU_LOAD, VXE_MI_ALU_SRCB, VXE_MI_ALU_CF),
		VXE_MI_ALU(VXE_MI_ALU_OR, 0, 0),	/* CF of the ADD: 0 */
		VXE_MI_ALU(VXE_MI_ALU_STORE, 7, VXE_MI_ALU_ACCU),
		VXE_MI_ALU(VXE_MI_ALU_STORE, 8, VXE_MI_ALU_SRCA),
		VXE_MI_ALU(VXE_MI_ALU_LOAD, VXE_MI_ALU_SRCA, VXE_MI_ALU_ZF),
		VXE_MI_ALU(VXE_MI_ALU_STORE, 15, VXE_MI_ALU_SRCA),
	};
	struct mi_test *mt = mt_create(test);
	struct vxe_mi_ctx *ctx = &mt->ctx;
	struct mi_bb *bb = bb_at(mt, BATCH);
	unsigned int i;

	emit_gpr(bb, 0, 0, 42);
	emit_gpr(bb, 0, 8, 0xbad);
	emit_math(bb, alu, ARRAY_SIZE(alu));
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, gpr(ctx, 6), (u64)-42);
	KUNIT_EXPECT_EQ(test, gpr(ctx, 7), 0);
	KUNIT_EXPECT_EQ(test, gpr(ctx, 8), 0);
	KUNIT_EXPECT_EQ(test, gpr(ctx, 15), U64_MAX);	/* ZF of the OR */

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		u32 hdr = VXE_MI_MATH | VXE_MI_MATH_LEN(2);

		bb = bb_at(mt, BATCH);
		emit(bb, VXE_MI_NOOP);
		emit(bb, hdr);
		emit(bb, VXE_MI_ALU(VXE_MI_ALU_NOOP, 0, 0));
		emit(bb, bad[i]);
		emit_bbe(bb);
		expect_bad_cmd(mt, bb_run(mt, bb), -ENOEXEC, BATCH + 4, hdr);
	}
}

/*
 * The timestamp registers: RING_TIMESTAMP is the engine's (the time the
 * run read it), CTX_TIMESTAMP the context's run time (carried in
 * ctx_ticks from run to run); neither takes writes.
 */
static void vxe_mi_timestamps(struct kunit *test)
{
	struct mi_test *mt = mt_create(test);
	struct vxe_mi_ctx *ctx = &mt->ctx;
	struct mi_bb *bb = bb_at(mt, BATCH);
	u32 srm = VXE_MI_STORE_REGISTER_MEM | VXE_MI_SRM_LRM_CS_MMIO |
		  VXE_MI_NUM_DW(4);
	u64 before, after;
	u32 ring, ctx_ts;

	ctx->mmio_base = 0x1a000;
	ctx->ctx_ticks = 1000;
	emit_lri(bb, 0x1a000 + VXE_MI_CTX_TIMESTAMP, 0);	/* dropped */
	emit_lri(bb, 0x1a000 + VXE_MI_RING_TIMESTAMP, 0);
	emit(bb, srm);
	emit(bb, VXE_MI_RING_TIMESTAMP);
	emit_addr(bb, DATA);
	emit(bb, VXE_MI_LOAD_REGISTER_REG | VXE_MI_LRR_SRC_CS_MMIO |
	     VXE_MI_LRR_DST_CS_MMIO | VXE_MI_NUM_DW(3));
	emit(bb, VXE_MI_CTX_TIMESTAMP);
	emit(bb, VXE_MI_CS_GPR(0));
	emit(bb, srm);
	emit(bb, VXE_MI_CTX_TIMESTAMP_UDW);
	emit_addr(bb, DATA + 4);
	emit_bbe(bb);
	before = vxe_engine_timestamp();
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	after = vxe_engine_timestamp();

	/* Unsigned differences: right across a wrap of the low dword too. */
	ring = rd32(mt, DATA);
	KUNIT_EXPECT_LE(test, ring - (u32)before, (u32)(after - before));
	ctx_ts = reg(ctx, 0x1a000 + VXE_MI_CS_GPR(0));
	KUNIT_EXPECT_GE(test, ctx_ts, 1000);
	KUNIT_EXPECT_LE(test, ctx_ts, 1000 + after - before);
	KUNIT_EXPECT_EQ(test, rd32(mt, DATA + 4), 0);
	KUNIT_EXPECT_GE(test, ctx->ctx_ticks, ctx_ts);
	KUNIT_EXPECT_LE(test, ctx->ctx_ticks, 1000 + after - before);
	/* Only CS_GPR0 was written. */
	KUNIT_EXPECT_EQ(test, ctx->nr_regs, 1);
}

struct deadline {
	unsigned long end;
};

static bool deadline_passed(void *priv)
{
	struct deadline *d = priv;

	return time_after(jiffies, d->end);
}

/*
 * IGT's fixed-duration spinner (xe_spin with ctx_ticks): it loops until
 * CTX_TIMESTAMP has advanced by the ticks asked for, computing the time
 * spent with MI_MATH and ending with MI_CONDITIONAL_BATCH_BUFFER_END.  It
 * ends by itself, after at least that long.
 */
static void vxe_mi_timed_spinner(struct kunit *test)
{
	const u32 ticks = VXE_REFERENCE_CLOCK / 100;	/* 10 ms */
	const u32 alu[] = {
		VXE_MI_ALU(VXE_MI_ALU_LOAD, VXE_MI_ALU_SRCA, 1),
		VXE_MI_ALU(VXE_MI_ALU_LOAD, VXE_MI_ALU_SRCB, 0),
		VXE_MI_ALU(VXE_MI_ALU_SUB, 0, 0),
		VXE_MI_ALU(VXE_MI_ALU_STOREINV, 1, VXE_MI_ALU_ACCU),
	};
	u32 lrr = VXE_MI_LOAD_REGISTER_REG | VXE_MI_LRR_SRC_CS_MMIO |
		  VXE_MI_LRR_DST_CS_MMIO | VXE_MI_NUM_DW(3);
	struct deadline d = { .end = jiffies + msecs_to_jiffies(JOB_TIMEOUT_MS) };
	struct mi_test *mt = mt_create(test);
	struct vxe_mi_ctx *ctx = &mt->ctx;
	struct mi_bb *bb = bb_at(mt, BATCH);
	u64 before, loop;

	ctx->mmio_base = 0x22000;
	ctx->should_stop = deadline_passed;
	ctx->priv = &d;
	emit_lri(bb, 0x22000 + VXE_MI_CS_GPR(0) + 4, 0);
	emit(bb, lrr);
	emit(bb, VXE_MI_CTX_TIMESTAMP);
	emit(bb, VXE_MI_CS_GPR(0));
	loop = bb_here(bb);
	emit_lri(bb, 0x22000 + VXE_MI_CS_GPR(1) + 4, 0);
	emit(bb, lrr);
	emit(bb, VXE_MI_CTX_TIMESTAMP);
	emit(bb, VXE_MI_CS_GPR(1));
	emit_math(bb, alu, ARRAY_SIZE(alu));
	emit(bb, VXE_MI_STORE_REGISTER_MEM | VXE_MI_SRM_LRM_CS_MMIO |
	     VXE_MI_NUM_DW(4));
	emit(bb, VXE_MI_CS_GPR(1));
	emit_addr(bb, DATA);
	/* Go on while ~delta > ~ticks, that is while delta < ticks */
	emit(bb, VXE_MI_COND_BB_END | VXE_MI_DO_COMPARE | VXE_MI_NUM_DW(4));
	emit(bb, ~ticks);
	emit_addr(bb, DATA);
	emit_bbs(bb, loop, false);

	before = vxe_engine_timestamp();
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	/* It ran its ticks, measured on the engine's clock too. */
	KUNIT_EXPECT_GE(test, vxe_engine_timestamp() - before, (u64)ticks);
	KUNIT_EXPECT_GE(test, ~rd32(mt, DATA), ticks);
	KUNIT_EXPECT_GE(test, ctx->ctx_ticks, (u64)ticks);
	kunit_info(test, "spun %lu commands for %u ticks\n", ctx->nr_cmds, ticks);
}

/* Blitter commands: a copy engine, a pattern in DATA, the rest zero. */
#define BLT_SRC		DATA			/* 12K of pattern */
#define BLT_DST		(DATA + SZ_16K)		/* 16K, zeroed */
#define BLT_BIG		(GK_BASE + SZ_2M)	/* a larger mapping */

static struct mi_test *blt_create(struct kunit *test, u8 **src, u8 **dst)
{
	struct mi_test *mt = mt_create(test);
	unsigned int i;

	mt->ctx.engine_class = DRM_XE_ENGINE_CLASS_COPY;
	*src = kunit_kmalloc(test, SZ_16K, GFP_KERNEL);
	*dst = kunit_kzalloc(test, SZ_16K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, *src);
	KUNIT_ASSERT_NOT_NULL(test, *dst);
	for (i = 0; i < SZ_16K; i++)
		(*src)[i] = i * 7 + (i >> 8) + 1;
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)BLT_SRC, *src,
					   SZ_16K - SZ_4K), 0);
	return mt;
}

/* Read the destination back into @dst. */
static void blt_read(struct mi_test *mt, u8 *dst)
{
	KUNIT_ASSERT_EQ(mt->test, copy_from_user(dst, (void __user *)BLT_DST,
						 SZ_16K), 0);
}

static void emit_mem_copy(struct mi_bb *bb, u32 flags, u32 width, u32 height,
			  u32 src_pitch, u32 dst_pitch, u64 src, u64 dst)
{
	emit(bb, VXE_MEM_COPY | flags | VXE_MI_NUM_DW(10));
	emit(bb, width - 1);
	emit(bb, height - 1);
	emit(bb, src_pitch - 1);
	emit(bb, dst_pitch - 1);
	emit_addr(bb, src);
	emit_addr(bb, dst);
	emit(bb, 0);		/* MOCS */
}

static void emit_mem_set(struct mi_bb *bb, u32 flags, u32 width, u32 height,
			 u32 pitch, u64 dst, u8 fill)
{
	emit(bb, VXE_MEM_SET | flags | VXE_MI_NUM_DW(7));
	emit(bb, width - 1);
	emit(bb, height - 1);
	emit(bb, pitch - 1);
	emit_addr(bb, dst);
	emit(bb, FIELD_PREP(VXE_MEM_SET_DATA, fill));
}

/* MEM_COPY linear (bytes, pages) and matrix, across page boundaries. */
static void vxe_mi_mem_copy(struct kunit *test)
{
	u8 *src, *dst;
	struct mi_test *mt = blt_create(test, &src, &dst);
	struct mi_bb *bb = bb_at(mt, BATCH);
	unsigned int row, i;

	/* 0x1235 bytes from offset 0x10 to offset 0xff1: three pages each */
	emit_mem_copy(bb, VXE_BLT_LINEAR, 0x1235, 1, 1, 1, BLT_SRC + 0x10,
		      BLT_DST + 0xff1);
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	blt_read(mt, dst);
	KUNIT_EXPECT_EQ(test, dst[0xff0], 0);
	KUNIT_EXPECT_EQ(test, memcmp(dst + 0xff1, src + 0x10, 0x1235), 0);
	KUNIT_EXPECT_EQ(test, dst[0xff1 + 0x1235], 0);

	/* Page mode: 17 pages of 256 bytes, from a page-aligned source */
	bb = bb_at(mt, BATCH);
	emit_mem_copy(bb, VXE_BLT_LINEAR | VXE_MEM_COPY_PAGE_MODE, 17, 1, 1, 1,
		      BLT_SRC + SZ_4K, BLT_DST + 0x2400);
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	blt_read(mt, dst);
	KUNIT_EXPECT_EQ(test, memcmp(dst + 0x2400, src + SZ_4K, 17 * 256), 0);
	KUNIT_EXPECT_EQ(test, dst[0x23ff], 0);
	KUNIT_EXPECT_EQ(test, dst[0x2400 + 17 * 256], 0);

	/* Matrix: 7 rows of 5 bytes, source pitch 9, destination pitch 300 */
	bb = bb_at(mt, BATCH);
	emit_mem_copy(bb, VXE_BLT_MATRIX, 5, 7, 9, 300, BLT_SRC + 0x2000,
		      BLT_DST + 0x3600);
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	blt_read(mt, dst);
	for (row = 0; row < 7; row++) {
		for (i = 0; i < 300; i++) {
			u8 want = i < 5 ? src[0x2000 + 9 * row + i] : 0;

			if (row == 6 && i >= 5)
				break;
			KUNIT_EXPECT_EQ_MSG(test, dst[0x3600 + 300 * row + i],
					    want, "row %u byte %u", row, i);
		}
	}
	KUNIT_EXPECT_EQ(test, mt->ctx.nr_cmds, 2);
}

/* MEM_SET linear (past the 18 bits of MEM_COPY's width) and matrix. */
static void vxe_mi_mem_set(struct kunit *test)
{
	u8 *src, *dst;
	struct mi_test *mt = blt_create(test, &src, &dst);
	struct mi_bb *bb = bb_at(mt, BATCH);
	unsigned int i;

	emit_mem_set(bb, VXE_BLT_LINEAR, 0x1001, 1, 1, BLT_DST + 0x7ff, 0x8b);
	emit_mem_set(bb, VXE_BLT_MATRIX, 3, 4, 100, BLT_DST + 0x2000, 0x5c);
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	blt_read(mt, dst);
	for (i = 0x7f0; i < 0x2200; i++) {
		bool lin = i >= 0x7ff && i < 0x7ff + 0x1001;
		bool mat = i >= 0x2000 && (i - 0x2000) % 100 < 3 &&
			   i < 0x2000 + 3 * 100 + 3;

		KUNIT_EXPECT_EQ_MSG(test, dst[i], lin ? 0x8b : mat ? 0x5c : 0,
				    "byte %#x", i);
	}

	/* The 24-bit width of MEM_SET: 1M + 1 bytes in one command */
	gk_mmap(mt->gk, BLT_BIG, SZ_2M, RW);
	bb = bb_at(mt, BATCH);
	emit_mem_set(bb, VXE_BLT_LINEAR, SZ_1M + 1, 1, 1, BLT_BIG, 0xa5);
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	KUNIT_EXPECT_EQ(test, rd32(mt, BLT_BIG), 0xa5a5a5a5);
	KUNIT_EXPECT_EQ(test, rd32(mt, BLT_BIG + SZ_1M - 4), 0xa5a5a5a5);
	KUNIT_EXPECT_EQ(test, rd32(mt, BLT_BIG + SZ_1M), 0xa5);
}

/*
 * Blitter commands run on copy engines only, with their exact lengths and
 * known types; a fault is reported at the page that faulted; a long one
 * stops when the job must.
 */
static void vxe_mi_blt_bad(struct kunit *test)
{
	static const u32 bad[] = {
		VXE_MEM_COPY | VXE_BLT_LINEAR | VXE_MI_NUM_DW(9),
		VXE_MEM_COPY | VXE_BLT_LINEAR | VXE_MI_NUM_DW(11),
		VXE_MEM_COPY | FIELD_PREP_CONST(VXE_BLT_TYPE, 2) | VXE_MI_NUM_DW(10),
		VXE_MEM_COPY | FIELD_PREP_CONST(VXE_BLT_TYPE, 3) | VXE_MI_NUM_DW(10),
		VXE_MEM_COPY | VXE_BLT_MATRIX | VXE_MEM_COPY_PAGE_MODE |
			VXE_MI_NUM_DW(10),
		VXE_MEM_SET | VXE_MI_NUM_DW(6),
		VXE_MEM_SET | FIELD_PREP_CONST(VXE_BLT_TYPE, 2) | VXE_MI_NUM_DW(7),
		VXE_XY_FAST_COPY | VXE_MI_NUM_DW(9),
		VXE_XY_FAST_COPY | VXE_MI_NUM_DW(11),
		VXE_BLT_INSTR(0x53) | VXE_MI_NUM_DW(8),  /* XY_SRC_COPY_BLT: not modeled */
	};
	struct stop_after stop = { .limit = 2 };
	u8 *src, *dst;
	struct mi_test *mt = blt_create(test, &src, &dst);
	struct mi_bb *bb;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		bb = bb_at(mt, BATCH);
		emit(bb, bad[i]);
		emit_bbe(bb);
		expect_bad_cmd(mt, bb_run(mt, bb), -ENOEXEC, BATCH, bad[i]);
	}

	/* Not on the render engine */
	mt->ctx.engine_class = DRM_XE_ENGINE_CLASS_RENDER;
	bb = bb_at(mt, BATCH);
	emit_mem_set(bb, VXE_BLT_LINEAR, 16, 1, 1, BLT_DST, 0x11);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -ENOEXEC, BATCH, bb->dw[0]);
	blt_read(mt, dst);
	KUNIT_EXPECT_EQ(test, dst[0], 0);
	mt->ctx.engine_class = DRM_XE_ENGINE_CLASS_COPY;

	/* A copy running into unmapped memory faults at that page */
	bb = bb_at(mt, BATCH);
	emit_mem_copy(bb, VXE_BLT_LINEAR, SZ_8K, 1, 1, 1, BLT_SRC,
		      GK_BASE + MAP_LEN - SZ_4K);
	emit_bbe(bb);
	KUNIT_EXPECT_EQ(test, bb_run(mt, bb), -EFAULT);
	KUNIT_EXPECT_TRUE(test, mt->ctx.err_is_fault);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_addr, GK_BASE + MAP_LEN);
	KUNIT_EXPECT_EQ(test, mt->ctx.err_header, bb->dw[0]);

	/* A fill of 1 MiB stopped at its second check, after 128K */
	gk_mmap(mt->gk, BLT_BIG, SZ_2M, RW);
	mt->ctx.should_stop = stop_after_fn;
	mt->ctx.priv = &stop;
	bb = bb_at(mt, BATCH);
	emit_mem_set(bb, VXE_BLT_LINEAR, SZ_1M, 1, 1, BLT_BIG, 0xa5);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -ECANCELED, BATCH, bb->dw[0]);
	KUNIT_EXPECT_EQ(test, stop.calls, 2);
	KUNIT_EXPECT_EQ(test, rd32(mt, BLT_BIG + SZ_128K - 4), 0xa5a5a5a5);
	KUNIT_EXPECT_EQ(test, rd32(mt, BLT_BIG + SZ_128K), 0);
}

/* XY_FAST_COPY_BLT's color depth field for @cpp bytes a pixel */
static u32 fast_depth(unsigned int cpp)
{
	return FIELD_PREP(VXE_FAST_COLOR_DEPTH, cpp == 1 ? 0 : cpp == 2 ? 1 :
			  cpp == 4 ? 3 : cpp == 8 ? 4 : 5);
}

/*
 * XY_FAST_COPY_BLT of a @w x @h rectangle of @cpp-byte pixels: from
 * (@sx, @sy) of @src (tiling @st, pitch @sp bytes) to (@dx, @dy) of @dst.
 */
static void emit_fast_copy(struct mi_bb *bb, unsigned int cpp, u32 w, u32 h,
			   u32 st, u32 sp, u64 src, u32 sx, u32 sy,
			   u32 dt, u32 dp, u64 dst, u32 dx, u32 dy)
{
	emit(bb, VXE_XY_FAST_COPY | FIELD_PREP(VXE_FAST_SRC_TILING, st) |
	     FIELD_PREP(VXE_FAST_DST_TILING, dt) | VXE_MI_NUM_DW(10));
	emit(bb, fast_depth(cpp) | (dt ? dp / 4 : dp));
	emit(bb, FIELD_PREP(VXE_FAST_Y, dy) | dx);
	emit(bb, FIELD_PREP(VXE_FAST_Y, dy + h) | (dx + w));
	emit_addr(bb, dst);
	emit(bb, FIELD_PREP(VXE_FAST_Y, sy) | sx);
	emit(bb, st ? sp / 4 : sp);
	emit_addr(bb, src);
}

/* Linear to linear: a rectangle between two pitches, nothing around it. */
static void vxe_mi_fast_copy_linear(struct kunit *test)
{
	u8 *src, *dst;
	struct mi_test *mt = blt_create(test, &src, &dst);
	struct mi_bb *bb = bb_at(mt, BATCH);
	unsigned int x, y;

	/* 7 x 5 pixels of 4 bytes: (3, 2) at pitch 100 to (1, 4) at pitch 64 */
	emit_fast_copy(bb, 4, 7, 5, VXE_TILING_LINEAR, 100, BLT_SRC, 3, 2,
		       VXE_TILING_LINEAR, 64, BLT_DST, 1, 4);
	emit_bbe(bb);
	KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
	blt_read(mt, dst);
	for (y = 0; y < 12; y++) {
		for (x = 0; x < 64; x++) {
			bool in = y >= 4 && y < 9 && x >= 4 && x < 32;
			u8 want = in ? src[(y - 4 + 2) * 100 + 12 + x - 4] : 0;

			KUNIT_EXPECT_EQ_MSG(test, dst[y * 64 + x], want,
					    "row %u byte %u", y, x);
		}
	}

	/* A reserved color depth is a bad command. */
	bb = bb_at(mt, BATCH);
	emit_fast_copy(bb, 4, 1, 1, 0, 64, BLT_SRC, 0, 0, 0, 64, BLT_DST, 0, 0);
	bb->dw[1] = (bb->dw[1] & ~VXE_FAST_COLOR_DEPTH) |
		    FIELD_PREP(VXE_FAST_COLOR_DEPTH, 2);
	emit_bbe(bb);
	expect_bad_cmd(mt, bb_run(mt, bb), -ENOEXEC, BATCH, bb->dw[0]);
}

/**
 * struct tile_case - where a pixel of a tiled surface lives
 * @tiling: the surface's tiling
 * @cpp: bytes a pixel
 * @pitch: bytes a row of tiles (two tiles wide)
 * @x: the pixel's column
 * @y: the pixel's row
 * @offset: its bytes' offset in the surface
 */
struct tile_case {
	u32 tiling;
	unsigned int cpp;
	u32 pitch;
	u32 x, y;
	u32 offset;
};

/*
 * The tile layouts, worked out by hand from their definitions: X-major
 * 512 bytes x 8 rows; Tile4 128 x 32 with offset bits x x x x y y x x y x
 * y y; Tile64 64K, four more bits: 8 bits a pixel x y y y (256 x 256),
 * 16 and 32 x x y y (512 x 128), 64 and 128 x x x y (1024 x 64).
 */
static const struct tile_case tile_cases[] = {
	{ VXE_TILING_X, 4, 1024, 0, 1, 512 },
	{ VXE_TILING_X, 4, 1024, 128, 0, SZ_4K },
	{ VXE_TILING_X, 4, 1024, 0, 8, SZ_8K },
	{ VXE_TILING_X, 4, 1024, 129, 9, 3 * SZ_4K + 512 + 4 },
	{ VXE_TILING_4, 4, 256, 4, 0, 64 },
	{ VXE_TILING_4, 4, 256, 0, 1, 16 },
	{ VXE_TILING_4, 4, 256, 0, 4, 256 },
	{ VXE_TILING_4, 4, 256, 16, 0, 512 },
	{ VXE_TILING_4, 4, 256, 0, 8, 1024 },
	{ VXE_TILING_4, 4, 256, 32, 0, SZ_4K },
	{ VXE_TILING_4, 4, 256, 0, 32, SZ_8K },
	{ VXE_TILING_4, 4, 256, 5, 5, 4 + 64 + 16 + 256 },
	{ VXE_TILING_4, 2, 256, 1, 2, 2 + 32 },
	{ VXE_TILING_64, 4, 1024, 32, 0, SZ_4K },
	{ VXE_TILING_64, 4, 1024, 64, 0, SZ_8K },
	{ VXE_TILING_64, 4, 1024, 0, 32, SZ_16K },
	{ VXE_TILING_64, 4, 1024, 0, 64, SZ_32K },
	{ VXE_TILING_64, 4, 1024, 128, 0, SZ_64K },
	{ VXE_TILING_64, 4, 1024, 0, 128, SZ_128K },
	{ VXE_TILING_64, 2, 1024, 64, 0, SZ_4K },
	{ VXE_TILING_64, 1, 512, 128, 0, SZ_4K },
	{ VXE_TILING_64, 1, 512, 0, 32, SZ_8K },
	{ VXE_TILING_64, 1, 512, 0, 128, SZ_32K },
	{ VXE_TILING_64, 1, 512, 256, 0, SZ_64K },
	{ VXE_TILING_64, 1, 512, 0, 256, SZ_128K },
	{ VXE_TILING_64, 8, 2048, 16, 0, SZ_4K },
	{ VXE_TILING_64, 8, 2048, 64, 0, SZ_16K },
	{ VXE_TILING_64, 8, 2048, 0, 32, SZ_32K },
	{ VXE_TILING_64, 8, 2048, 128, 0, SZ_64K },
	{ VXE_TILING_64, 8, 2048, 0, 64, SZ_128K },
	{ VXE_TILING_64, 16, 2048, 32, 0, SZ_16K },
};

#define TILED		(BLT_BIG + SZ_512K)	/* 256K for a tiled surface */
#define TILED_LEN	SZ_256K

/* One pixel copied into a tiled surface lands where its layout says. */
static void vxe_mi_fast_copy_tile_layouts(struct kunit *test)
{
	static const u8 marker[16] = {
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
		0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf1, 0xf2,
	};
	u8 *src, *dst, *surf;
	struct mi_test *mt = blt_create(test, &src, &dst);
	unsigned int i, j;

	surf = kunit_kzalloc(test, TILED_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, surf);
	gk_mmap(mt->gk, BLT_BIG, SZ_2M, RW);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)BLT_BIG, marker,
					   sizeof(marker)), 0);
	for (i = 0; i < ARRAY_SIZE(tile_cases); i++) {
		const struct tile_case *c = &tile_cases[i];
		struct mi_bb *bb = bb_at(mt, BATCH);
		unsigned int nonzero = 0;

		memset(surf, 0, TILED_LEN);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)TILED, surf,
						   TILED_LEN), 0);
		emit_fast_copy(bb, c->cpp, 1, 1, VXE_TILING_LINEAR, 64, BLT_BIG,
			       0, 0, c->tiling, c->pitch, TILED, c->x, c->y);
		emit_bbe(bb);
		KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
		KUNIT_ASSERT_EQ(test, copy_from_user(surf, (void __user *)TILED,
						     TILED_LEN), 0);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(surf + c->offset, marker, c->cpp),
				    0, "tiling %u cpp %u (%u, %u) at %#x",
				    c->tiling, c->cpp, c->x, c->y, c->offset);
		for (j = 0; j < TILED_LEN; j++)
			nonzero += surf[j] != 0;
		KUNIT_EXPECT_EQ_MSG(test, nonzero, c->cpp,
				    "tiling %u cpp %u (%u, %u)", c->tiling,
				    c->cpp, c->x, c->y);
	}
}

/*
 * A rectangle of 4-byte pixels from a linear surface into each tiling and
 * back into another linear surface comes back whole, and nothing else of
 * the last surface is written; in the tiled surface, no byte outside the
 * rectangle is written either (its other rows lie between a row's pieces).
 */
static void vxe_mi_fast_copy_round_trip(struct kunit *test)
{
	static const u32 tilings[] = {
		VXE_TILING_LINEAR, VXE_TILING_X, VXE_TILING_4, VXE_TILING_64,
	};
	const u32 w = 200, h = 70, pitch = 1024, tpitch = 2048;
	const u64 lin = BLT_BIG, back = BLT_BIG + SZ_1M;
	u8 *src, *dst, *in, *out, *tiled;
	struct mi_test *mt = blt_create(test, &src, &dst);
	unsigned int i, y, j, changed;

	in = kunit_kmalloc(test, SZ_128K, GFP_KERNEL);
	out = kunit_kmalloc(test, SZ_128K, GFP_KERNEL);
	tiled = kunit_kmalloc(test, TILED_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, in);
	KUNIT_ASSERT_NOT_NULL(test, out);
	KUNIT_ASSERT_NOT_NULL(test, tiled);
	for (i = 0; i < SZ_128K; i++)
		in[i] = i * 13 + (i >> 9) + 1;
	gk_mmap(mt->gk, BLT_BIG, SZ_2M, RW);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)lin, in, SZ_128K), 0);

	for (i = 0; i < ARRAY_SIZE(tilings); i++) {
		struct mi_bb *bb = bb_at(mt, BATCH);

		memset(out, 0, SZ_128K);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)back, out,
						   SZ_128K), 0);
		memset(tiled, 0xee, TILED_LEN);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)TILED, tiled,
						   TILED_LEN), 0);
		/* (5, 3) of the source to (13, 7) of the tiled surface, then
		 * to (2, 1) of the last one
		 */
		emit_fast_copy(bb, 4, w, h, VXE_TILING_LINEAR, pitch, lin, 5, 3,
			       tilings[i], tpitch, TILED, 13, 7);
		emit_fast_copy(bb, 4, w, h, tilings[i], tpitch, TILED, 13, 7,
			       VXE_TILING_LINEAR, pitch, back, 2, 1);
		emit_bbe(bb);
		KUNIT_ASSERT_EQ(test, bb_run(mt, bb), 0);
		KUNIT_ASSERT_EQ(test, copy_from_user(out, (void __user *)back,
						     SZ_128K), 0);
		KUNIT_ASSERT_EQ(test, copy_from_user(tiled, (void __user *)TILED,
						     TILED_LEN), 0);
		for (j = 0, changed = 0; j < TILED_LEN; j++)
			changed += tiled[j] != 0xee;
		KUNIT_EXPECT_LE_MSG(test, changed, 4 * w * h, "tiling %u",
				    tilings[i]);
		for (y = 0; y < h + 2; y++) {
			u32 o = y * pitch;
			bool row = y >= 1 && y < 1 + h;

			KUNIT_EXPECT_EQ_MSG(test, row ?
					    memcmp(out + o + 8,
						   in + (y - 1 + 3) * pitch + 20,
						   4 * w) : 0, 0,
					    "tiling %u row %u", tilings[i], y);
			KUNIT_EXPECT_EQ_MSG(test, out[o + 7], 0, "tiling %u row %u",
					    tilings[i], y);
			KUNIT_EXPECT_EQ_MSG(test, out[o + 8 + 4 * w], 0,
					    "tiling %u row %u", tilings[i], y);
			if (!row)
				KUNIT_EXPECT_EQ_MSG(test, out[o + 8], 0,
						    "tiling %u row %u",
						    tilings[i], y);
		}
	}
}

static struct kunit_case vxe_mi_cases[] = {
	KUNIT_CASE(vxe_mi_noops_and_end),
	KUNIT_CASE(vxe_mi_store_dword),
	KUNIT_CASE(vxe_mi_store_lengths),
	KUNIT_CASE(vxe_mi_store_bad_lengths),
	KUNIT_CASE(vxe_mi_bad_lengths),
	KUNIT_CASE(vxe_mi_unknown_command),
	KUNIT_CASE(vxe_mi_ggtt_rejected),
	KUNIT_CASE(vxe_mi_store_unmapped),
	KUNIT_CASE(vxe_mi_batch_unmapped),
	KUNIT_CASE(vxe_mi_end_at_page_end),
	KUNIT_CASE(vxe_mi_command_across_unmapped),
	KUNIT_CASE(vxe_mi_copy_mem_mem),
	KUNIT_CASE(vxe_mi_mem_copy),
	KUNIT_CASE(vxe_mi_mem_set),
	KUNIT_CASE(vxe_mi_blt_bad),
	KUNIT_CASE(vxe_mi_fast_copy_linear),
	KUNIT_CASE(vxe_mi_fast_copy_tile_layouts),
	KUNIT_CASE(vxe_mi_fast_copy_round_trip),
	KUNIT_CASE(vxe_mi_flush_dw),
	KUNIT_CASE(vxe_mi_load_register_imm),
	KUNIT_CASE(vxe_mi_load_register_imm_full),
	KUNIT_CASE(vxe_mi_load_register_reg),
	KUNIT_CASE(vxe_mi_register_mem),
	KUNIT_CASE(vxe_mi_math),
	KUNIT_CASE(vxe_mi_math_loads_and_bad),
	KUNIT_CASE(vxe_mi_timestamps),
	KUNIT_CASE(vxe_mi_timed_spinner),
	KUNIT_CASE(vxe_mi_atomic_dword),
	KUNIT_CASE(vxe_mi_atomic_qword),
	KUNIT_CASE(vxe_mi_atomic_no_inline),
	KUNIT_CASE(vxe_mi_atomic_return_data),
	KUNIT_CASE(vxe_mi_atomic_bad),
	KUNIT_CASE(vxe_mi_atomic_race),
	KUNIT_CASE(vxe_mi_batch_chained),
	KUNIT_CASE(vxe_mi_batch_nested),
	KUNIT_CASE(vxe_mi_cond_end_compare),
	KUNIT_CASE(vxe_mi_cond_end_levels),
	KUNIT_CASE(vxe_mi_xe_spin),
	KUNIT_CASE(vxe_mi_semaphore_compare),
	KUNIT_CASE(vxe_mi_semaphore_cpu_signal),
	KUNIT_CASE(vxe_mi_semaphore_cancelled),
	KUNIT_CASE(vxe_mi_self_loop_cancelled),
	KUNIT_CASE(vxe_mi_loop_ended_by_rewrite),
	{}
};

static struct kunit_suite vxe_mi_suite = {
	.name = "vxe_mi",
	.test_cases = vxe_mi_cases,
};

kunit_test_suite(vxe_mi_suite);
