# SPDX-License-Identifier: GPL-2.0
#
# gpusvm: GPU shared virtual memory for Linux 6.12, and the suite that
# proves it.  "make" is the main job; "make test" is what CI runs; "make
# help" lists the rest.

SHELL := /bin/bash
TOP := $(CURDIR)
BUILD ?= $(TOP)/build
JOBS ?= $(shell nproc)
KUNIT_ARCH ?= um x86_64

export TOP BUILD JOBS KDIR INPLACE FORCE KUNIT_FILTER KUNIT_TIMEOUT KUNIT_CONFIGS QEMU_ACCEL
export IGT_DIR IGT_TARGET IGT_LISTS IGT_TIMEOUT IGT_RUNNER_OPTS IGT_SHARDS VM_OUT
export BENCH_ARGS BENCH_MEM BENCH_TIMEOUT

KTAP := ci/ktap/ktap

.PHONY: all help deps tree ktap kunit $(addprefix kunit-,um x86_64) \
	summary test check selftests igt igt-full coverage coverage-gaps vm-run patches clean distclean \
	bench hmm-tests

# The main job: dependencies, the tree, our KUnit suites on UML and
# x86_64, and their summary.
all: deps tree ktap
	@rc=0; for a in $(KUNIT_ARCH); do \
		ci/kunit.sh $$a || rc=1; \
	done; ci/summary.sh $(addprefix $(BUILD)/logs/kunit-,$(addsuffix .stats,$(KUNIT_ARCH))); exit $$rc

help:
	@echo "make                 deps, tree, build and run the KUnit suites (UML, x86_64), summary"
	@echo "make test            everything CI checks; ends with 'N passed, N failed, N skipped'"
	@echo "make deps            install missing Debian packages (ci/deps.sh)"
	@echo "make tree            prepare build/linux (KDIR=/path: another 6.12 tree; INPLACE=1)"
	@echo "make kunit           KUnit on $(KUNIT_ARCH) (KUNIT_FILTER=suite.test, KUNIT_ARCH=um)"
	@echo "make kunit-um        KUnit on UML only (kunit-x86_64: QEMU only)"
	@echo "make check           checkpatch --strict, kernel-doc and W=1 on our kernel code"
	@echo "make selftests       the kselftest target gpusvm in the x86_64 test kernel (vm-run)"
	@echo "make igt             upstream IGT (igt-tests/*.testlist) and our IGT tests on vxe (IGT_DIR=,"
	@echo "                     IGT_TARGET=host: a lab's IGT on this machine's Xe GPU)"
	@echo "make igt-full        all 1944 subtests of upstream xe_exec_system_allocator on vxe"
	@echo "make hmm-tests       6.12's HMM selftests (lib/test_hmm) in the x86_64 test kernel"
	@echo "make bench           benchmarks: GPU faults, migration, invalidation vs test_hmm and memcpy"
	@echo "                     (BENCH_ARGS=-q: quick); ci/bench-compare OLD.json NEW.json compares runs"
	@echo "make coverage        x86_64 KUnit + selftests with gcov: lcov/HTML/Cobertura, gates"
	@echo "make coverage-gaps   every function and branch of our code that no test reaches"
	@echo "make vm-run CMD=..  run CMD as root in the x86_64 test kernel (host root over 9p)"
	@echo "make ktap            build the C KTAP harness (ci/ktap)"
	@echo "make patches         write build/linux's commits back to kernel/patches"
	@echo "make clean           remove build outputs but keep the prepared tree"
	@echo "make distclean       remove build/ entirely"

deps:
	@ci/deps.sh base $(if $(KDIR),,tarball)

tree: deps
	@ci/tree.sh

ktap:
	@$(MAKE) -s -C ci/ktap

kunit: tree ktap
	@rc=0; for a in $(KUNIT_ARCH); do \
		ci/kunit.sh $$a || rc=1; \
	done; ci/summary.sh $(addprefix $(BUILD)/logs/kunit-,$(addsuffix .stats,$(KUNIT_ARCH))); exit $$rc

kunit-um kunit-x86_64: kunit-%: tree ktap
	@ci/kunit.sh $*

test: deps
	@ci/test.sh

check: tree
	@ci/check.sh

# The kselftest target gpusvm, built the kernel's way, run in the x86_64
# test kernel (brought up to date first).
selftests: tree ktap
	@KUNIT_STEPS=config,build ci/kunit.sh x86_64
	@ci/selftests.sh

# Upstream IGT and our IGT tests (ci/igt.sh): in the x86_64 test kernel,
# brought up to date first unless VM_OUT names another build output or
# IGT_TARGET=host runs them on this machine's GPU.
IGT_KERNEL = $(if $(VM_OUT)$(filter host,$(IGT_TARGET)),,@KUNIT_STEPS=config,build ci/kunit.sh x86_64)

igt: ktap $(if $(VM_OUT)$(filter host,$(IGT_TARGET)),,tree)
	$(IGT_KERNEL)
	@ci/igt.sh run

igt-full: ktap $(if $(VM_OUT)$(filter host,$(IGT_TARGET)),,tree)
	$(IGT_KERNEL)
	@ci/igt.sh full

# 6.12's own HMM selftests in the x86_64 test kernel (brought up to date)
hmm-tests: tree ktap
	@KUNIT_STEPS=config,build ci/kunit.sh x86_64
	@ci/hmm-tests.sh

# The benchmarks (ci/bench.sh): a kernel of their own, without the debug
# options, in build/bench-kernel; results in build/bench.
bench: tree ktap
	@ci/deps.sh bench
	@ci/bench.sh

# Every layer on x86_64 (its kernel profiles our code: KUnit, then the
# selftests), then the reports and the gates of coverage/thresholds.  A
# failing test fails the target too, after the report.
coverage: tree ktap
	@rc=0; ci/kunit.sh x86_64 || rc=1; ci/selftests.sh || rc=1; \
		coverage/coverage.sh && exit $$rc

coverage-gaps:
	@[ -s $(BUILD)/coverage/merged.info ] || $(MAKE) -s coverage || true
	@coverage/coverage.sh gaps

# A command in the x86_64 test kernel: the kernel is brought up to date
# first (an incremental build), then ci/vm-run boots it.  VM_GCOV=LAYER
# also records a coverage layer.
vm-run: tree ktap
	@[ -n "$$CMD" ] || { echo "usage: make vm-run CMD='command line' [VM_GCOV=layer]" >&2; exit 2; }
	@KUNIT_STEPS=config,build ci/kunit.sh x86_64
	@ci/vm-run $(if $(VM_GCOV),--gcov $(VM_GCOV)) -c "$$CMD"

patches:
	@ci/patches.sh

clean:
	rm -rf $(BUILD)/um $(BUILD)/x86_64 $(BUILD)/logs $(BUILD)/coverage $(BUILD)/vm \
		$(BUILD)/bench-kernel $(BUILD)/bench $(BUILD)/hmm-tests
	@$(MAKE) -s -C ci/ktap clean

distclean:
	rm -rf $(BUILD)
	@$(MAKE) -s -C ci/ktap clean
