// SPDX-License-Identifier: BSD-2-Clause
/*
 * kanctl capture: ask the node to mirror KAN traffic (CAPTURE, a signed
 * write sent once) and read its answer, a stream of one-part messages
 * (<net/mgmt.h>, struct mgmt_cap), into a pcap file. Packets come in
 * fragments; a packet one of whose fragments is lost is skipped and
 * counted, never written in part.
 */
#include "kanctl.h"
#include "pcap.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const use =
    "capture [--process P] [--count N] [--duration-ms MS] [--snaplen N] -w FILE";

#define RCVBUF (4u << 20) /* room for a burst of the stream while we write */

/* The stream's reader: the packet being put together and what was seen. */
struct stream {
	struct kc_pcap out;
	const char *path;  /* for messages: the file, or "the standard output" */
	uint32_t next_seq; /* the item expected next */
	int gathering;     /* pkt is being put together: have bytes of caplen so far */
	uint32_t pkt, orig_len;
	uint16_t caplen, have;
	uint64_t time_us;
	uint32_t seen;      /* packets known to be in the stream: the highest pkt + 1 */
	uint32_t written;   /* whole packets in the file */
	unsigned malformed; /* messages of ours that did not decode */
	uint8_t buf[MGMT_CAP_SNAP_MAX];
};

/* Why an argument is refused, on stderr: KX_USAGE. */
__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "kanctl capture: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	return KX_USAGE;
}

/* "N" within lo..hi into *v, or KX_USAGE after saying why. */
static int number(const char *opt, const char *s, unsigned lo, unsigned hi, unsigned *v)
{
	char *end;
	unsigned long n = s && *s >= '0' && *s <= '9' ? strtoul(s, &end, 10) : 0;
	if (!s || *s < '0' || *s > '9' || *end || n < lo || n > hi)
		return bad("%s takes a number %u..%u, not %s", opt, lo, hi, s ? s : "nothing");
	*v = (unsigned)n;
	return KX_OK;
}

static int args(int argc, char **argv, struct mgmt_capture_req *c, const char **path)
{
	unsigned count = 1000, duration = 10000, snaplen = MGMT_CAP_SNAP_MAX;
	int rc = KX_OK;
	*path = NULL;
	for (int i = 1; !rc && i < argc; i += 2) { /* every option takes a value */
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(o, "--process") && strcmp(o, "--count") && strcmp(o, "--duration-ms") &&
		    strcmp(o, "--snaplen") && strcmp(o, "-w"))
			rc = bad("%s: %s", o,
			         o[0] == '-' ? "not an option of capture"
			                     : "an unexpected argument");
		else if (!v || !*v)
			rc = bad("%s needs a value", o);
		else if (!strcmp(o, "--process")) {
			const char *why = kc_name_bad(v, strlen(v));
			if (why)
				rc = bad("--process '%s' %s", v, why);
			else
				snprintf(c->process, sizeof(c->process), "%s", v);
		} else if (!strcmp(o, "--count"))
			rc = number(o, v, 1, MGMT_CAPTURE_MAX, &count);
		else if (!strcmp(o, "--duration-ms"))
			rc = number(o, v, 1, MGMT_CAPTURE_MS_MAX, &duration);
		else if (!strcmp(o, "--snaplen"))
			rc = number(o, v, MGMT_CAP_SNAP_MIN, MGMT_CAP_SNAP_MAX, &snaplen);
		else
			*path = v;
	}
	if (!rc && !*path)
		rc = bad("-w FILE is required (- for the standard output)");
	if (rc)
		return fprintf(stderr, "kanctl capture: usage: kanctl [OPTIONS] %s\n", use),
		       KX_USAGE;
	c->count = count;
	c->timeout_ms = duration;
	c->snaplen = (uint16_t)snaplen;
	return KX_OK;
}

/* One FRAG item: put it to the packet it belongs to; write the packet when whole. */
static int frag(struct stream *s, const struct mgmt_cap *c, unsigned snaplen)
{
	int32_t ahead = (int32_t)(c->seq - s->next_seq);
	if (ahead < 0)
		return KX_OK; /* a duplicate, or late past a gap already given up on */
	s->next_seq = c->seq + 1;
	if (c->pkt >= s->seen)
		s->seen = c->pkt + 1;
	if (ahead > 0)
		s->gathering = 0; /* messages lost: the packet being put together misses one */
	if (s->gathering && c->pkt == s->pkt) {
		if (c->off != s->have || c->caplen != s->caplen || c->orig_len != s->orig_len ||
		    c->time_us != s->time_us) {
			s->malformed++;
			s->gathering = 0;
			return KX_OK;
		}
	} else {
		s->gathering = 0; /* a packet before this one not whole: lost */
		if (c->off)
			return KX_OK; /* this packet's start was lost: skip the rest of it */
		if (c->caplen > snaplen) {
			s->malformed++;
			return KX_OK;
		}
		s->gathering = 1;
		s->pkt = c->pkt;
		s->caplen = c->caplen;
		s->orig_len = c->orig_len;
		s->time_us = c->time_us;
		s->have = 0;
	}
	memcpy(s->buf + s->have, c->data, c->len); /* off + len <= caplen <= snaplen: checked */
	s->have = (uint16_t)(s->have + c->len);
	if (s->have < s->caplen)
		return KX_OK;
	s->gathering = 0;
	if (kc_pcap_write(&s->out, s->time_us, s->buf, s->caplen, s->orig_len))
		return fprintf(stderr, "kanctl capture: writing %s: %s\n", s->path,
		               strerror(errno)),
		       KX_SYSTEM;
	s->written++;
	return KX_OK;
}

static void summary(const struct kanctl *k, const struct stream *s, const struct mgmt_cap *end)
{
	uint32_t total = end->packets > s->seen ? end->packets : s->seen;
	uint32_t lost = total > s->written ? total - s->written : 0;
	if (k->json) /* with -w - the standard output is the file: the summary goes to stderr */
		fprintf(s->out.is_stdout ? stderr : stdout,
		        "{\"packets\":%u,\"dropped\":%u,\"lost\":%u,\"reason\":\"%s\"}\n",
		        s->written, end->dropped, lost,
		        end->reason == MGMT_CAP_TIME ? "time" : "count");
	else
		fprintf(stderr,
		        "%u packets captured to %s (%u dropped on the node, %u lost on the way)\n",
		        s->written, s->path, end->dropped, lost);
}

/* Read the stream of request id until END, a refusal or the deadline. */
static int read_stream(struct kanctl *k, struct stream *s, uint32_t id, unsigned snaplen,
                       uint64_t deadline, struct mgmt_cap *end)
{
	static uint8_t pkt[2048], text[MGMT_PKT_MAX];
	for (uint64_t t; (t = kc_now_ms()) < deadline;) {
		struct pollfd p = {.fd = k->fd, .events = POLLIN};
		struct mgmt_hdr h;
		struct mgmt_cap c;
		const uint8_t *body;
		if (poll(&p, 1, deadline - t < 1000 ? (int)(deadline - t) : 1000) <= 0)
			continue;
		ssize_t got = recv(k->fd, pkt, sizeof(pkt), 0);
		if (got < 0) {
			if (errno == ECONNREFUSED)
				return kc_port_unreachable(k), KX_TIMEOUT;
			continue;
		}
		int rc = mgmt_msg_decode(pkt, (size_t)got, &h, &body);
		if (rc == MGMT_DROP || h.op != MGMT_OP_CAPTURE || h.id != id)
			continue; /* not ours: a late answer to INFO, or noise */
		if (rc != MGMT_OK || h.part || h.nparts != 1 || (h.flags & MGMT_F_AUTH)) {
			s->malformed++;
			continue;
		}
		if (h.status) { /* the request refused, or the capture ended by the node */
			memcpy(text, body, h.body_len);
			k->status = h.status;
			k->body = text;
			k->len = h.body_len;
			kc_refused(k, MGMT_OP_CAPTURE);
			return KX_REFUSED;
		}
		if (mgmt_cap_get(body, h.body_len, &c)) {
			s->malformed++;
			continue;
		}
		if (c.kind == MGMT_CAP_END)
			return *end = c, KX_OK;
		if ((rc = frag(s, &c, snaplen)))
			return rc;
	}
	return KX_TIMEOUT;
}

int cmd_capture(struct kanctl *k, int argc, char **argv)
{
	struct mgmt_req q = {.h.op = MGMT_OP_CAPTURE};
	struct mgmt_cap end = {0};
	const char *path;
	int rc = args(argc, argv, &q.u.cap, &path);
	if (!rc)
		rc = kc_need_key(k, MGMT_OP_CAPTURE);
	if (!rc)
		rc = kc_open(k);
	if (rc)
		return rc;
	int size = (int)RCVBUF; /* best effort: the system may grant less */
	setsockopt(k->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));

	struct stream *s = calloc(1, sizeof(*s));
	if (!s)
		return fprintf(stderr, "kanctl: out of memory\n"), KX_SYSTEM;
	s->path = strcmp(path, "-") ? path : "the standard output";
	if (kc_pcap_open(&s->out, path, q.u.cap.snaplen, KC_PCAP_IPV6)) {
		fprintf(stderr, "kanctl capture: -w %s: %s\n", path, strerror(errno));
		free(s);
		return KX_SYSTEM;
	}
	int sent = !(rc = kc_send(k, &q));
	if (sent) {
		uint64_t deadline = kc_now_ms() + q.u.cap.timeout_ms + k->timeout_ms;
		rc = read_stream(k, s, q.h.id, q.u.cap.snaplen, deadline, &end);
	}
	if (kc_pcap_close(&s->out) && rc != KX_SYSTEM) { /* KX_SYSTEM: a write failed, said */
		fprintf(stderr, "kanctl capture: writing %s: %s\n", s->path, strerror(errno));
		rc = rc ? rc : KX_SYSTEM;
	}
	if (s->malformed)
		fprintf(stderr, "kanctl capture: %u malformed messages from the node ignored\n",
		        s->malformed);
	if (sent && rc == KX_TIMEOUT)
		fprintf(stderr,
		        "kanctl capture: no end of the capture from [%s]:%u within %u + %u ms "
		        "of the request; %u packets kept in %s\n",
		        k->node, k->port, q.u.cap.timeout_ms, k->timeout_ms, s->written, s->path);
	else if (sent && rc && s->written)
		fprintf(stderr, "kanctl capture: %u packets kept in %s\n", s->written, s->path);
	else if (!rc)
		summary(k, s, &end);
	free(s);
	return rc;
}
