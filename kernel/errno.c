// SPDX-License-Identifier: BSD-2-Clause
#include <hekate/errno.h>
#include <hekate/syscalls.h>

const char *hk_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case HK_OK: return "ok";
	case HK_EINVAL: return "invalid argument";
	case HK_ENOMEM: return "out of memory";
	case HK_EDOUBLE: return "double free";
	case HK_ERANGE: return "out of range";
	case HK_EBADDTB: return "bad device tree";
	case HK_ETOOMANY: return "too many entries";
	case HK_ENOENT: return "no such entry";
	case HK_EFAULT: return "bad address";
	case HK_ENOSYS: return "no such system call";
	case HK_EPERM: return "not permitted";
	case HK_EBUSY: return "busy";
	case HK_EAGAIN: return "try again";
	case HK_ETIMEDOUT: return "timed out";
	case HK_ESRCH: return "no such process";
	case HK_EEXIST: return "already exists";
	case HK_ENOEXEC: return "bad executable";
	case HK_E2BIG: return "too big";
	case HK_EBADMAN: return "bad manifest";
	case HK_ECHILD: return "no child to wait for";
	case HK_ENOBUFS: return "no packet buffers (quota, window or pool)";
	case HK_EBADPKT: return "malformed packet";
	case HK_ESPOOF: return "source address not the sender's";
	}
	return "unknown error";
}

static const char *const fault_names[HK_FAULT_COUNT] = {
    [HK_FAULT_NONE] = "none",
    [HK_FAULT_NULL] = "null pointer dereference",
    [HK_FAULT_UNMAPPED] = "access to unmapped memory",
    [HK_FAULT_WRITE_RO] = "write to read-only memory",
    [HK_FAULT_EXEC_NX] = "execute from non-executable memory",
    [HK_FAULT_KERNEL] = "access to kernel memory",
    [HK_FAULT_UNDEF] = "undefined instruction",
    [HK_FAULT_ALIGN] = "alignment fault",
    [HK_FAULT_STACK] = "stack overflow",
    [HK_FAULT_OTHER] = "other fault",
};

const char *hk_fault_name(unsigned kind)
{
	return kind < HK_FAULT_COUNT ? fault_names[kind] : "unknown fault";
}
