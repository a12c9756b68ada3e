/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_EXIT_H
#define HEKATE_EXIT_H

/*
 * Exit statuses a Hekate guest reports to QEMU (semihosting on aarch64).
 * Test runners map them to results; docs/boot.md lists them.
 */
enum hk_exit {
	HK_EXIT_OK = 0,         /* requested test or shutdown passed */
	HK_EXIT_TEST_FAIL = 1,  /* an in-guest self-test failed */
	HK_EXIT_BOOT_FAIL = 2,  /* bad/missing DTB, too little memory, ... */
	HK_EXIT_PANIC = 3,      /* unexpected exception or broken invariant */
	HK_EXIT_SUPERVISOR = 4, /* the supervisor process faulted or was killed */
};

#endif
