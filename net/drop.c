/* SPDX-License-Identifier: BSD-2-Clause */
#include <net/drop.h>
#include <stdio.h>

static const char *const names[NET_DROP_COUNT] = {
#define NET_DROP_NAME(id, name) [NET_DROP_##id] = name,
	NET_DROPS(NET_DROP_NAME)
#undef NET_DROP_NAME
};

static const char *const counter_names[NET_DROP_COUNT] = {
#define NET_DROP_CNAME(id, name) [NET_DROP_##id] = "drop." name,
	NET_DROPS(NET_DROP_CNAME)
#undef NET_DROP_CNAME
};

const char *net_drop_counter(unsigned reason)
{
	return reason < NET_DROP_COUNT ? counter_names[reason] : "drop.?";
}

const char *net_drop_name(unsigned reason)
{
	return reason < NET_DROP_COUNT ? names[reason] : "?";
}

size_t net_drops_format(char *buf, size_t cap, const uint64_t *drops)
{
	size_t n = 0;
	for (unsigned i = 0; i < NET_DROP_COUNT && n < cap; i++)
		if (drops[i])
			n += (size_t)snprintf(buf + n, cap - n, "drop.%s %llu\n", net_drop_name(i),
			                      (unsigned long long)drops[i]);
	return n < cap ? n : cap;
}
