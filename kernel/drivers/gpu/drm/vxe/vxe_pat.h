/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_PAT_H_
#define _VXE_PAT_H_

#include <linux/types.h>

struct seq_file;

/* PAT indices of Battlemage: 28 (CLOS3 disabled, Wa_16023588340) */
#define VXE_PAT_ENTRIES		28

bool vxe_pat_reserved(u16 pat_index);
bool vxe_pat_coh_none(u16 pat_index);
void vxe_pat_dump_sw_config(struct seq_file *m);

#endif
