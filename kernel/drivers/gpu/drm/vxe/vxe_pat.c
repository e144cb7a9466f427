// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * The page attribute table (PAT) of vxe: Xe2's table as Battlemage has it,
 * the PAT index a bind names, and its debugfs dump.
 *
 * A GPU page-table entry names one of these entries; each says how the GPU
 * caches the page (L3 and L4 policy, class of service), whether it is
 * compressed, and whether it is coherent with the CPU's caches.  vxe's
 * mock GPU has no caches to configure: it keeps the table to check binds
 * as Xe does (a reserved index, or a non-coherent one for memory the CPU
 * caches, is -EINVAL) and to show userspace the configuration Xe shows.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/nospec.h>
#include <linux/seq_file.h>

#include "vxe_pat.h"

/* Xe2's entry fields, as Xe's XE2_PAT() */
#define VXE_PAT(no_promote, comp_en, l3clos, l3_policy, l4_policy, coh)	\
	(((no_promote) << 10) | ((comp_en) << 9) | ((l3clos) << 6) |	\
	 ((l3_policy) << 4) | ((l4_policy) << 2) | (coh))
#define VXE_PAT_NO_PROMOTE	BIT(10)
#define VXE_PAT_COMP_EN		BIT(9)
#define VXE_PAT_L3_CLOS		GENMASK(7, 6)
#define VXE_PAT_L3_POLICY	GENMASK(5, 4)
#define VXE_PAT_L4_POLICY	GENMASK(3, 2)
#define VXE_PAT_COH_MODE	GENMASK(1, 0)

/**
 * struct vxe_pat_entry - one entry of the table
 * @value: the fields, as the hardware register holds them
 * @valid: not reserved
 */
struct vxe_pat_entry {
	u32 value;
	bool valid;
};

#define E(...)	{ .value = VXE_PAT(__VA_ARGS__), .valid = true }

/* Xe2's table (xe2_pat_table), 28 entries on Battlemage; 16-19 reserved */
static const struct vxe_pat_entry vxe_pat_table[VXE_PAT_ENTRIES] = {
	[0] = E(0, 0, 0, 0, 3, 0),
	[1] = E(0, 0, 0, 0, 3, 2),
	[2] = E(0, 0, 0, 0, 3, 3),
	[3] = E(0, 0, 0, 3, 3, 0),
	[4] = E(0, 0, 0, 3, 0, 2),
	[5] = E(0, 0, 0, 3, 3, 2),
	[6] = E(1, 0, 0, 1, 3, 0),
	[7] = E(0, 0, 0, 3, 0, 3),
	[8] = E(0, 0, 0, 3, 0, 0),
	[9] = E(0, 1, 0, 0, 3, 0),
	[10] = E(0, 1, 0, 3, 0, 0),
	[11] = E(1, 1, 0, 1, 3, 0),
	[12] = E(0, 1, 0, 3, 3, 0),
	[13] = E(0, 0, 0, 0, 0, 0),
	[14] = E(0, 1, 0, 0, 0, 0),
	[15] = E(1, 1, 0, 1, 1, 0),
	/* 16-19: reserved, zero */
	[20] = E(0, 0, 1, 0, 3, 0),
	[21] = E(0, 1, 1, 0, 3, 0),
	[22] = E(0, 0, 1, 0, 3, 2),
	[23] = E(0, 0, 1, 0, 3, 3),
	[24] = E(0, 0, 2, 0, 3, 0),
	[25] = E(0, 1, 2, 0, 3, 0),
	[26] = E(0, 0, 2, 0, 3, 2),
	[27] = E(0, 0, 2, 0, 3, 3),
};

#undef E

/* The page-table walker's and PCIe ATS's entries of a discrete Xe2 */
static const struct vxe_pat_entry vxe_pat_pta = {
	.value = VXE_PAT(0, 0, 0, 0, 3, 0), .valid = true,
};

static const struct vxe_pat_entry vxe_pat_ats = {
	.value = VXE_PAT(0, 0, 0, 0, 3, 3), .valid = true,
};

/* Xe's cache-level indices on Xe2 (xe->pat.idx[]) */
#define VXE_PAT_IDX_NONE		3
#define VXE_PAT_IDX_WT			15
#define VXE_PAT_IDX_WB			2
#define VXE_PAT_IDX_NONE_COMPRESSION	12
#define VXE_PAT_IDX_INVALID		U16_MAX	/* no WB with compression */

/**
 * vxe_pat_reserved() - whether a PAT index may not be used
 * @pat_index: the index, below %VXE_PAT_ENTRIES
 *
 * Return: true for a reserved entry (Xe: -EINVAL for a bind naming it).
 */
bool vxe_pat_reserved(u16 pat_index)
{
	pat_index = array_index_nospec(pat_index, VXE_PAT_ENTRIES);
	return !vxe_pat_table[pat_index].valid;
}

/**
 * vxe_pat_coh_none() - whether a PAT index leaves the CPU's caches alone
 * @pat_index: the index, below %VXE_PAT_ENTRIES
 *
 * Xe's XE_COH_NONE: such an index is refused for memory the CPU may have
 * cached (userptrs, write-back BOs).
 *
 * Return: true when the entry is neither 1-way nor 2-way coherent.
 */
bool vxe_pat_coh_none(u16 pat_index)
{
	pat_index = array_index_nospec(pat_index, VXE_PAT_ENTRIES);
	return !(vxe_pat_table[pat_index].value & VXE_PAT_COH_MODE);
}

static void vxe_pat_entry_dump(struct seq_file *m, const char *label,
			       const struct vxe_pat_entry *e)
{
	u32 v = e->value;

	seq_printf(m, "%s= [ %u, %u, %u, %u, %u, %u ]  (%#8x)%s\n", label,
		   !!(v & VXE_PAT_NO_PROMOTE), !!(v & VXE_PAT_COMP_EN),
		   (u32)FIELD_GET(VXE_PAT_L3_CLOS, v),
		   (u32)FIELD_GET(VXE_PAT_L3_POLICY, v),
		   (u32)FIELD_GET(VXE_PAT_L4_POLICY, v),
		   (u32)FIELD_GET(VXE_PAT_COH_MODE, v), v,
		   e->valid ? "" : " *");
}

/**
 * vxe_pat_dump_sw_config() - debugfs ``gt0/pat_sw_config``
 * @m: the seq_file
 *
 * The table the driver programs, in the lines of Xe's
 * xe_pat_dump_sw_config() for Xe2: every entry with its fields
 * (no_promote, comp_en, l3_clos, l3_policy, l4_policy, coh_mode) and value,
 * reserved ones marked ``*``; the page-table walker's and PCIe ATS's
 * entries; the indices of the cache levels.  IGT reads it (xe_pat, and
 * the PAT indices of every Xe test).
 */
void vxe_pat_dump_sw_config(struct seq_file *m)
{
	char label[16];
	unsigned int i;

	seq_puts(m, "PAT table: (* = reserved entry)\n");
	for (i = 0; i < VXE_PAT_ENTRIES; i++) {
		snprintf(label, sizeof(label), "PAT[%2u] ", i);
		vxe_pat_entry_dump(m, label, &vxe_pat_table[i]);
	}
	seq_puts(m, "Page Table Access:\n");
	vxe_pat_entry_dump(m, "PTA_MODE", &vxe_pat_pta);
	seq_puts(m, "PCIe ATS/PASID:\n");
	vxe_pat_entry_dump(m, "PAT_ATS ", &vxe_pat_ats);
	seq_puts(m, "Cache Level:\n");
	seq_printf(m, "IDX[XE_CACHE_NONE] = %d\n", VXE_PAT_IDX_NONE);
	seq_printf(m, "IDX[XE_CACHE_WT] = %d\n", VXE_PAT_IDX_WT);
	seq_printf(m, "IDX[XE_CACHE_WB] = %d\n", VXE_PAT_IDX_WB);
	seq_printf(m, "IDX[XE_CACHE_NONE_COMPRESSION] = %d\n",
		   VXE_PAT_IDX_NONE_COMPRESSION);
	seq_printf(m, "IDX[XE_CACHE_WB_COMPRESSION] = %d\n",
		   VXE_PAT_IDX_INVALID);
}
