// SPDX-License-Identifier: BSD-2-Clause
/*
 * KAN IPv6 header checks and address helpers on the host: every malformed
 * class and boundary of kan_hdr_check, a mutation loop that poisons (ASan)
 * everything outside the descriptor's window, address classification,
 * prefix parsing, RFC 5952 formatting and the upper-layer checksum against
 * an independent reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hekate/errno.h>
#include <hekate/kan.h>
#include <kan/ipv6.h>

#include "kan_ref.h" /* POISON/UNPOISON, ref_csum */

#define PAGE HK_PKT_SIZE

/* ---- helpers ------------------------------------------------------------ */

#include "rng.h"

static struct hk_addr A(const uint8_t b[16]) {
	struct hk_addr a;
	memcpy(a.b, b, 16);
	return a;
}

/* Address from eight 16-bit groups. */
static struct hk_addr
G(uint16_t g0, uint16_t g1, uint16_t g2, uint16_t g3, uint16_t g4, uint16_t g5, uint16_t g6,
  uint16_t g7) {
	uint16_t g[8] = {g0, g1, g2, g3, g4, g5, g6, g7};
	struct hk_addr a;
	for (int i = 0; i < 8; i++) {
		a.b[2 * i] = (uint8_t)(g[i] >> 8);
		a.b[2 * i + 1] = (uint8_t)g[i];
	}
	return a;
}

static const struct hk_addr SRC = {
    {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0x01, 0x03, 0, 0}};
static const struct hk_addr DST = {
    {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1}};

/* A well-formed header for a packet of total length len (>= 40) at ip. */
static void build(uint8_t *ip, unsigned len, const struct hk_addr *src, const struct hk_addr *dst,
                  uint8_t hop)
{
	unsigned plen = len - HK_IPV6_HDR;
	ip[0] = 0x60;
	ip[1] = 0;
	ip[2] = 0;
	ip[3] = 0;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	ip[6] = 58; /* ICMPv6 */
	ip[7] = hop;
	memcpy(ip + 8, src->b, 16);
	memcpy(ip + 24, dst->b, 16);
}

static uint8_t *new_page(void)
{
	uint8_t *p = malloc(PAGE); /* exactly one page: ASan red zone right after it */
	assert_non_null(p);
	memset(p, 0xa5, PAGE);
	return p;
}

/*
 * Check the descriptor with everything of the page outside [off, off+len)
 * poisoned, so a read outside the window aborts under ASan. The part of the
 * window beyond the page is the malloc red zone already. Prefix poisoning
 * is exact only when off is a multiple of 8 (ASan's granule); the suffix
 * always is.
 */
static enum kan_hdr_err check_poisoned(uint8_t *page, unsigned off, unsigned len)
{
	unsigned lo = off < PAGE ? off : PAGE;
	unsigned long end = (unsigned long)off + len;
	unsigned hi = end < PAGE ? (unsigned)end : PAGE;
	if (hi < lo)
		hi = lo;
	if (lo)
		POISON(page, lo);
	if (hi < PAGE)
		POISON(page + hi, PAGE - hi);
	enum kan_hdr_err e = kan_hdr_check(page, off, len);
	UNPOISON(page, PAGE);
	return e;
}

/* ---- the harness itself ------------------------------------------------- */

/* The poisoning really catches a read: a check whose header bytes are
 * poisoned dies in a child process. Guards against a silently inert harness. */
static void test_harness_detects_overread(void **state)
{
	(void)state;
#ifdef HAVE_ASAN
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL); /* not cmocka's handlers: die for real */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 2);
		uint8_t *page = malloc(PAGE);
		build(page, 40, &SRC, &DST, 64);
		POISON(page, PAGE); /* the whole window too */
		enum kan_hdr_err e = kan_hdr_check(page, 0, 40);
		_exit(e == KAN_HDR_OK ? 0 : 3); /* reached only if the read went unnoticed */
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 3);
#else
	skip();
#endif
}

/* ---- kan_hdr_check: each class and boundary ----------------------------- */

static void test_hdr_valid(void **state)
{
	(void)state;
	uint8_t *page = new_page();
	/* minimal packet at offset 0 */
	build(page, 40, &SRC, &DST, 64);
	assert_int_equal(check_poisoned(page, 0, 40), KAN_HDR_OK);
	/* at the headroom offset, with a payload */
	build(page + HK_PKT_HEADROOM, 48, &SRC, &DST, 1);
	assert_int_equal(check_poisoned(page, HK_PKT_HEADROOM, 48), KAN_HDR_OK);
	/* an odd, unaligned offset */
	build(page + 77, 41, &SRC, &DST, 255);
	assert_int_equal(check_poisoned(page, 77, 41), KAN_HDR_OK);
	/* ending exactly at the page end */
	build(page + PAGE - 40, 40, &SRC, &DST, 64);
	assert_int_equal(check_poisoned(page, PAGE - 40, 40), KAN_HDR_OK);
	build(page + PAGE - 100, 100, &SRC, &DST, 64);
	assert_int_equal(check_poisoned(page, PAGE - 100, 100), KAN_HDR_OK);
	/* the whole page */
	build(page, PAGE, &SRC, &DST, 64);
	assert_int_equal(check_poisoned(page, 0, PAGE), KAN_HDR_OK);
	/* multicast destination is fine, and source == destination too */
	struct hk_addr mc = G(0xff02, 0, 0, 0, 0, 0, 0, 1);
	build(page + 8, 40, &SRC, &mc, 64);
	assert_int_equal(check_poisoned(page, 8, 40), KAN_HDR_OK);
	build(page + 8, 40, &SRC, &SRC, 64);
	assert_int_equal(check_poisoned(page, 8, 40), KAN_HDR_OK);
	/* traffic class and flow label bits do not matter */
	build(page + 16, 40, &SRC, &DST, 64);
	page[16] = 0x6f;
	page[17] = 0xff;
	page[18] = 0xff;
	page[19] = 0xff;
	assert_int_equal(check_poisoned(page, 16, 40), KAN_HDR_OK);
	free(page);
}

static void test_hdr_bounds(void **state)
{
	(void)state;
	uint8_t *page = new_page();
	build(page, PAGE, &SRC, &DST, 64);
	/* len 0, anywhere */
	assert_int_equal(check_poisoned(page, 0, 0), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, 128, 0), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, PAGE - 1, 0), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, PAGE, 0), KAN_HDR_BOUNDS);
	/* off at 4095 / 4096 */
	assert_int_equal(check_poisoned(page, PAGE - 1, 1), KAN_HDR_SHORT); /* in bounds, short */
	assert_int_equal(check_poisoned(page, PAGE - 1, 2), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, PAGE - 1, 40), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, PAGE, 1), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, PAGE, 40), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, PAGE + 1, 40), KAN_HDR_BOUNDS);
	/* off + len == 4096 is fine, 4097 is not */
	build(page + PAGE - 40, 40, &SRC, &DST, 64);
	assert_int_equal(check_poisoned(page, PAGE - 40, 40), KAN_HDR_OK);
	assert_int_equal(check_poisoned(page, PAGE - 40, 41), KAN_HDR_BOUNDS);
	build(page + PAGE - 41, 41, &SRC, &DST, 64);
	assert_int_equal(check_poisoned(page, PAGE - 41, 41), KAN_HDR_OK);
	assert_int_equal(check_poisoned(page, PAGE - 41, 42), KAN_HDR_BOUNDS);
	build(page, PAGE, &SRC, &DST, 64);
	assert_int_equal(check_poisoned(page, 0, PAGE), KAN_HDR_OK);
	assert_int_equal(check_poisoned(page, 0, PAGE + 1), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, 1, PAGE), KAN_HDR_BOUNDS);
	/* arithmetic overflow of off + len must not wrap into bounds */
	assert_int_equal(check_poisoned(page, 0xffffffffu, 40), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, 40, 0xffffffffu), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, 0xffffffffu, 1), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, 1, 0xffffffffu), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, 0x80000000u, 0x80000000u), KAN_HDR_BOUNDS);
	assert_int_equal(check_poisoned(page, 0xfffff000u, 0x1040u), KAN_HDR_BOUNDS);
	free(page);
}

static void test_hdr_short(void **state)
{
	(void)state;
	uint8_t *page = new_page();
	for (unsigned len = 1; len < 40; len++) {
		/* a header that would be valid if it were long enough */
		build(page + 256, 40, &SRC, &DST, 64);
		assert_int_equal(check_poisoned(page, 256, len), KAN_HDR_SHORT);
		/* at the very end of the page */
		build(page + PAGE - 40, 40, &SRC, &DST, 64);
		memmove(page + PAGE - len, page + PAGE - 40, len);
		assert_int_equal(check_poisoned(page, PAGE - len, len), KAN_HDR_SHORT);
	}
	/* 39 vs 40 with the payload length agreeing for 40 */
	build(page, 40, &SRC, &DST, 64);
	assert_int_equal(check_poisoned(page, 0, 39), KAN_HDR_SHORT);
	assert_int_equal(check_poisoned(page, 0, 40), KAN_HDR_OK);
	free(page);
}

static void test_hdr_version(void **state)
{
	(void)state;
	uint8_t *page = new_page();
	for (unsigned v = 0; v < 16; v++) {
		build(page + 64, 60, &SRC, &DST, 64);
		page[64] = (uint8_t)(v << 4 | (page[64] & 0x0f));
		assert_int_equal(check_poisoned(page, 64, 60),
		                 v == 6 ? KAN_HDR_OK : KAN_HDR_VERSION);
	}
	/* the traffic-class nibble sharing the byte is not the version */
	build(page, 40, &SRC, &DST, 64);
	page[0] = 0x46;
	assert_int_equal(check_poisoned(page, 0, 40), KAN_HDR_VERSION);
	page[0] = 0x06;
	assert_int_equal(check_poisoned(page, 0, 40), KAN_HDR_VERSION);
	page[0] = 0xf6;
	assert_int_equal(check_poisoned(page, 0, 40), KAN_HDR_VERSION);
	free(page);
}

static void test_hdr_length(void **state)
{
	(void)state;
	uint8_t *page = new_page();
	static const unsigned lens[] = {40, 41, 48, 255, 256, 296, 297, 1280, 1500, 4095, 4096};
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		unsigned len = lens[k], off = PAGE - len;
		build(page + off, len, &SRC, &DST, 64);
		assert_int_equal(check_poisoned(page, off, len), KAN_HDR_OK);
		unsigned plen = len - 40;
		/* payload length field one more, one less */
		page[off + 4] = (uint8_t)((plen + 1) >> 8);
		page[off + 5] = (uint8_t)(plen + 1);
		assert_int_equal(check_poisoned(page, off, len), KAN_HDR_LENGTH);
		if (plen) {
			page[off + 4] = (uint8_t)((plen - 1) >> 8);
			page[off + 5] = (uint8_t)(plen - 1);
			assert_int_equal(check_poisoned(page, off, len), KAN_HDR_LENGTH);
		}
		/* only the high byte or only the low byte wrong */
		page[off + 4] = (uint8_t)((plen >> 8) ^ 1);
		page[off + 5] = (uint8_t)plen;
		assert_int_equal(check_poisoned(page, off, len), KAN_HDR_LENGTH);
		page[off + 4] = (uint8_t)(plen >> 8);
		page[off + 5] = (uint8_t)(plen ^ 0x80);
		assert_int_equal(check_poisoned(page, off, len), KAN_HDR_LENGTH);
		/* field right, descriptor one shorter (still >= 40) */
		page[off + 5] = (uint8_t)plen;
		if (len > 40)
			assert_int_equal(check_poisoned(page, off, len - 1), KAN_HDR_LENGTH);
	}
	/* descriptor one longer than the header says */
	build(page + 100, 50, &SRC, &DST, 64);
	assert_int_equal(check_poisoned(page, 100, 51), KAN_HDR_LENGTH);
	assert_int_equal(check_poisoned(page, 100, 49), KAN_HDR_LENGTH);
	/* the largest field values: 0xffff + 40 can never fit a page */
	build(page, 40, &SRC, &DST, 64);
	page[4] = 0xff;
	page[5] = 0xff;
	assert_int_equal(check_poisoned(page, 0, 40), KAN_HDR_LENGTH);
	assert_int_equal(check_poisoned(page, 0, PAGE), KAN_HDR_LENGTH);
	/* jumbogram-style zero payload length with a longer packet */
	page[4] = 0;
	page[5] = 0;
	assert_int_equal(check_poisoned(page, 0, 41), KAN_HDR_LENGTH);
	free(page);
}

static void test_hdr_hoplimit(void **state)
{
	(void)state;
	uint8_t *page = new_page();
	build(page + 200, 40, &SRC, &DST, 0);
	assert_int_equal(check_poisoned(page, 200, 40), KAN_HDR_HOPLIMIT);
	build(page + 200, 40, &SRC, &DST, 1);
	assert_int_equal(check_poisoned(page, 200, 40), KAN_HDR_OK);
	build(page + 200, 40, &SRC, &DST, 255);
	assert_int_equal(check_poisoned(page, 200, 40), KAN_HDR_OK);
	free(page);
}

static void test_hdr_src_dst(void **state)
{
	(void)state;
	uint8_t *page = new_page();
	struct hk_addr zero = {{0}};
	struct hk_addr mcs[] = {G(0xff02, 0, 0, 0, 0, 0, 0, 1), G(0xff00, 0, 0, 0, 0, 0, 0, 0),
	                        G(0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff),
	                        G(0xff05, 0, 0, 0, 0, 0, 1, 3)};
	for (size_t i = 0; i < sizeof(mcs) / sizeof(mcs[0]); i++) {
		build(page, 40, &mcs[i], &DST, 64);
		assert_int_equal(check_poisoned(page, 0, 40), KAN_HDR_SRC);
	}
	build(page, 40, &zero, &DST, 64);
	assert_int_equal(check_poisoned(page, 0, 40), KAN_HDR_SRC);
	/* almost multicast / almost unspecified sources are fine */
	struct hk_addr fe = G(0xfe80, 0, 0, 0, 0, 0, 0, 1), one = G(0, 0, 0, 0, 0, 0, 0, 1);
	build(page, 40, &fe, &DST, 64);
	assert_int_equal(check_poisoned(page, 0, 40), KAN_HDR_OK);
	build(page, 40, &one, &DST, 64);
	assert_int_equal(check_poisoned(page, 0, 40), KAN_HDR_OK);
	for (int b = 0; b < 16; b++) {
		struct hk_addr s = zero;
		s.b[b] = 0x01; /* a single non-zero bit anywhere makes it specified */
		build(page + 8, 40, &s, &DST, 64);
		assert_int_equal(check_poisoned(page, 8, 40), KAN_HDR_OK);
		build(page + 8, 40, &SRC, &s, 64);
		assert_int_equal(check_poisoned(page, 8, 40), KAN_HDR_OK);
	}
	/* unspecified destination */
	build(page + 8, 40, &SRC, &zero, 64);
	assert_int_equal(check_poisoned(page, 8, 40), KAN_HDR_DST);
	/* the class names exist and differ */
	for (int e = 0; e < KAN_HDR_COUNT; e++) {
		assert_non_null(kan_hdr_err_name((enum kan_hdr_err)e));
		for (int f = 0; f < e; f++)
			assert_string_not_equal(kan_hdr_err_name((enum kan_hdr_err)e),
			                        kan_hdr_err_name((enum kan_hdr_err)f));
	}
	assert_non_null(kan_hdr_err_name(KAN_HDR_COUNT));
	assert_non_null(kan_hdr_err_name((enum kan_hdr_err)1000));
	free(page);
}

/* ---- mutation loop ------------------------------------------------------ */

/* Which classes the window's bytes (win, at least min(len, 40) of them) violate. */
static unsigned violated(const uint8_t *win, unsigned off, unsigned len)
{
	if (len == 0 || off >= PAGE || (unsigned long)off + len > PAGE)
		return 1u << KAN_HDR_BOUNDS;
	if (len < 40)
		return 1u << KAN_HDR_SHORT;
	unsigned m = 0;
	if ((win[0] >> 4) != 6)
		m |= 1u << KAN_HDR_VERSION;
	if (((unsigned)win[4] << 8 | win[5]) + 40u != len)
		m |= 1u << KAN_HDR_LENGTH;
	if (win[7] == 0)
		m |= 1u << KAN_HDR_HOPLIMIT;
	int s_zero = 1, d_zero = 1;
	for (int i = 0; i < 16; i++) {
		s_zero &= win[8 + i] == 0;
		d_zero &= win[24 + i] == 0;
	}
	if (win[8] == 0xff || s_zero)
		m |= 1u << KAN_HDR_SRC;
	if (d_zero)
		m |= 1u << KAN_HDR_DST;
	return m;
}

static void mutate(uint8_t *pkt, unsigned *len)
{
	switch (rndn(12)) {
	case 0: /* random byte flips, header-heavy */
		for (unsigned k = 1 + rndn(4); k; k--)
			pkt[rndn(40)] ^= (uint8_t)(1u << rndn(8));
		break;
	case 1: pkt[rndn(40)] = (uint8_t)rnd(); break;
	case 2: pkt[0] = (uint8_t)(rndn(16) << 4 | (pkt[0] & 15)); break;
	case 3: { /* payload length off by a little */
		unsigned v = ((unsigned)pkt[4] << 8 | pkt[5]) + rndn(5) - 2;
		pkt[4] = (uint8_t)(v >> 8);
		pkt[5] = (uint8_t)v;
		break;
	}
	case 4: pkt[7] = (uint8_t)rndn(3); break;
	case 5: memset(pkt + 8, 0, 16); break;
	case 6: pkt[8] = 0xff; break;
	case 7:
		memset(pkt + 24, 0, 16);
		if (rndn(2))
			pkt[24 + rndn(16)] = 1;
		break;
	case 8: /* descriptor length off by a little */ *len = *len + rndn(5) - 2; break;
	case 9: *len = rndn(48); break;
	case 10: *len = rndn(PAGE + 64); break;
	default: break; /* unchanged: still valid */
	}
}

static void test_hdr_mutations(void **state)
{
	(void)state;
	uint8_t *page = malloc(PAGE);
	static uint8_t pkt[PAGE + 128];
	unsigned seen[KAN_HDR_COUNT] = {0};
	assert_non_null(page);
	rng_state = 0x6b616e2d69707636ull;
	for (int it = 0; it < 20000; it++) {
		unsigned plen = rndn(4) ? rndn(64) : rndn(PAGE - 40 + 1);
		unsigned len = 40 + plen;
		struct hk_addr s = SRC, d = DST;
		s.b[15] = (uint8_t)rnd();
		d.b[12] = (uint8_t)rnd();
		build(pkt, len, &s, &d, (uint8_t)(1 + rndn(255)));
		for (unsigned i = 40; i < len; i++)
			pkt[i] = (uint8_t)rnd();
		mutate(pkt, &len);
		if (rndn(3) == 0)
			mutate(pkt, &len);

		/* placement 1: the window ends at the end of the page (or would) */
		unsigned off = len <= PAGE ? PAGE - len : rndn(PAGE);
		if (rndn(16) == 0)
			off += rndn(3); /* sometimes poke past the end */
		if (rndn(64) == 0)
			off = PAGE + rndn(64);
		/* placement 2: an 8-aligned offset, exact poisoning on both sides */
		unsigned off2 = len <= PAGE ? (rndn(PAGE - len + 1) & ~7u) : 8 * rndn(PAGE / 8);

		for (int place = 0; place < 2; place++) {
			unsigned o = place ? off2 : off;
			if (o < PAGE) {
				unsigned n = PAGE - o < len ? PAGE - o : len;
				memcpy(page + o, pkt, n);
			}
			enum kan_hdr_err e = check_poisoned(page, o, len);
			unsigned v = violated(pkt, o, len);
			assert_true((unsigned)e < KAN_HDR_COUNT);
			seen[e]++;
			if (e == KAN_HDR_OK) {
				/* the documented invariants of a checked header */
				assert_int_equal(v, 0);
				assert_true(len >= HK_IPV6_HDR);
				assert_true(o + len <= PAGE);
				const uint8_t *ip = page + o;
				assert_int_equal(ip[0] >> 4, 6);
				assert_int_equal(((unsigned)ip[4] << 8 | ip[5]) + 40u, len);
				assert_int_not_equal(ip[7], 0);
				assert_false(kan_addr_is_multicast(kan_hdr_src(ip)));
				assert_false(kan_addr_is_unspecified(kan_hdr_src(ip)));
				assert_false(kan_addr_is_unspecified(kan_hdr_dst(ip)));
			} else {
				/* the reported class really is violated */
				assert_true(v & (1u << e));
			}
		}
	}
	/* the loop reached every class */
	for (int e = 0; e < KAN_HDR_COUNT; e++)
		assert_true(seen[e] > 50);
	free(page);
}

/* ---- address helpers ---------------------------------------------------- */

static void test_addr_helpers(void **state)
{
	(void)state;
	struct hk_addr a = SRC, b = SRC, zero = {{0}};
	assert_true(kan_addr_eq(&a, &b));
	for (int i = 0; i < 16; i++) {
		b = a;
		b.b[i] ^= 0x80;
		assert_false(kan_addr_eq(&a, &b));
		b = a;
		b.b[i] ^= 0x01;
		assert_false(kan_addr_eq(&a, &b));
	}
	/* multicast: the first byte is 0xff, nothing else matters */
	static const uint8_t ff02_1[16] = {0xff, 0x02, [15] = 1};
	struct hk_addr m = A(ff02_1);
	assert_true(kan_addr_is_multicast(&m));
	m = zero;
	m.b[0] = 0xff;
	assert_true(kan_addr_is_multicast(&m));
	for (unsigned v = 0; v < 0xff; v++) {
		m.b[0] = (uint8_t)v;
		assert_false(kan_addr_is_multicast(&m));
	}
	m = G(0xfeff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff);
	assert_false(kan_addr_is_multicast(&m));
	assert_false(kan_addr_is_multicast(&SRC));
	/* unspecified: all zero only */
	assert_true(kan_addr_is_unspecified(&zero));
	for (int i = 0; i < 16; i++) {
		m = zero;
		m.b[i] = 1;
		assert_false(kan_addr_is_unspecified(&m));
		m.b[i] = 0x80;
		assert_false(kan_addr_is_unspecified(&m));
	}
	/* in_prefix: only the first 8 bytes of either side count */
	struct hk_addr pfx = SRC, x;
	pfx.b[9] = 0x77; /* garbage in the prefix's low half is ignored */
	for (int i = 0; i < 16; i++) {
		x = SRC;
		x.b[i] ^= 0x10;
		assert_int_equal(!!kan_addr_in_prefix(&x, &pfx), i >= 8);
	}
	assert_true(kan_addr_in_prefix(&DST, &SRC));
	assert_false(kan_addr_in_prefix(&zero, &SRC));
	/* make / iid */
	struct hk_addr made = kan_addr_make(&pfx, 0x0102030405060708ull);
	static const uint8_t want[16] = {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01,
	                                 1,    2,    3,    4,    5,    6,    7,    8};
	assert_memory_equal(made.b, want, 16);
	assert_int_equal(kan_addr_iid(&made), 0x0102030405060708ull);
	assert_int_equal(kan_addr_iid(&DST), 1);
	assert_int_equal(kan_addr_iid(&SRC), 0x01030000ull);
	made = kan_addr_make(&pfx, 0);
	assert_int_equal(kan_addr_iid(&made), 0);
	assert_memory_equal(made.b + 8, zero.b, 8);
	made = kan_addr_make(&pfx, UINT64_MAX);
	assert_int_equal(kan_addr_iid(&made), UINT64_MAX);
	rng_state = 42;
	for (int it = 0; it < 10000; it++) {
		struct hk_addr p;
		for (int i = 0; i < 16; i++)
			p.b[i] = (uint8_t)rnd();
		uint64_t iid = rnd();
		struct hk_addr r = kan_addr_make(&p, iid);
		assert_memory_equal(r.b, p.b, 8);
		for (int i = 0; i < 8; i++)
			assert_int_equal(r.b[8 + i], (uint8_t)(iid >> (56 - 8 * i)));
		assert_int_equal(kan_addr_iid(&r), iid);
		assert_true(kan_addr_in_prefix(&r, &p));
		/* rebuilding from the address's own iid is the identity */
		struct hk_addr r2 = kan_addr_make(&r, kan_addr_iid(&r));
		assert_true(kan_addr_eq(&r, &r2));
	}
	/* the header field accessors */
	uint8_t hdr[40];
	build(hdr, 40, &SRC, &DST, 9);
	assert_true(kan_addr_eq(kan_hdr_src(hdr), &SRC));
	assert_true(kan_addr_eq(kan_hdr_dst(hdr), &DST));
}

/* ---- kan_prefix_parse --------------------------------------------------- */

/* Parse from an exactly-sized, unterminated heap copy (ASan catches reads past n). */
static int parse_exact(const char *s, size_t n, struct hk_addr *out)
{
	char *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, s, n);
	int rc = kan_prefix_parse(copy, n, out);
	free(copy);
	return rc;
}

/* kan_net_parse and kan_addr_parse: any length, host bits refused, every byte
 * read from an exact copy; each truncation of a valid text is refused or
 * parses to a shorter valid form, never reads past the end. */
static int net_exact(const char *s, size_t n, struct hk_addr *out, unsigned *len)
{
	char *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, s, n);
	int rc = kan_net_parse(copy, n, out, len);
	free(copy);
	return rc;
}

static void test_net_parse(void **state)
{
	(void)state;
	struct hk_addr a;
	unsigned len = 999;
	static const uint8_t want[16] = {0xfd, 0, 0x6b, 0x61, 0x6e, 0, 0, 0xff, [15] = 0};
	assert_int_equal(net_exact("fd00:6b61:6e00:ff::/64", 22, &a, &len), 0);
	assert_int_equal(len, 64);
	assert_memory_equal(a.b, want, 16);
	assert_int_equal(net_exact("::/0", 4, &a, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(net_exact("fd00::1/128", 11, &a, &len), 0);
	assert_int_equal(len, 128);
	assert_int_equal(a.b[15], 1);
	assert_int_equal(net_exact("fc00::/7", 8, &a, &len), 0);
	assert_int_equal(net_exact("fd00::/7", 8, &a, &len), -HK_EINVAL); /* fd has bit 7 set */
	static const char *const bad[] = {
	    "fd00::1/64", /* host bits */ "fd00::/129", "fd00::/", "fd00::", "/64", "fd00::/6a",
	    "fd00::/-1", "fd00::/0064", "fd00:::/64", "g::/64", "fd00::/ 64", "1:2:3:4:5:6:7:8:9/64",
	    "fe00::/6" /* bit 6 set past /6 */};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = 77;
		memset(&a, 0xa5, sizeof(a));
		assert_int_equal(net_exact(bad[i], strlen(bad[i]), &a, &len), -HK_EINVAL);
		assert_int_equal(len, 77); /* untouched on failure */
	}
	const char *full = "2001:db8:1:2:3:4:5:0/112";
	for (size_t n = 0; n < strlen(full); n++)
		(void)net_exact(full, n, &a, &len); /* any result, but within n bytes */
	assert_int_equal(kan_addr_parse("fd00:6b61:6e00:ff::2", 20, &a), 0);
	assert_int_equal(a.b[15], 2);
	assert_int_equal(kan_addr_parse("fd00::2/64", 10, &a), -HK_EINVAL);
}

static void test_prefix_parse_accepts(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		uint8_t b[8];
	} ok[] = {
	    {"fd00:6b61:6e00:1::/64", {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01}},
	    {"fd00:6b61:6e00:0001:0:0:0:0/64", {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01}},
	    {"fd00:6b61:6e00:0001:0000:0000:0000:0000/64",
	     {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01}},
	    {"FD00:6B61:6E00:1::/64", {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01}},
	    {"fd00:6b61:6e00:1::0/64", {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01}},
	    {"fd00:6b61:6e00:1:0::/64", {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01}},
	    {"fd00:6b61:6e00:1:0:0:0::/64", {0xfd, 0x00, 0x6b, 0x61, 0x6e, 0x00, 0x00, 0x01}},
	    {"fd00::/64", {0xfd, 0x00, 0, 0, 0, 0, 0, 0}},
	    {"fd00::1:0:0:0:0/64", {0xfd, 0x00, 0, 0, 0, 0, 0, 1}},
	    {"2001:db8:abcd:12::/64", {0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd, 0x00, 0x12}},
	    {"1::/64", {0x00, 0x01, 0, 0, 0, 0, 0, 0}},
	    {"::1:0:0:0:0/64", {0, 0, 0, 0, 0, 0, 0, 1}},
	    {"fe80::/64", {0xfe, 0x80, 0, 0, 0, 0, 0, 0}},
	    {"feff:ffff:ffff:ffff::/64", {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	    {"a:b:c:d::/64", {0, 0xa, 0, 0xb, 0, 0xc, 0, 0xd}},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct hk_addr out;
		memset(&out, 0xee, sizeof(out));
		int rc = parse_exact(ok[i].s, strlen(ok[i].s), &out);
		if (rc)
			fail_msg("refused \"%s\": %d", ok[i].s, rc);
		assert_memory_equal(out.b, ok[i].b, 8);
		static const uint8_t zero8[8];
		assert_memory_equal(out.b + 8, zero8, 8);
	}
	/* n bounds the text: trailing bytes beyond it are not looked at */
	struct hk_addr out;
	const char *s = "fd00:6b61:6e00:1::/64 junk";
	assert_int_equal(kan_prefix_parse(s, 21, &out), 0);
	assert_int_equal(kan_addr_iid(&out), 0);
	assert_int_equal(out.b[7], 1);
	/* ...and a longer n sees the junk */
	assert_int_equal(kan_prefix_parse(s, strlen(s), &out), -HK_EINVAL);
}

static void test_prefix_parse_refuses(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "/64",
	    "fd00:6b61:6e00:1::",    /* no /64 */
	    "fd00:6b61:6e00:1::/",   /* empty length */
	    "fd00:6b61:6e00:1::/48", /* other lengths */
	    "fd00:6b61:6e00:1::/128",
	    "fd00:6b61:6e00:1::/63",
	    "fd00:6b61:6e00:1::/65",
	    "fd00:6b61:6e00:1::/6",
	    "fd00:6b61:6e00:1::/640",
	    "fd00:6b61:6e00:1::/064",
	    "fd00:6b61:6e00:1::/ 64",
	    "fd00:6b61:6e00:1::/64 ",
	    "fd00:6b61:6e00:1::/64/64",
	    "fd00:6b61:6e00:1::/0x40",
	    "fd00:6b61:6e00:1::1/64", /* low 64 bits not zero */
	    "fd00:6b61:6e00:1:8000::/64",
	    "fd00:6b61:6e00:1::100:0/64",
	    "fd00:6b61:6e00:1:0:0:0:1/64",
	    "ff02::/64", /* multicast */
	    "ff00::/64",
	    "ff05:1:2:3::/64",
	    "::/64", /* unspecified */
	    "0:0:0:0:0:0:0:0/64",
	    "0::0/64",
	    "fd0g::/64", /* bad hex */
	    "fd00:6b61:6e00:x::/64",
	    "fd00:6b61:6e00:1:g::/64",
	    "fd000::/64", /* five digits */
	    "fd00:6b61:6e00:00001::/64",
	    "fd00:6b61:6e00:1:0:0:0:0:0/64", /* too many groups */
	    "fd00:6b61:6e00:1:0:0:0:0::/64",
	    "fd00:6b61:6e00:1:0:0:0/64", /* too few, no :: */
	    "fd00:6b61:6e00:1/64",
	    "fd00/64",
	    "fd00:6b61:6e00:1:::/64", /* ::: */
	    ":::/64",
	    "fd00:::1/64",
	    "fd00::1::/64", /* two :: */
	    "fd00::6b61::/64",
	    "fd00:6b61:6e00:1:/64", /* trailing : */
	    "fd00:6b61:6e00:1:0:0:0:/64",
	    "fd00:6b61:6e00:1:0:0:0:0:/64",
	    ":fd00:6b61:6e00:1::/64", /* leading single : */
	    ":fd00:6b61:6e00:1:0:0:0:0/64",
	    ":/64",
	    "fd00 ::/64", /* stray characters */
	    " fd00::/64",
	    "fd00::%eth0/64",
	    "fd00:6b61:6e00:1::0.0.0.0/64",
	    "fd00:-6b61::/64",
	    "+fd00::/64",
	    "fd00:6b61:6e00:1::/64\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hk_addr out;
		memset(&out, 0xee, sizeof(out));
		int rc = parse_exact(bad[i], strlen(bad[i]), &out);
		if (rc != -HK_EINVAL)
			fail_msg("accepted \"%s\" (rc %d)", bad[i], rc);
	}
	/* an embedded NUL is a bad character, not an end */
	static const char nul[] = "fd00\0::/64";
	struct hk_addr out;
	assert_int_equal(parse_exact(nul, sizeof(nul) - 1, &out), -HK_EINVAL);
	/* every truncation of a good prefix is refused (none ends in "/64") */
	const char *good = "fd00:6b61:6e00:1::/64";
	for (size_t n = 0; n < strlen(good); n++)
		assert_int_equal(parse_exact(good, n, &out), -HK_EINVAL);
	assert_int_equal(parse_exact(good, strlen(good), &out), 0);
}

/* ---- kan_addr_format ---------------------------------------------------- */

/* Independent RFC 5952 reference: longest run (>= 2) of zero groups, first on a tie. */
static void ref_format(const struct hk_addr *a, char *out)
{
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
	int bs = -1, bl = 0;
	for (int s = 0; s < 8; s++) {
		int l = 0;
		while (s + l < 8 && g[s + l] == 0)
			l++;
		if (l >= 2 && l > bl) {
			bs = s;
			bl = l;
		}
	}
	char *p = out;
	*p = '\0';
	for (int i = 0; i < 8; i++) {
		if (i == bs) {
			p += sprintf(p, "::");
			i += bl - 1;
			continue;
		}
		if (i > 0 && i != bs + bl)
			*p++ = ':';
		p += sprintf(p, "%x", g[i]);
	}
	*p = '\0';
}

static void expect_format(struct hk_addr a, const char *want)
{
	char buf[64];
	memset(buf, 'X', sizeof(buf));
	kan_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, want);
	/* and exactly 40 bytes suffice for anything */
	char *b40 = malloc(40);
	kan_addr_format(&a, b40, 40);
	assert_string_equal(b40, want);
	free(b40);
}

static void test_addr_format(void **state)
{
	(void)state;
	expect_format(G(0, 0, 0, 0, 0, 0, 0, 1), "::1");
	expect_format(G(0, 0, 0, 0, 0, 0, 0, 0), "::");
	expect_format(G(0xfd00, 0x6b61, 0x6e00, 1, 0, 0, 0x103, 0), "fd00:6b61:6e00:1::103:0");
	expect_format(G(0xfd00, 0x6b61, 0x6e00, 1, 0, 0, 0, 1), "fd00:6b61:6e00:1::1");
	expect_format(G(0xfd00, 0x6b61, 0x6e00, 1, 0, 0, 0, 0), "fd00:6b61:6e00:1::");
	expect_format(G(0xff02, 0, 0, 0, 0, 0, 0, 1), "ff02::1");
	expect_format(G(1, 0, 0, 0, 0, 0, 0, 0), "1::");
	expect_format(G(0, 0, 0, 0, 0, 0, 0, 0xffff), "::ffff");
	/* a single zero group is never compressed */
	expect_format(G(1, 0, 2, 3, 4, 5, 6, 7), "1:0:2:3:4:5:6:7");
	expect_format(G(0, 1, 2, 3, 4, 5, 6, 7), "0:1:2:3:4:5:6:7");
	expect_format(G(1, 2, 3, 4, 5, 6, 7, 0), "1:2:3:4:5:6:7:0");
	expect_format(G(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), "2001:db8:0:1:1:1:1:1");
	/* longest run wins; the first of equal runs wins */
	expect_format(G(0x2001, 0, 0, 1, 0, 0, 0, 1), "2001:0:0:1::1");
	expect_format(G(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), "2001:db8::1:0:0:1");
	expect_format(G(0, 0, 1, 0, 0, 1, 0, 0), "::1:0:0:1:0:0");
	expect_format(G(1, 0, 0, 2, 0, 0, 0, 0), "1:0:0:2::");
	/* lowercase, no leading zeros */
	expect_format(G(0xABCD, 0xEF01, 0x000a, 0x00bc, 0x0def, 0x1000, 0x0100, 0x0010),
	              "abcd:ef01:a:bc:def:1000:100:10");
	expect_format(G(0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff),
	              "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

	/* random addresses, zero-group heavy, against the reference */
	rng_state = 5952;
	for (int it = 0; it < 20000; it++) {
		struct hk_addr a;
		for (int i = 0; i < 8; i++) {
			uint16_t v = rndn(2) ? 0 : (uint16_t)(rnd() >> (rndn(4) * 4));
			a.b[2 * i] = (uint8_t)(v >> 8);
			a.b[2 * i + 1] = (uint8_t)v;
		}
		char want[64], got[64];
		ref_format(&a, want);
		kan_addr_format(&a, got, sizeof(got));
		assert_string_equal(got, want);
		/* prefixes survive format -> parse */
		{
			struct hk_addr p = kan_addr_make(&a, 0), back;
			if (!kan_addr_is_multicast(&p) && !kan_addr_is_unspecified(&p)) {
				kan_addr_format(&p, got, sizeof(got));
				strcat(got, "/64");
				assert_int_equal(kan_prefix_parse(got, strlen(got), &back), 0);
				assert_true(kan_addr_eq(&back, &p));
			}
		}
	}
}

static void test_addr_format_truncates(void **state)
{
	(void)state;
	struct hk_addr as[] = {G(0xfd00, 0x6b61, 0x6e00, 1, 0, 0, 0x103, 0),
	                       G(0, 0, 0, 0, 0, 0, 0, 1),
	                       G(0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff)};
	for (size_t k = 0; k < sizeof(as) / sizeof(as[0]); k++) {
		char full[64];
		kan_addr_format(&as[k], full, sizeof(full));
		size_t flen = strlen(full);
		for (size_t n = 1; n <= 48; n++) {
			char *buf = malloc(n); /* exact size: ASan catches a write past it */
			memset(buf, 'X', n);
			kan_addr_format(&as[k], buf, n);
			size_t want = flen < n - 1 ? flen : n - 1;
			assert_int_equal(strnlen(buf, n), want); /* terminated inside */
			assert_memory_equal(buf, full, want);
			free(buf);
		}
	}
	/* n == 0 writes nothing at all */
	char guard[4] = {'A', 'B', 'C', 'D'};
	kan_addr_format(&as[0], guard, 0);
	assert_memory_equal(guard, "ABCD", 4);
}

/* ---- kan_l4_checksum ---------------------------------------------------- */

static void test_l4_checksum(void **state)
{
	(void)state;
	/* ICMPv6 echo request, id 0x1234 seq 1, "hi!" (odd length):
	 * fd00:6b61:6e00:1::1 -> fd00:6b61:6e00:1::100:0. Value computed
	 * independently (Python, RFC 8200 section 8.1 pseudo-header). */
	struct hk_addr s1 = G(0xfd00, 0x6b61, 0x6e00, 1, 0, 0, 0, 1);
	struct hk_addr d1 = G(0xfd00, 0x6b61, 0x6e00, 1, 0, 0, 0x100, 0);
	uint8_t icmp[] = {0x80, 0, 0, 0, 0x12, 0x34, 0, 1, 'h', 'i', '!'};
	uint16_t c = kan_l4_checksum(&s1, &d1, 58, icmp, sizeof(icmp));
	assert_int_equal(c, 0x3653);
	assert_int_equal(c, ref_csum(&s1, &d1, 58, icmp, sizeof(icmp)));
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	assert_int_equal(kan_l4_checksum(&s1, &d1, 58, icmp, sizeof(icmp)), 0);
	/* the pseudo-header sum is symmetric in the addresses, but the
	 * protocol, the addresses' values and the length all count */
	assert_int_equal(kan_l4_checksum(&d1, &s1, 58, icmp, sizeof(icmp)), 0);
	assert_int_not_equal(kan_l4_checksum(&s1, &d1, 58, icmp, sizeof(icmp) - 1), 0);
	assert_int_not_equal(kan_l4_checksum(&s1, &d1, 17, icmp, sizeof(icmp)), 0);
	struct hk_addr d1x = d1;
	d1x.b[15] ^= 1;
	assert_int_not_equal(kan_l4_checksum(&s1, &d1x, 58, icmp, sizeof(icmp)), 0);

	/* UDP 0x1234 -> 53, length 12, "abcd": fd00:6b61:6e00:1::100:0 -> 2001:db8::1 */
	struct hk_addr d2 = G(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
	uint8_t udp[] = {0x12, 0x34, 0x00, 0x35, 0x00, 0x0c, 0, 0, 'a', 'b', 'c', 'd'};
	c = kan_l4_checksum(&d1, &d2, 17, udp, sizeof(udp));
	assert_int_equal(c, 0x2389);
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	assert_int_equal(kan_l4_checksum(&d1, &d2, 17, udp, sizeof(udp)), 0);

	/* random data, every length up to 600 and some page-sized ones */
	static uint8_t data[PAGE];
	rng_state = 1071;
	for (size_t len = 0; len <= 700; len++) {
		struct hk_addr s, d;
		for (int i = 0; i < 16; i++) {
			s.b[i] = (uint8_t)rnd();
			d.b[i] = (uint8_t)rnd();
		}
		uint8_t proto = rndn(2) ? 58 : 17;
		for (size_t i = 0; i < len; i++)
			data[i] = (uint8_t)rnd();
		uint8_t *exact = malloc(len ? len : 1); /* ASan: no read past len */
		memcpy(exact, data, len);
		assert_int_equal(kan_l4_checksum(&s, &d, proto, exact, len),
		                 ref_csum(&s, &d, proto, data, len));
		/* fill a checksum field (bytes 2..3 for ICMPv6, 6..7 for UDP) and verify */
		size_t at = proto == 58 ? 2 : 6;
		if (len >= at + 2) {
			exact[at] = exact[at + 1] = 0;
			uint16_t v = kan_l4_checksum(&s, &d, proto, exact, len);
			exact[at] = (uint8_t)(v >> 8);
			exact[at + 1] = (uint8_t)v;
			assert_int_equal(kan_l4_checksum(&s, &d, proto, exact, len), 0);
		}
		free(exact);
	}
	/* carry-heavy: all ones, the largest packet */
	struct hk_addr ones;
	memset(ones.b, 0xff, 16);
	memset(data, 0xff, sizeof(data));
	for (size_t len = PAGE - 41; len <= PAGE - 40; len++)
		assert_int_equal(kan_l4_checksum(&ones, &ones, 0xff, data, len),
		                 ref_csum(&ones, &ones, 0xff, data, len));
	/* beyond 16 bits of length (not a page's packet, but the contract has no limit) */
	{
		size_t big = 70001;
		uint8_t *b = malloc(big);
		for (size_t i = 0; i < big; i++)
			b[i] = (uint8_t)rnd();
		assert_int_equal(kan_l4_checksum(&ones, &s1, 17, b, big),
		                 ref_csum(&ones, &s1, 17, b, big));
		assert_int_equal(kan_l4_checksum(&ones, &s1, 17, b, 65536),
		                 ref_csum(&ones, &s1, 17, b, 65536));
		free(b);
	}
	memset(data, 0, sizeof(data));
	struct hk_addr zero = {{0}};
	/* all zero: the sum is the length + proto alone */
	assert_int_equal(kan_l4_checksum(&zero, &zero, 58, data, 8), (uint16_t) ~(8 + 58));
	assert_int_equal(kan_l4_checksum(&zero, &zero, 0, data, 0), 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_harness_detects_overread), cmocka_unit_test(test_net_parse),
	    cmocka_unit_test(test_hdr_valid),
	    cmocka_unit_test(test_hdr_bounds),
	    cmocka_unit_test(test_hdr_short),
	    cmocka_unit_test(test_hdr_version),
	    cmocka_unit_test(test_hdr_length),
	    cmocka_unit_test(test_hdr_hoplimit),
	    cmocka_unit_test(test_hdr_src_dst),
	    cmocka_unit_test(test_hdr_mutations),
	    cmocka_unit_test(test_addr_helpers),
	    cmocka_unit_test(test_prefix_parse_accepts),
	    cmocka_unit_test(test_prefix_parse_refuses),
	    cmocka_unit_test(test_addr_format),
	    cmocka_unit_test(test_addr_format_truncates),
	    cmocka_unit_test(test_l4_checksum),
	};
	return cmocka_run_group_tests_name("kan-ipv6", tests, NULL, NULL);
}
