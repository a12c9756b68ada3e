# SPDX-License-Identifier: BSD-2-Clause
# Thin wrapper over CMake/ctest: what users type.
#   make run    boot a default node under QEMU the host can reach (Ctrl-A X quits)
#   make test   run every test (unit + qemu) through ctest
#   make bench  boot the benchmark image under -icount and print guest instruction counts
#   make debug  boot halted with a gdb stub and attach gdb to the kernel's symbols
#   make profile  per-function instruction counts of one KAN send->recv and one send
# Each first runs tools/bootstrap (installs what is missing; offline and fast once done).
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?=
RUN_ARGS ?=

.PHONY: all bootstrap build run test test-unit test-qemu bench profile debug clean distclean
all: build

bootstrap:
	@tools/bootstrap

$(BUILD)/build.ninja: | bootstrap
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_C_COMPILER=clang

build: bootstrap $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@echo "Booting a Hekate node (aarch64 virt, 4 CPUs, 512 MiB) the host can reach."
	tools/run-node $(BUILD) --append "$(APPEND)" $(RUN_ARGS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

test-qemu: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L qemu

bench: build
	tools/bench $(BUILD)

profile: build
	@tools/bootstrap --profile
	tools/kanprof $(BUILD)

debug: build
	@tools/bootstrap --debug
	tools/debug

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf .deps
