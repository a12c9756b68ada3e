/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_MANIFEST_H
#define HEKATE_MANIFEST_H

/*
 * The boot manifest (file "manifest" in the boot cpio; format in
 * docs/boot-image.md): which processes the node runs, from which binary,
 * with which arguments, on which cores, with which restart policy and device
 * grants. Parsing (kernel/manifest.c) is host-testable and never trusts the
 * text: every error is -HK_EBADMAN with "manifest line N: ..." in err.
 *
 * Text format, one directive per line, '#' starts a comment:
 *   proc NAME key=value ... [supervisor]
 *   set KEY=VALUE
 * proc keys:
 *   bin=PATH            binary inside the cpio (required)
 *   args="a b c"        arguments after argv[0]=NAME (double quotes optional
 *                       for a single word; no escapes)
 *   cores=LIST          cores it may run on: "any", "2", "1-3", "0,2-3"
 *   claim=N             claims core N exclusively (implies cores=N)
 *   restart=never|on-failure|always   (default never)
 *   max-restarts=N      bound on restarts (default 3 when restart != never)
 *   device=NAME         grant a device (repeatable), e.g. virtio-net.0
 *   expect=N            the exit status the supervisor expects (tests)
 *   supervisor          a bare word: this process may use privileged calls
 *   kan-quota=N         packet pages it may hold plus have in flight
 *                       (1..1024, default 256)
 *   kan-endpoints=N     KAN endpoints it may bind (1..8192, default 16)
 *   uplink              a bare word: its primary endpoint receives every
 *                       packet for an address outside the KAN prefix, and
 *                       it may send from such addresses (at most one)
 *   forward             a bare word: it may send packets whose source is
 *                       outside the KAN prefix (it forwards the wire's
 *                       traffic); every pipeline stage but the last has it
 *   mgmt                a bare word: the management service; it may bind
 *                       the well-known address <prefix>::2 (at most one;
 *                       docs/mgmt-protocol.md)
 *   pipeline NAME stages=A,B,...  (its own directive, after the procs it
 *                       names) wire traffic for the last stage's address
 *                       passes A, B, ... in order (docs/pipelines.md);
 *                       2..8 stages, each process in one pipeline at most,
 *                       neither the supervisor nor the uplink
 * set keys:
 *   halt=when-done      the supervisor halts the node when every other
 *                       process has finished (default: keep running)
 *   kan-prefix=P/64     the node's KAN prefix (default fd00:6b61:6e00:1::/64)
 *   kan-pages=N         packet pool pages (64..262144, default 4096)
 */
#include <hekate/kan.h>
#include <stddef.h>
#include <stdint.h>

#define MAN_MAX_PROCS 32
#define MAN_MAX_DEVS  4
#define MAN_NAME_MAX  24 /* bytes including NUL */
#define MAN_BIN_MAX   64
#define MAN_ARGS_MAX  192 /* NUL-separated argument bytes */
#define MAN_DEV_MAX   32
#define MAN_MAX_ARGC  16
#define MAN_MAX_CORES 64
#define MAN_MAX_PIPES 8
#define MAN_PIPE_MAX_STAGES 8
#define MAN_KAN_PAGES_MIN 64u
#define MAN_KAN_PAGES_MAX 262144u

enum man_restart { MAN_RESTART_NEVER, MAN_RESTART_ON_FAILURE, MAN_RESTART_ALWAYS };

struct man_proc {
	char name[MAN_NAME_MAX];
	char bin[MAN_BIN_MAX];
	char args[MAN_ARGS_MAX]; /* argc strings, each NUL-terminated, back to back */
	unsigned argc;           /* not counting argv[0] (the name) */
	unsigned args_len;       /* bytes used in args */
	uint64_t cores;          /* bit i = may run on core i; 0 = any (resolved at check) */
	int claim;               /* claimed core, -1 if none */
	enum man_restart restart;
	unsigned max_restarts;
	int supervisor;
	char devs[MAN_MAX_DEVS][MAN_DEV_MAX];
	unsigned ndevs;
	int has_expect;
	int expect;
	unsigned kan_quota; /* resolved: never 0 after parsing */
	unsigned kan_eps;
	int uplink;
	int forward;    /* may send from off-prefix sources (the key, or a stage but the last) */
	int forward_key; /* the manifest gave the key forward */
	int mgmt;       /* the management service: may bind <prefix>::2 (HK_KAN_BIND_MGMT) */
	int pipe;       /* pipeline it is a stage of, or -1 */
	int pipe_next;  /* the next stage's entry, or -1 (last stage, or none) */
	int pipe_first; /* its pipeline's first stage's entry, or -1 */
	unsigned line;  /* line number, for later error messages */
};

struct man_pipe {
	char name[MAN_NAME_MAX];
	unsigned nstages;
	uint8_t stage[MAN_PIPE_MAX_STAGES]; /* entry indices, in traffic order */
	unsigned line;
};

struct manifest {
	unsigned nprocs;
	struct man_proc procs[MAN_MAX_PROCS];
	int halt_when_done;
	int has_kan_prefix;
	struct hk_addr kan_prefix;
	uint32_t kan_pages; /* 0 = HK_KAN_PAGES_DEF */
	unsigned npipes;
	struct man_pipe pipes[MAN_MAX_PIPES];
};

/*
 * Parse text[0..len) (need not be NUL-terminated). Checks syntax, keys,
 * values and ranges, duplicate process names, a core claimed twice, a claim
 * that another process also lists in cores=, and that exactly one process is
 * a supervisor. 0 or -HK_EBADMAN / -HK_ETOOMANY with a reason in err.
 */
int manifest_parse(const char *text, size_t len, struct manifest *m, char *err, size_t errlen);

/*
 * Make pipeline `name` pass entries st[0..n) in that order (the management
 * service's PIPE_SET): the old stages leave it, the new ones get pipe,
 * pipe_next, pipe_first and forward as the parser would have set them.
 * 0 with a bit per changed entry in *changed; -HK_ENOENT (no such
 * pipeline), -HK_EINVAL (n not 2..8, an entry out of range or twice),
 * -HK_EPERM (the supervisor, the uplink or the mgmt entry), -HK_EBUSY (a
 * stage of another pipeline). On an error nothing changed.
 */
int manifest_pipe_set(struct manifest *m, const char *name, const uint8_t *st, unsigned n,
                      uint64_t *changed);

/*
 * Check the parsed manifest against the machine: every core number below
 * ncpus (any "cores=any" is resolved to all unclaimed cores, which must not
 * be empty), every bin present in the cpio archive, every device name in
 * devnames[ndevs]. 0 or -HK_EBADMAN with "process NAME: ..." in err.
 */
int manifest_check(struct manifest *m, unsigned ncpus, const void *cpio, size_t cpio_len,
                   const char *const *devnames, unsigned ndevs, char *err, size_t errlen);

/* Index of the process named name, or -1. */
int manifest_find(const struct manifest *m, const char *name);

#endif
