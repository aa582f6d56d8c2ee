// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of lunatik-ng's platform: what the Lua port and the Rust
 * engine need from the kernel (allocation, SHA-1, randomness, the log, the
 * stack bound, rescheduling) and the module parameters (docs/lua-api.md,
 * "Limits"). The userspace twin has the same functions in lua/src/platform.rs.
 */
#define pr_fmt(fmt) "lunatik: " fmt

#include <crypto/hash.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/socket.h>

#include "lua/lunatik_port.h"
#include "lunatik_kernel.h"

unsigned long lunatik_max_memory = 8UL << 20;
module_param_named(max_memory, lunatik_max_memory, ulong, 0444);
MODULE_PARM_DESC(max_memory, "Bytes one Lua state may hold (default 8 MiB)");

unsigned long lunatik_max_instructions = 10000000;
module_param_named(max_instructions, lunatik_max_instructions, ulong, 0444);
MODULE_PARM_DESC(max_instructions,
		 "Lua instructions per entry into a state (default 10000000)");

bool lunatik_bench;
module_param_named(bench, lunatik_bench, bool, 0444);
MODULE_PARM_DESC(bench, "Print the engine's figures at load (state size and cost, kernel SHA-1 rate)");

size_t lunatik_stack_left(void)
{
	unsigned long base = (unsigned long)task_stack_page(current);

	return current_stack_pointer - base;
}

unsigned int lunatik_random_u32(void)
{
	return get_random_u32();
}

void lunatik_random_bytes(void *buf, size_t len)
{
	get_random_bytes(buf, len);
}

void lunatik_log(const char *s, size_t len)
{
	pr_info("%.*s\n", (int)min_t(size_t, len, INT_MAX), s);
}

void lunatik_writestring(const char *s, size_t len)
{
	if (len != 1 || *s != '\n')
		lunatik_log(s, len);
}

/* The core's warnings; fmt is the core's own and has a single %s. */
void lunatik_writestringerror(const char *fmt, const char *p)
{
	pr_warn("Lua: %s\n", p);
}

const void *lunatik_current(void)
{
	return current;
}

void lunatik_resched(void)
{
	cond_resched();
}

void *lunatik_kvrealloc(void *p, size_t size)
{
	return kvrealloc(p, size, GFP_KERNEL | __GFP_NOWARN);
}

void lunatik_kvfree(void *p)
{
	kvfree(p);
}

void lunatik_fatal(const char *msg, size_t len)
{
	panic("lunatik: %.*s", (int)len, msg);
}

static struct crypto_shash *lunatik_sha1_tfm;

int lunatik_sha1_init(void)
{
	struct crypto_shash *tfm = crypto_alloc_shash("sha1", 0, 0);

	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	lunatik_sha1_tfm = tfm;
	return 0;
}

void lunatik_sha1_exit(void)
{
	crypto_free_shash(lunatik_sha1_tfm);
	lunatik_sha1_tfm = NULL;
}

int lunatik_sha1(const u8 *data, size_t len, u8 *out)
{
	if (len > UINT_MAX)
		return -E2BIG;
	return crypto_shash_tfm_digest(lunatik_sha1_tfm, data, len, out);
}

/* Sleeping locks of the states, with a bounded wait for nfsd threads. */
struct mutex *lunatik_mutex_new(void)
{
	struct mutex *m = kmalloc(sizeof(*m), GFP_KERNEL);

	if (m)
		mutex_init(m);
	return m;
}

void lunatik_mutex_free(struct mutex *m)
{
	mutex_destroy(m);
	kfree(m);
}

void lunatik_mutex_lock(struct mutex *m)
{
	mutex_lock(m);
}

/* Takes @m within @ms milliseconds, or gives up (false). */
bool lunatik_mutex_lock_within(struct mutex *m, unsigned int ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(ms);

	while (!mutex_trylock(m)) {
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(50, 100);
	}
	return true;
}

void lunatik_mutex_unlock(struct mutex *m)
{
	mutex_unlock(m);
}

u64 lunatik_ktime_ns(void)
{
	return ktime_get_ns();
}

/* "10.99.0.2" or "fe80::1": a client address as text. */
int lunatik_format_addr(const struct sockaddr_storage *ss, char *buf,
			size_t size)
{
	return scnprintf(buf, size, "%pISc", ss);
}

unsigned long lunatik_max_policy_instructions = 1000000;
module_param_named(max_policy_instructions, lunatik_max_policy_instructions,
		   ulong, 0444);
MODULE_PARM_DESC(max_policy_instructions,
		 "Lua instructions per layout decision (default 1000000)");

unsigned int lunatik_policy_lock_ms = 100;
module_param_named(policy_lock_ms, lunatik_policy_lock_ms, uint, 0444);
MODULE_PARM_DESC(policy_lock_ms,
		 "Longest wait of an nfsd thread for the Lua state, in ms (default 100)");

static int lunatik_pnfs_stats_get(char *buf, const struct kernel_param *kp)
{
	return lunatik_pnfs_stats_text(buf, PAGE_SIZE);
}

static const struct kernel_param_ops lunatik_pnfs_stats_ops = {
	.get	= lunatik_pnfs_stats_get,
};
module_param_cb(pnfs_stats, &lunatik_pnfs_stats_ops, NULL, 0444);
MODULE_PARM_DESC(pnfs_stats, "Layout decisions of the Lua policy");
