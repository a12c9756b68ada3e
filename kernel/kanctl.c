// SPDX-License-Identifier: BSD-2-Clause
/*
 * The kernel's control service: UDP requests to the kernel's KAN address,
 * port 1, answered with one UDP packet each (docs/kan-control.md). The
 * bytes are decoded and encoded by kan/ctl.c and kan/udp.c (host-tested);
 * this file only runs the operations. Called by kernel/kan.c with no KAN
 * lock held (spawn and kill take proc_lock, which comes first).
 */
#include "kanctl.h"
#include "kan.h"
#include "proc.h"
#include <hekate/errno.h>
#include <kan/ctl.h>
#include <kan/udp.h>
#include <string.h>

/* The name of the live process pid, or "" (a racing exit). */
static const char *name_of(int32_t pid)
{
	for (unsigned i = 0; i < MAX_PROCS; i++)
		if (procs[i].pid == pid && procs[i].state != P_FREE)
			return procs[i].name;
	return "";
}

static size_t op_counters(const struct kan_ctl_req *rq, uint8_t *out, size_t cap)
{
	union kan_stat_out st;
	uint64_t vals[KAN_CTL_NNODE];
	int rc = kan_stat(rq->counters.kind, rq->counters.id, &st);
	if (rc)
		return kan_ctl_resp_error(out, cap, rq, (uint16_t)-rc);
	unsigned n = rq->counters.kind == HK_STAT_NODE ? kan_ctl_node_flatten(&st.node, vals)
	                                               : kan_ctl_counters_flatten(&st.c, vals);
	return kan_ctl_resp_counters(out, cap, rq, vals, n);
}

static size_t op_procs(const struct kan_ctl_req *rq, uint8_t *out, size_t cap)
{
	struct kan_ctl_procs b;
	struct hk_addr a;
	int32_t pid;
	if (kan_ctl_procs_begin(&b, out, cap, rq))
		return 0;
	uint32_t h = rq->procs.cursor;
	for (; h < HK_KAN_MAX_EPS; h++) {
		if (kan_ep_info(h, &pid, &a))
			continue;
		if (!kan_ctl_procs_add(&b, h, (uint32_t)pid, h, &a, name_of(pid)))
			return kan_ctl_procs_end(&b, 1, h);
	}
	return kan_ctl_procs_end(&b, 0, h);
}

static size_t op_spawn(const struct kan_ctl_req *rq, uint8_t *out, size_t cap)
{
	const struct manifest *m = proc_manifest();
	for (unsigned i = 0; i < m->nprocs; i++) {
		if (strcmp(m->procs[i].name, rq->spawn.name))
			continue;
		int pid, rc = proc_spawn(i, &pid);
		return rc ? kan_ctl_resp_error(out, cap, rq, (uint16_t)-rc)
		          : kan_ctl_resp_spawn(out, cap, rq, (uint32_t)pid);
	}
	return kan_ctl_resp_error(out, cap, rq, HK_ENOENT);
}

static size_t op_kill(const struct kan_ctl_req *rq, uint8_t *out, size_t cap)
{
	int rc = rq->kill.pid && rq->kill.pid <= INT32_MAX
	             ? proc_kill((int)rq->kill.pid, HK_CAUSE_KILLED)
	             : -HK_ESRCH;
	return rc ? kan_ctl_resp_error(out, cap, rq, (uint16_t)-rc) : kan_ctl_resp_kill(out, cap, rq);
}

static size_t op_capture(struct proc *p, const struct kan_ctl_req *rq, uint8_t *out, size_t cap)
{
	uint32_t copied, dropped;
	if (rq->capture.ep == KAN_CAP_STOP) {
		kan_capture_stop(p, &copied, &dropped);
		return kan_ctl_resp_capture(out, cap, rq, copied, dropped);
	}
	int rc = rq->capture.pid > INT32_MAX
	             ? -HK_ESRCH
	             : kan_capture_start(p, rq->capture.ep, (int32_t)rq->capture.pid, rq->capture.snaplen);
	return rc ? kan_ctl_resp_error(out, cap, rq, (uint16_t)-rc)
	          : kan_ctl_resp_capture(out, cap, rq, 0, 0);
}

static size_t op_pipe(const struct kan_ctl_req *rq, uint8_t *out, size_t cap)
{
	int rc = proc_pipe_set(rq->pipe.name, rq->pipe.stage, rq->pipe.n);
	return rc ? kan_ctl_resp_error(out, cap, rq, (uint16_t)-rc) : kan_ctl_resp_pipe(out, cap, rq);
}

/* The response payload for a decoded request from p, into out[0..cap). */
static size_t run(struct proc *p, const struct kan_ctl_req *rq, uint8_t *out, size_t cap)
{
	switch (rq->op) {
	case KAN_CTL_COUNTERS:
		return op_counters(rq, out, cap);
	case KAN_CTL_PROCS:
		return op_procs(rq, out, cap);
	case KAN_CTL_SPAWN:
	case KAN_CTL_KILL:
		if (!p->supervisor)
			return kan_ctl_resp_error(out, cap, rq, HK_EPERM);
		return rq->op == KAN_CTL_SPAWN ? op_spawn(rq, out, cap) : op_kill(rq, out, cap);
	case KAN_CTL_CAPTURE:
	case KAN_CTL_PIPE:
		if (!p->kan->mgmt) /* the management service's alone */
			return kan_ctl_resp_error(out, cap, rq, HK_EPERM);
		return rq->op == KAN_CTL_CAPTURE ? op_capture(p, rq, out, cap) : op_pipe(rq, out, cap);
	}
	return kan_ctl_resp_error(out, cap, rq, HK_ENOSYS);
}

long kanctl_answer(struct proc *p, const uint8_t *ip, size_t len, const struct hk_addr *kaddr,
                   uint8_t *out, size_t cap)
{
	struct kan_udp u;
	struct kan_ctl_req rq;
	if (kan_udp_parse(ip, len, &u))
		return KANCTL_DROP;
	if (u.dport != KAN_CTL_PORT)
		return KANCTL_NO_PORT;
	enum kan_ctl_err e = kan_ctl_req_decode(u.payload, u.len, &rq);
	int status = kan_ctl_err_status(e);
	if (status == KAN_CTL_DROP)
		return KANCTL_DROP;
	struct hk_addr to;
	memcpy(&to, ip + 8, sizeof(to)); /* the requester's source: the page is about to be rewritten */
	uint16_t sport = u.sport;
	uint8_t *pay = out + KAN_UDP_OFF;
	size_t room = cap - KAN_UDP_OFF, n;
	n = status ? kan_ctl_resp_error(pay, room, &rq, (uint16_t)status) : run(p, &rq, pay, room);
	if (!n)
		return KANCTL_DROP;
	size_t total = kan_udp_build(out, cap, kaddr, &to, KAN_CTL_PORT, sport, n);
	return total ? (long)total : KANCTL_DROP;
}
