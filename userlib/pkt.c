// SPDX-License-Identifier: BSD-2-Clause
/* Raw KAN helpers (contracts in <hekate/pkt.h>). */
#include <hekate/pkt.h>
#include <hekate/user.h>
#include <kan/ipv6.h>
#include <string.h>

static struct hk_kan_self self;
static int have_self;

const struct hk_kan_self *hk_kan(void)
{
	if (!have_self) {
		int64_t rc = hk_kan_self(&self);
		if (rc)
			hk_fail("kan_self: %s", hk_strerror((int)rc));
		have_self = 1;
	}
	return &self;
}

int hk_kan_addr_of(const char *name, unsigned n, struct hk_addr *out)
{
	struct hk_proc_info info;
	if (n > 0xffff)
		return -HK_EINVAL;
	for (unsigned i = 0; i < HK_MAX_PROCS && !hk_proc_info(i, &info); i++) {
		if (strncmp(info.name, name, sizeof(info.name)))
			continue;
		*out = kan_addr_make(&hk_kan()->prefix, hk_kan_iid(i, n));
		return 0;
	}
	return -HK_ENOENT;
}

void hk_ip6_header(void *ip, const struct hk_addr *src, const struct hk_addr *dst,
                   uint8_t next_header, uint16_t payload_len)
{
	uint8_t *h = ip;
	h[0] = 0x60;
	h[1] = h[2] = h[3] = 0;
	h[4] = (uint8_t)(payload_len >> 8);
	h[5] = (uint8_t)payload_len;
	h[6] = next_header;
	h[7] = 64;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
}

void hk_addr_str(const struct hk_addr *a, char *buf, size_t n)
{
	kan_addr_format(a, buf, n); /* the formatter the kernel prints with */
}

unsigned hk_kan_send_all(struct hk_pkt *p, unsigned n, unsigned flags)
{
	unsigned done = 0, refused = 0;
	while (done < n) {
		int64_t r = hk_kan_send(p + done, n - done, flags);
		if (r > 0) {
			done += (unsigned)r;
			continue;
		}
		hk_kan_free(p + done, 1); /* refused (r is why): the rest may still go */
		refused++;
		done++;
	}
	return refused;
}
