/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KANCTL_PCAP_H
#define KANCTL_PCAP_H

/*
 * A classic pcap file writer (magic 0xa1b2c3d4 in the host's byte order,
 * version 2.4, microsecond timestamps): a global header, then a record
 * header and the bytes of each packet. Every record is flushed as it is
 * written, so the file holds whole records whenever the writer stops.
 */
#include <stdint.h>
#include <stdio.h>

#define KC_PCAP_IPV6 229u /* LINKTYPE_IPV6: each record is a bare IPv6 packet */

struct kc_pcap {
	FILE *f;
	int is_stdout; /* "-": the standard output, flushed but not closed */
	unsigned snaplen;
};

/* Create path ("-" for the standard output) and write the global header:
 * 0, or -1 with errno (nothing is left open). */
int kc_pcap_open(struct kc_pcap *p, const char *path, unsigned snaplen, unsigned linktype);

/* One record: time_us since the epoch of the clock the packet was taken by,
 * caplen bytes of data, orig_len the packet's length on the wire. 0, or -1
 * with errno. */
int kc_pcap_write(struct kc_pcap *p, uint64_t time_us, const void *data, uint32_t caplen,
                  uint32_t orig_len);

/* Flush and close (the standard output is flushed only): 0, or -1 with errno
 * when any write failed. */
int kc_pcap_close(struct kc_pcap *p);

#endif
