/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_ERRNO_H
#define HEKATE_ERRNO_H

/*
 * One error enum for the whole kernel (lwIP err_t style): zero is success,
 * a failure is the negated code. Functions that can fail return int.
 */
enum hk_err {
	HK_OK = 0,
	HK_EINVAL = 1,     /* argument malformed or out of range */
	HK_ENOMEM = 2,     /* no free page / no room */
	HK_EDOUBLE = 3,    /* page freed twice */
	HK_ERANGE = 4,     /* address outside the managed span */
	HK_EBADDTB = 5,    /* device tree missing, corrupt or incomplete */
	HK_ETOOMANY = 6,   /* more items than a fixed table holds */
	HK_ENOENT = 7,     /* no such file, process or entry */
	HK_EFAULT = 8,     /* user pointer not mapped with the needed access */
	HK_ENOSYS = 9,     /* unknown system call number */
	HK_EPERM = 10,     /* operation reserved for a supervisor process */
	HK_EBUSY = 11,     /* resource held by someone else (a claimed core) */
	HK_EAGAIN = 12,    /* try again: value changed, nothing ready */
	HK_ETIMEDOUT = 13, /* a bounded wait ran out */
	HK_ESRCH = 14,     /* no such process or thread */
	HK_EEXIST = 15,    /* already exists (duplicate name) */
	HK_ENOEXEC = 16,   /* malformed executable */
	HK_E2BIG = 17,     /* length or count above the documented limit */
	HK_EBADMAN = 18,   /* malformed boot manifest or image */
	HK_ECHILD = 19,    /* nothing to wait for */
	HK_ENOBUFS = 20,   /* packet quota, window or pool exhausted */
	HK_EBADPKT = 21,   /* malformed IPv6 header or descriptor */
	HK_ESPOOF = 22,    /* packet source is not one of the sender's addresses */
};

const char *hk_strerror(int err);

/* Name of an enum hk_fault (<hekate/syscalls.h>), as post-mortems print it. */
const char *hk_fault_name(unsigned kind);

#endif
