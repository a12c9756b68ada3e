/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_TEST_SHIM_USER_H
#define HEKATE_TEST_SHIM_USER_H
/* Host stand-in for userlib's <hekate/user.h> (see pkt.h beside it). */
#include <hekate/errno.h>
#endif
