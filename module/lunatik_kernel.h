/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What lunatik_kernel.c gives the Rust engine (module/platform.rs,
 * module/states.rs, module/pnfs.rs declare the same functions in Rust), and
 * what the Rust side gives back to it.
 */
#ifndef LUNATIK_KERNEL_H
#define LUNATIK_KERNEL_H

#include <linux/mutex.h>
#include <linux/socket.h>
#include <linux/types.h>

extern unsigned long lunatik_max_memory;
extern unsigned long lunatik_max_instructions;
extern bool lunatik_bench;
extern unsigned long lunatik_max_policy_instructions;
extern unsigned int lunatik_policy_lock_ms;

unsigned int lunatik_random_u32(void);
void lunatik_random_bytes(void *buf, size_t len);
void lunatik_log(const char *s, size_t len);
void lunatik_writestring(const char *s, size_t len);
void lunatik_writestringerror(const char *fmt, const char *p);
void lunatik_resched(void);
const void *lunatik_current(void);
void *lunatik_kvrealloc(void *p, size_t size);
void lunatik_kvfree(void *p);
void lunatik_fatal(const char *msg, size_t len);

int lunatik_sha1_init(void);
void lunatik_sha1_exit(void);
int lunatik_sha1(const u8 *data, size_t len, u8 *out);

struct mutex *lunatik_mutex_new(void);
void lunatik_mutex_free(struct mutex *m);
void lunatik_mutex_lock(struct mutex *m);
bool lunatik_mutex_lock_within(struct mutex *m, unsigned int ms);
void lunatik_mutex_unlock(struct mutex *m);

u64 lunatik_ktime_ns(void);
int lunatik_format_addr(const struct sockaddr_storage *ss, char *buf,
			size_t size);

/* In Rust (module/pnfs.rs). */
int lunatik_pnfs_stats_text(char *buf, size_t size);

#endif /* LUNATIK_KERNEL_H */
