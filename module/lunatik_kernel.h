/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What lunatik_kernel.c gives the Rust engine (module/kernel_c.rs declares
 * the same in Rust), and what the Rust side gives back to it.
 */
#ifndef LUNATIK_KERNEL_H
#define LUNATIK_KERNEL_H

#include <linux/compiler_types.h>
#include <linux/moduleparam.h>
#include <linux/semaphore.h>
#include <linux/socket.h>
#include <linux/types.h>

extern unsigned long lunatik_max_memory;
extern unsigned long lunatik_max_instructions;
extern unsigned long lunatik_max_call_ms;
extern unsigned long lunatik_max_policy_instructions;
extern unsigned long lunatik_max_policy_ms;
extern unsigned long lunatik_policy_lock_ms;
extern bool lunatik_bench;

int lunatik_param_set_readonly(const char *val, const struct kernel_param *kp);

unsigned int lunatik_random_u32(void);
void lunatik_random_bytes(void *buf, size_t len);
void lunatik_log(const char *s, size_t len);
void lunatik_writestring(const char *s, size_t len);
void lunatik_writestringerror(const char *fmt, const char *p);
void lunatik_resched(void);
const void *lunatik_current(void);
u64 lunatik_cpu_ns(void);
bool lunatik_killed(void);
void *lunatik_kvrealloc(void *p, size_t size);
void lunatik_kvfree(void *p);
void lunatik_fatal(const char *msg, size_t len);

struct nfsd_pnfs_policy_stats;
int lunatik_nfsd_set_dataservers(const char *list, char *err, size_t errlen);
int lunatik_nfsd_get_dataservers(char *buf, size_t size);
void lunatik_nfsd_stats(struct nfsd_pnfs_policy_stats *stats);
void lunatik_nfsd_policy_changed(void);

int lunatik_sha1_init(void);
void lunatik_sha1_exit(void);
int lunatik_sha1(const u8 *data, size_t len, u8 *out);

struct semaphore *lunatik_sem_new(unsigned int count);
void lunatik_sem_free(struct semaphore *s);
int lunatik_sem_down_killable(struct semaphore *s);
bool lunatik_sem_down_within(struct semaphore *s, unsigned int ms);
void lunatik_sem_up(struct semaphore *s);

u64 lunatik_ktime_ns(void);
void lunatik_trace_decision(u64 ino, const u8 *fh, u32 fh_len, u32 stripe_unit,
			    u32 first, u32 count, const u32 *ds, int outcome,
			    u64 ns);
u64 lunatik_real_seconds(void);
unsigned int lunatik_cpu_id(void);
unsigned int lunatik_online_cpus(void);
void lunatik_rcu_read_lock(void);
void lunatik_rcu_read_unlock(void);
void lunatik_synchronize_rcu(void);
int lunatik_format_addr(const struct sockaddr_storage *ss, char *buf,
			size_t size);
int lunatik_user_writable(void __user *buf, size_t size);

s64 lunatik_bench_threads(unsigned int threads, unsigned int per_thread,
			  int (*fn)(void *arg), void *arg, u64 *lat);

/* In Rust (module/nfsd_host.rs, module/bench.rs). */
int lunatik_pnfs_stats_text(char *buf, size_t size);
int lunatik_bench_decisions(unsigned int threads, unsigned int calls);

#endif /* LUNATIK_KERNEL_H */
