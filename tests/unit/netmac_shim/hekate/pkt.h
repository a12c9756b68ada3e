/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_TEST_SHIM_PKT_H
#define HEKATE_TEST_SHIM_PKT_H
/*
 * Host stand-in for userlib's <hekate/pkt.h> (tests/unit/test_netmac_router.c):
 * the same declarations, without the system calls, so drivers/netmac/router.c
 * builds on the host. The test defines these against a fake node.
 */
#include <hekate/kan.h>
#include <hekate/syscalls.h>
#include <stddef.h>
#include <stdint.h>

const struct hk_kan_self *hk_kan(void);
int hk_kan_addr_of(const char *name, unsigned n, struct hk_addr *out);
void hk_addr_str(const struct hk_addr *a, char *buf, size_t n);
int64_t hk_proc_info(unsigned index, struct hk_proc_info *out);

#endif
