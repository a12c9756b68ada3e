/* SPDX-License-Identifier: BSD-2-Clause */
#include <net/drop.h>

static const char *const names[NET_DROP_COUNT] = {
#define NET_DROP_NAME(id, name) [NET_DROP_##id] = name,
	NET_DROPS(NET_DROP_NAME)
#undef NET_DROP_NAME
};

const char *net_drop_name(unsigned reason)
{
	return reason < NET_DROP_COUNT ? names[reason] : "?";
}
