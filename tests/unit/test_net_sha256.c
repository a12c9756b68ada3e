// SPDX-License-Identifier: BSD-2-Clause
/*
 * SHA-256 and HMAC-SHA256 (net/sha256.c) on the host: the FIPS 180-2
 * example messages (with one million 'a'); every RFC 4231 HMAC-SHA256
 * case; every split of a message into updates giving the one-call digest;
 * lengths 0..130 around the padding and block boundaries, a set of them
 * against digests taken once from the host's sha256sum; long keys hashed
 * first; the constant-time compare.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include <net/sha256.h>

/* ---- helpers ------------------------------------------------------------- */

static unsigned hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	assert_true(c >= 'a' && c <= 'f');
	return (unsigned)(c - 'a' + 10);
}

/* Decode the lower-case hex string s into out; returns the byte count. */
static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = strlen(s);
	assert_int_equal(n % 2, 0);
	for (size_t i = 0; i < n / 2; i++)
		out[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
	return n / 2;
}

/* Assert that the first n bytes of d equal the hex string want. */
static void check_hex(const uint8_t *d, size_t n, const char *want)
{
	uint8_t w[NET_SHA256_LEN];
	assert_int_equal(unhex(want, w), n);
	assert_memory_equal(d, w, n);
}

/* The test pattern: byte i is i * 7 + 1 (mod 256). */
static void pattern(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + 1);
}

/* The digest of msg fed in chunks of chunk bytes (the last may be short). */
static void sha_chunked(const uint8_t *msg, size_t n, size_t chunk, uint8_t out[NET_SHA256_LEN])
{
	struct net_sha256 s;
	net_sha256_init(&s);
	for (size_t off = 0; off < n; off += chunk)
		net_sha256_update(&s, msg + off, n - off < chunk ? n - off : chunk);
	net_sha256_final(&s, out);
}

/* The digest of msg fed as msg[0, k) then msg[k, n). */
static void sha_split(const uint8_t *msg, size_t n, size_t k, uint8_t out[NET_SHA256_LEN])
{
	struct net_sha256 s;
	net_sha256_init(&s);
	net_sha256_update(&s, msg, k);
	net_sha256_update(&s, msg + k, n - k);
	net_sha256_final(&s, out);
}

/* ---- FIPS 180-2 example messages ----------------------------------------- */

static void check_sha(const char *msg, const char *want)
{
	uint8_t d[NET_SHA256_LEN];
	net_sha256(msg, strlen(msg), d);
	check_hex(d, sizeof d, want);
}

static void test_fips_vectors(void **state)
{
	(void)state;
	check_sha("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_sha("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

	/* the empty message from a NULL pointer */
	uint8_t d[NET_SHA256_LEN];
	net_sha256(NULL, 0, d);
	check_hex(d, sizeof d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_million_a(void **state)
{
	(void)state;
	static const char *want =
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	static uint8_t a[1000000];
	memset(a, 'a', sizeof a);
	uint8_t d[NET_SHA256_LEN];
	net_sha256(a, sizeof a, d);
	check_hex(d, sizeof d, want);
	/* and in odd-sized pieces, so partial blocks carry across updates */
	sha_chunked(a, sizeof a, 997, d);
	check_hex(d, sizeof d, want);
}

/* ---- RFC 4231 ------------------------------------------------------------ */

struct hmac_case {
	const char *key;  /* hex */
	const char *data; /* hex, or NULL when text is set */
	const char *text; /* the data as a string */
	const char *mac;  /* hex; 16 bytes for the truncated case 5 */
};

static const struct hmac_case rfc4231[] = {
    /* 1 */
    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", NULL, "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    /* 2: a key shorter than the output */
    {"4a656665", NULL, "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    /* 3 */
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "dddddddddddddd",
     NULL, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    /* 4 */
    {"0102030405060708090a0b0c0d0e0f10111213141516171819",
     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
     "cdcdcdcdcdcdcd",
     NULL, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    /* 5: truncated to 128 bits */
    {"0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", NULL, "Test With Truncation",
     "a3b6167473100ee06e0c796c2955552b"},
    /* 6: a 131-byte key, hashed first */
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     NULL, "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    /* 7: a 131-byte key and data longer than a block */
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     NULL,
     "This is a test using a larger than block-size key and a larger than block-size data. "
     "The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

/* A case's key and data, decoded. */
struct hmac_input {
	uint8_t key[256], data[256];
	size_t keylen, n;
};

static void hmac_input(const struct hmac_case *c, struct hmac_input *in)
{
	in->keylen = unhex(c->key, in->key);
	if (c->data) {
		in->n = unhex(c->data, in->data);
	} else {
		in->n = strlen(c->text);
		memcpy(in->data, c->text, in->n);
	}
}

static void test_rfc4231(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rfc4231 / sizeof rfc4231[0]; i++) {
		const struct hmac_case *c = &rfc4231[i];
		struct hmac_input in;
		hmac_input(c, &in);
		uint8_t mac[NET_SHA256_LEN];
		net_hmac256(in.key, in.keylen, in.data, in.n, mac);
		/* the whole tag, or its first 16 bytes for case 5 */
		check_hex(mac, strlen(c->mac) / 2, c->mac);
	}
	/* the table itself: case 5 truncated to 128 bits, 131-byte keys in 6 and 7 */
	struct hmac_input in;
	assert_int_equal(strlen(rfc4231[4].mac), 32);
	hmac_input(&rfc4231[5], &in);
	assert_int_equal(in.keylen, 131);
	hmac_input(&rfc4231[6], &in);
	assert_int_equal(in.keylen, 131);
}

/* Every RFC 4231 case, its data fed in two updates at every split point. */
static void test_hmac_splits(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rfc4231 / sizeof rfc4231[0]; i++) {
		struct hmac_input in;
		hmac_input(&rfc4231[i], &in);
		uint8_t whole[NET_SHA256_LEN], mac[NET_SHA256_LEN];
		net_hmac256(in.key, in.keylen, in.data, in.n, whole);
		for (size_t k = 0; k <= in.n; k++) {
			struct net_hmac256 m;
			net_hmac256_init(&m, in.key, in.keylen);
			net_hmac256_update(&m, in.data, k);
			net_hmac256_update(&m, in.data + k, in.n - k);
			net_hmac256_final(&m, mac);
			assert_memory_equal(mac, whole, sizeof mac);
		}
	}
}

/* RFC 2104: a key longer than a block acts as its digest; an empty key as
 * 64 zero bytes; a 64-byte key is used as it is. */
static void test_hmac_keys(void **state)
{
	(void)state;
	uint8_t key[NET_SHA256_BLOCK + 1], kd[NET_SHA256_LEN], zero[NET_SHA256_BLOCK] = {0};
	uint8_t a[NET_SHA256_LEN], b[NET_SHA256_LEN];
	pattern(key, sizeof key);

	net_sha256(key, sizeof key, kd);
	net_hmac256(key, sizeof key, "msg", 3, a);
	net_hmac256(kd, sizeof kd, "msg", 3, b);
	assert_memory_equal(a, b, sizeof a);

	net_hmac256(NULL, 0, NULL, 0, a);
	net_hmac256(zero, sizeof zero, "", 0, b);
	assert_memory_equal(a, b, sizeof a);

	/* 64 bytes are not hashed: differs from the HMAC under its digest */
	net_sha256(key, NET_SHA256_BLOCK, kd);
	net_hmac256(key, NET_SHA256_BLOCK, "msg", 3, a);
	net_hmac256(kd, sizeof kd, "msg", 3, b);
	assert_false(net_ct_equal(a, b, sizeof a));
}

/* ---- splits and block boundaries ----------------------------------------- */

/* A 200-byte message: every two-way split, byte by byte, every chunk size. */
static void test_splits(void **state)
{
	(void)state;
	uint8_t msg[200], whole[NET_SHA256_LEN], d[NET_SHA256_LEN];
	pattern(msg, sizeof msg);
	net_sha256(msg, sizeof msg, whole);
	for (size_t k = 0; k <= sizeof msg; k++) {
		sha_split(msg, sizeof msg, k, d);
		assert_memory_equal(d, whole, sizeof d);
	}
	for (size_t chunk = 1; chunk <= sizeof msg; chunk++) {
		sha_chunked(msg, sizeof msg, chunk, d);
		assert_memory_equal(d, whole, sizeof d);
	}

	/* and with empty updates (NULL and not) sprinkled in */
	struct net_sha256 s;
	net_sha256_init(&s);
	for (size_t i = 0; i < sizeof msg; i++) {
		net_sha256_update(&s, NULL, 0);
		net_sha256_update(&s, msg + i, 1);
		net_sha256_update(&s, msg, 0);
	}
	net_sha256_final(&s, d);
	assert_memory_equal(d, whole, sizeof d);

	/* a wiped state starts over cleanly after init */
	net_sha256_init(&s);
	net_sha256_update(&s, msg, sizeof msg);
	net_sha256_final(&s, d);
	assert_memory_equal(d, whole, sizeof d);
}

/* Digests of the pattern, from the host's sha256sum when the test was written. */
static const struct {
	size_t n;
	const char *digest;
} sha256sum_pattern[] = {
    {0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {1, "4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a"},
    {55, "16fa57a0a3423a715d594516339f36189d6b5f93754a9714fef202616a9fabfe"},
    {56, "c37b44e5f1b18554b36966f4f8e08bfbf3164c4b6c10374d12d89850892073c5"},
    {63, "bbba992d2c85af960fb2987a1fd05e0aa82a3db3c740dd8982a9e273b75e36a3"},
    {64, "66bd4633ed6f71c4ecfa4763bf7ba1c8ec7612de9aa6c0578a7b675207c71e0b"},
    {65, "9f7dc47107b750a1f3d35db5d9547f24ef40da5b731b9540d4f43710a154f6c9"},
    {119, "a3ed307b730fa77c07531300c6e4a282330011d4d4caf6bb7b63ae05950f4b66"},
    {120, "8e3b15d9fea7472655aa069620b7f8c2e55ee1499f763200a7515fe826e99d20"},
    {127, "44480fb9672845177f5368a08b69ea263275f2a5ec42e06a933370fe0d2968a4"},
    {128, "e462c130fef8c97e34f7dc3ff3ad2f8b3533ab849af21c10531552a2852387a4"},
    {129, "aa7ea4e8bf89146aeb67ff195fd8182a0e504c9d580aa7af8d2c862e14b98405"},
    {130, "a234574a31eaa90ec795dcd0a21f34674b8ae54f47912ae62cb0571c1cb6b9ab"},
};

static void test_sha256sum_lengths(void **state)
{
	(void)state;
	uint8_t msg[130], d[NET_SHA256_LEN];
	pattern(msg, sizeof msg);
	for (size_t i = 0; i < sizeof sha256sum_pattern / sizeof sha256sum_pattern[0]; i++) {
		net_sha256(msg, sha256sum_pattern[i].n, d);
		check_hex(d, sizeof d, sha256sum_pattern[i].digest);
	}
}

/*
 * Every length 0..130: byte-by-byte and every two-way split agree with one
 * call, and no two lengths collide (a padding slip tends to make
 * neighbouring lengths agree).
 */
static void test_lengths_consistent(void **state)
{
	(void)state;
	uint8_t msg[130], d[NET_SHA256_LEN];
	static uint8_t whole[131][NET_SHA256_LEN];
	pattern(msg, sizeof msg);
	for (size_t n = 0; n <= sizeof msg; n++) {
		net_sha256(msg, n, whole[n]);
		sha_chunked(msg, n, 1, d);
		assert_memory_equal(d, whole[n], sizeof d);
		for (size_t k = 0; k <= n; k++) {
			sha_split(msg, n, k, d);
			assert_memory_equal(d, whole[n], sizeof d);
		}
		for (size_t m = 0; m < n; m++)
			assert_memory_not_equal(whole[m], whole[n], sizeof d);
	}
}

/* ---- constant-time compare ----------------------------------------------- */

static void test_ct_equal(void **state)
{
	(void)state;
	uint8_t a[NET_SHA256_LEN], b[NET_SHA256_LEN];
	pattern(a, sizeof a);
	memcpy(b, a, sizeof b);
	assert_int_equal(net_ct_equal(a, b, sizeof a), 1);
	assert_int_equal(net_ct_equal(a, a, sizeof a), 1);
	assert_int_equal(net_ct_equal(a, b, 0), 1);
	assert_int_equal(net_ct_equal(NULL, NULL, 0), 1);

	/* first, middle and last byte, each in every bit */
	const size_t at[] = {0, sizeof a / 2, sizeof a - 1};
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			b[at[i]] ^= (uint8_t)(1u << bit);
			assert_int_equal(net_ct_equal(a, b, sizeof a), 0);
			assert_int_equal(net_ct_equal(b, a, sizeof a), 0);
			/* a difference past n does not count */
			assert_int_equal(net_ct_equal(a, b, at[i]), 1);
			b[at[i]] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(net_ct_equal(a, b, sizeof a), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fips_vectors),
	    cmocka_unit_test(test_million_a),
	    cmocka_unit_test(test_rfc4231),
	    cmocka_unit_test(test_hmac_splits),
	    cmocka_unit_test(test_hmac_keys),
	    cmocka_unit_test(test_splits),
	    cmocka_unit_test(test_sha256sum_lengths),
	    cmocka_unit_test(test_lengths_consistent),
	    cmocka_unit_test(test_ct_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
