// SPDX-License-Identifier: BSD-2-Clause
/* A classic pcap file writer (contracts in pcap.h). */
#include "pcap.h"

#include <errno.h>
#include <string.h>

/* A field of a pcap header in the host's byte order, as the magic tells readers. */
static uint8_t *put32(uint8_t *at, uint32_t v) { return memcpy(at, &v, 4), at + 4; }
static uint8_t *put16(uint8_t *at, uint16_t v) { return memcpy(at, &v, 2), at + 2; }

/* fwrite of n bytes and a flush: 0, or -1 with errno. */
static int out(struct kc_pcap *p, const void *a, size_t na, const void *b, size_t nb)
{
	errno = 0;
	if (fwrite(a, 1, na, p->f) != na || (nb && fwrite(b, 1, nb, p->f) != nb) || fflush(p->f)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

int kc_pcap_open(struct kc_pcap *p, const char *path, unsigned snaplen, unsigned linktype)
{
	uint8_t h[24], *at = h;
	p->is_stdout = !strcmp(path, "-");
	p->f = p->is_stdout ? stdout : fopen(path, "wb");
	p->snaplen = snaplen;
	if (!p->f)
		return -1;
	at = put32(at, 0xa1b2c3d4u); /* microsecond timestamps */
	at = put16(at, 2);
	at = put16(at, 4);
	at = put32(at, 0); /* thiszone: the timestamps are the node's clock */
	at = put32(at, 0); /* sigfigs */
	at = put32(at, snaplen);
	put32(at, linktype);
	if (out(p, h, sizeof(h), NULL, 0)) {
		int e = errno;
		kc_pcap_close(p);
		errno = e;
		return -1;
	}
	return 0;
}

int kc_pcap_write(struct kc_pcap *p, uint64_t time_us, const void *data, uint32_t caplen,
                  uint32_t orig_len)
{
	uint8_t h[16], *at = h;
	at = put32(at, (uint32_t)(time_us / 1000000));
	at = put32(at, (uint32_t)(time_us % 1000000));
	at = put32(at, caplen);
	put32(at, orig_len);
	return out(p, h, sizeof(h), data, caplen);
}

int kc_pcap_close(struct kc_pcap *p)
{
	int rc = 0, e = 0;
	if (!p->f)
		return 0;
	errno = 0;
	if (fflush(p->f) || ferror(p->f))
		rc = -1, e = errno ? errno : EIO;
	if (!p->is_stdout && fclose(p->f) && !rc)
		rc = -1, e = errno ? errno : EIO;
	p->f = NULL;
	errno = e;
	return rc;
}
