/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef HEKATE_ERRNO_H
#define HEKATE_ERRNO_H

/*
 * One error enum for the whole kernel (lwIP err_t style): zero is success,
 * a failure is the negated code. Functions that can fail return int.
 */
enum hk_err {
	HK_OK = 0,
	HK_EINVAL = 1,   /* argument malformed or out of range */
	HK_ENOMEM = 2,   /* no free page / no room */
	HK_EDOUBLE = 3,  /* page freed twice */
	HK_ERANGE = 4,   /* address outside the managed span */
	HK_EBADDTB = 5,  /* device tree missing, corrupt or incomplete */
	HK_ETOOMANY = 6, /* more items than a fixed table holds */
};

const char *hk_strerror(int err);

#endif
