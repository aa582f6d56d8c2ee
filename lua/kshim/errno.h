/* SPDX-License-Identifier: MIT */
/* Kernel shim for the Lua core: file errors never happen (there are no files). */
#ifndef LUNATIK_KSHIM_ERRNO_H
#define LUNATIK_KSHIM_ERRNO_H
static int lunatik_errno __attribute__((unused));
#define errno	lunatik_errno
#endif
