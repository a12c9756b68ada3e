// SPDX-License-Identifier: BSD-2-Clause
#include <hekate/errno.h>

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
	}
	return "unknown error";
}
