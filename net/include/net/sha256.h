/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef NET_SHA256_H
#define NET_SHA256_H

/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), just enough to
 * authenticate management writes (docs/mgmt-protocol.md): a node checks a
 * tag over each write request with a shared key. This is not a general
 * crypto library: one hash, one MAC, a constant-time compare, nothing
 * else; plain portable C chosen for being easy to check, not for speed,
 * and no defence against side channels beyond that compare and the
 * absence of secret-dependent branches or table lookups.
 *
 * Pure code over caller memory: no allocation, no system calls, only
 * <stdint.h>, <stddef.h> and <string.h>; host-tested against the FIPS
 * and RFC 4231 vectors and sha256sum (tests/unit/test_net_sha256.c).
 *
 * Streaming use: init, any number of updates (any split of the message
 * gives the same digest), then final. final consumes the state and wipes
 * it; init again before reusing it. Messages are limited to 2^61 - 1
 * bytes (the length field counts bits in 64 bits). A pointer may be NULL
 * wherever its length is 0. No concurrency: one thread per state.
 */
#include <stddef.h>
#include <stdint.h>

#define NET_SHA256_LEN   32 /* digest bytes */
#define NET_SHA256_BLOCK 64 /* block bytes, also HMAC's key block */

/* A hash in progress; fields private to net/sha256.c. */
struct net_sha256 {
	uint32_t h[8];   /* the chaining value */
	uint64_t bytes;  /* message bytes so far */
	uint8_t buf[64]; /* a partial block */
	unsigned nbuf;   /* bytes in buf, always < 64 between calls */
};

/* Start a new hash in *s. */
void net_sha256_init(struct net_sha256 *s);

/* Append n bytes at data to the message. */
void net_sha256_update(struct net_sha256 *s, const void *data, size_t n);

/* Write the digest of the whole message to out and wipe *s. */
void net_sha256_final(struct net_sha256 *s, uint8_t out[NET_SHA256_LEN]);

/* The digest of n bytes at data, in one call. */
void net_sha256(const void *data, size_t n, uint8_t out[NET_SHA256_LEN]);

/* A MAC in progress: the hash states after the inner and outer key pads. */
struct net_hmac256 {
	struct net_sha256 inner, outer;
};

/*
 * Start a MAC under key (any length; keys longer than NET_SHA256_BLOCK
 * bytes are hashed first, as RFC 2104 says). *m then holds key-derived
 * state: final wipes it; a MAC abandoned early should be wiped by the
 * caller.
 */
void net_hmac256_init(struct net_hmac256 *m, const void *key, size_t keylen);

/* Append n bytes at data to the authenticated message. */
void net_hmac256_update(struct net_hmac256 *m, const void *data, size_t n);

/* Write the full 32-byte tag to out and wipe *m (truncate by copying less). */
void net_hmac256_final(struct net_hmac256 *m, uint8_t out[NET_SHA256_LEN]);

/* The tag of n bytes at data under key, in one call. */
void net_hmac256(const void *key, size_t keylen, const void *data, size_t n,
                 uint8_t out[NET_SHA256_LEN]);

/*
 * Constant-time comparison of n bytes: 1 if equal, 0 if not (no early
 * exit: the time depends on n only). For checking tags; memcmp leaks the
 * position of the first difference.
 */
int net_ct_equal(const void *a, const void *b, size_t n);

#endif
