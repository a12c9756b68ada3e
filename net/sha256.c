// SPDX-License-Identifier: BSD-2-Clause
/*
 * SHA-256 and HMAC-SHA256 (contracts in <net/sha256.h>), written from
 * FIPS 180-4 (section numbers below) and RFC 2104. Words are big-endian
 * on the wire and loaded byte by byte, so the code is the same on every
 * host and needs no alignment. The message schedule is kept whole (64
 * words on the stack) to follow the standard line for line.
 */
#include <net/sha256.h>
#include <string.h>

/* 4.2.2: the first 32 bits of the fractional parts of the cube roots of
 * the first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* 5.3.3: the first 32 bits of the fractional parts of the square roots of
 * the first 8 primes. */
static const uint32_t H0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* Rotate right by n, 0 < n < 32. */
static uint32_t ror(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

/* 4.1.2: the six logical functions. */
static uint32_t ch(uint32_t x, uint32_t y, uint32_t z) { return (x & y) ^ (~x & z); }
static uint32_t maj(uint32_t x, uint32_t y, uint32_t z) { return (x & y) ^ (x & z) ^ (y & z); }
static uint32_t big_s0(uint32_t x) { return ror(x, 2) ^ ror(x, 13) ^ ror(x, 22); }
static uint32_t big_s1(uint32_t x) { return ror(x, 6) ^ ror(x, 11) ^ ror(x, 25); }
static uint32_t small_s0(uint32_t x) { return ror(x, 7) ^ ror(x, 18) ^ (x >> 3); }
static uint32_t small_s1(uint32_t x) { return ror(x, 17) ^ ror(x, 19) ^ (x >> 10); }

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Overwrite n bytes at p with zeros in a way the compiler keeps even when
 * p is never read again (for key-derived state and message words). */
static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;
	while (n--)
		*v++ = 0;
}

/* 6.2.2: fold one 64-byte block into the chaining value h. */
static void compress(uint32_t h[8], const uint8_t block[NET_SHA256_BLOCK])
{
	uint32_t w[64];
	for (unsigned t = 0; t < 16; t++)
		w[t] = get_be32(block + 4 * t);
	for (unsigned t = 16; t < 64; t++)
		w[t] = small_s1(w[t - 2]) + w[t - 7] + small_s0(w[t - 15]) + w[t - 16];

	uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
	uint32_t e = h[4], f = h[5], g = h[6], k = h[7];
	for (unsigned t = 0; t < 64; t++) {
		uint32_t t1 = k + big_s1(e) + ch(e, f, g) + K[t] + w[t];
		uint32_t t2 = big_s0(a) + maj(a, b, c);
		k = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += k;
	wipe(w, sizeof w);
}

void net_sha256_init(struct net_sha256 *s)
{
	memcpy(s->h, H0, sizeof s->h);
	s->bytes = 0;
	s->nbuf = 0;
}

/*
 * Top up the partial block first; whole blocks then go straight from data;
 * the rest waits in buf. Keeps nbuf < 64 on return.
 */
void net_sha256_update(struct net_sha256 *s, const void *data, size_t n)
{
	const uint8_t *p = data;
	if (n == 0)
		return; /* data may be NULL */
	s->bytes += n;
	if (s->nbuf) {
		size_t take = NET_SHA256_BLOCK - s->nbuf;
		if (take > n)
			take = n;
		memcpy(s->buf + s->nbuf, p, take);
		s->nbuf += (unsigned)take;
		p += take;
		n -= take;
		if (s->nbuf < NET_SHA256_BLOCK)
			return;
		compress(s->h, s->buf);
		s->nbuf = 0;
	}
	for (; n >= NET_SHA256_BLOCK; p += NET_SHA256_BLOCK, n -= NET_SHA256_BLOCK)
		compress(s->h, p);
	memcpy(s->buf, p, n);
	s->nbuf = (unsigned)n;
}

/*
 * 5.1.1: append the bit 1, zeros up to 56 bytes into a block, then the
 * message length in bits as a big-endian 64-bit number.
 */
void net_sha256_final(struct net_sha256 *s, uint8_t out[NET_SHA256_LEN])
{
	uint64_t bits = s->bytes << 3;
	s->buf[s->nbuf++] = 0x80;
	if (s->nbuf > NET_SHA256_BLOCK - 8) {
		memset(s->buf + s->nbuf, 0, NET_SHA256_BLOCK - s->nbuf);
		compress(s->h, s->buf);
		s->nbuf = 0;
	}
	memset(s->buf + s->nbuf, 0, NET_SHA256_BLOCK - 8 - s->nbuf);
	put_be32(s->buf + 56, (uint32_t)(bits >> 32));
	put_be32(s->buf + 60, (uint32_t)bits);
	compress(s->h, s->buf);
	for (unsigned i = 0; i < 8; i++)
		put_be32(out + 4 * i, s->h[i]);
	wipe(s, sizeof *s);
}

void net_sha256(const void *data, size_t n, uint8_t out[NET_SHA256_LEN])
{
	struct net_sha256 s;
	net_sha256_init(&s);
	net_sha256_update(&s, data, n);
	net_sha256_final(&s, out);
}

/* Start *s as a hash of the key block with every byte XORed with pad. */
static void hmac_pad(struct net_sha256 *s, const uint8_t key[NET_SHA256_BLOCK], uint8_t pad)
{
	uint8_t b[NET_SHA256_BLOCK];
	for (unsigned i = 0; i < NET_SHA256_BLOCK; i++)
		b[i] = key[i] ^ pad;
	net_sha256_init(s);
	net_sha256_update(s, b, sizeof b);
	wipe(b, sizeof b);
}

/* RFC 2104, section 2: the key block is the key (or its digest when longer
 * than a block) padded with zeros; ipad is 0x36 and opad 0x5c repeated. */
void net_hmac256_init(struct net_hmac256 *m, const void *key, size_t keylen)
{
	uint8_t k[NET_SHA256_BLOCK] = {0};
	if (keylen > NET_SHA256_BLOCK)
		net_sha256(key, keylen, k);
	else if (keylen)
		memcpy(k, key, keylen);
	hmac_pad(&m->inner, k, 0x36);
	hmac_pad(&m->outer, k, 0x5c);
	wipe(k, sizeof k);
}

void net_hmac256_update(struct net_hmac256 *m, const void *data, size_t n)
{
	net_sha256_update(&m->inner, data, n);
}

/* H(K ^ opad, H(K ^ ipad, text)); the finals wipe both states. */
void net_hmac256_final(struct net_hmac256 *m, uint8_t out[NET_SHA256_LEN])
{
	uint8_t inner[NET_SHA256_LEN];
	net_sha256_final(&m->inner, inner);
	net_sha256_update(&m->outer, inner, sizeof inner);
	net_sha256_final(&m->outer, out);
	wipe(inner, sizeof inner);
}

void net_hmac256(const void *key, size_t keylen, const void *data, size_t n,
                 uint8_t out[NET_SHA256_LEN])
{
	struct net_hmac256 m;
	net_hmac256_init(&m, key, keylen);
	net_hmac256_update(&m, data, n);
	net_hmac256_final(&m, out);
}

/* OR of all byte differences; volatile reads keep the compiler from
 * turning the loop into an early-exit compare. */
int net_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	unsigned diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned)(x[i] ^ y[i]);
	return diff == 0;
}
