// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of lunatik-ng's platform: what the Lua port and the Rust
 * engine need from the kernel (allocation, SHA-1, randomness, the log, the
 * stack bound, CPU time, signals, rescheduling, sleeping locks) and the
 * module parameters (docs/lua-api.md, "Limits"). The userspace twin has the
 * same services in lua/src/platform.rs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <linux/err.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nfsd/pnfs_policy.h>
#include <linux/nsproxy.h>
#include <linux/pagemap.h>
#include <linux/printk.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/semaphore.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uaccess.h>

#include "lua/lunatik_port.h"
#include "lunatik_kernel.h"

#define CREATE_TRACE_POINTS
#include "lunatik_trace.h"

/*
 * Limits, settable when the module is loaded and read-only afterwards
 * (0444). Out-of-range values are refused with EINVAL: a state needs about
 * 40 KiB for its libraries, and a limit of 0 would make every call fail.
 */
struct lunatik_range {
	unsigned long min, max;
};

static int lunatik_param_set_range(const char *val,
				   const struct kernel_param *kp,
				   const struct lunatik_range *r)
{
	unsigned long v;
	int ret = kstrtoul(val, 0, &v);

	if (ret)
		return ret;
	if (v < r->min || v > r->max) {
		pr_err("%s=%lu is out of range [%lu, %lu]\n", kp->name, v,
		       r->min, r->max);
		return -EINVAL;
	}
	*(unsigned long *)kp->arg = v;
	return 0;
}

#define LUNATIK_RANGE_PARAM(name, var, dflt, lo, hi, desc)		\
	unsigned long var = dflt;					\
	static const struct lunatik_range var##_range = { lo, hi };	\
	static int var##_set(const char *val, const struct kernel_param *kp) \
	{								\
		return lunatik_param_set_range(val, kp, &var##_range);	\
	}								\
	static const struct kernel_param_ops var##_ops = {		\
		.set = var##_set,					\
		.get = param_get_ulong,					\
	};								\
	module_param_cb(name, &var##_ops, &var, 0444);			\
	MODULE_PARM_DESC(name, desc)

LUNATIK_RANGE_PARAM(max_memory, lunatik_max_memory, 8UL << 20,
		    256UL << 10, 1UL << 30,
		    "Bytes one Lua state may hold (default 8 MiB, 256 KiB to 1 GiB)");
LUNATIK_RANGE_PARAM(max_instructions, lunatik_max_instructions, 10000000,
		    10000, 1UL << 40,
		    "Lua instructions per SYS_lua call (default 10000000)");
LUNATIK_RANGE_PARAM(max_call_ms, lunatik_max_call_ms, 5000, 1, 600000,
		    "CPU time of one SYS_lua call in ms (default 5000)");
LUNATIK_RANGE_PARAM(max_policy_instructions, lunatik_max_policy_instructions,
		    1000000, 10000, 1UL << 40,
		    "Lua instructions per layout decision (default 1000000)");
LUNATIK_RANGE_PARAM(max_policy_ms, lunatik_max_policy_ms, 20, 1, 10000,
		    "CPU time of one layout decision in ms (default 20)");
LUNATIK_RANGE_PARAM(policy_lock_ms, lunatik_policy_lock_ms, 100, 0, 10000,
		    "Longest wait of an nfsd thread for a Lua state, in ms (default 100)");

bool lunatik_bench;
module_param_named(bench, lunatik_bench, bool, 0444);
MODULE_PARM_DESC(bench, "Print the engine's figures at load (state size and cost, kernel SHA-1 rate, the cost of charging)");

/* Parameters that only report: a value given at load is refused. */
int lunatik_param_set_readonly(const char *val, const struct kernel_param *kp)
{
	pr_err("%s is read-only\n", kp->name);
	return -EPERM;
}

/*
 * Bytes of stack left, as a share of a 16 KiB stack: a kernel whose stacks
 * are larger has them because its code takes more (KASAN doubles them), so
 * the port's reserves (LUNATIK_STACK_SOFT, _HARD) grow with the stack. On
 * the debug kernel, "error in error handling" allocated its message 2.5 KiB
 * above the guard page, and KASAN's and lockdep's allocator path hit it.
 */
static_assert(THREAD_SIZE >= SZ_16K);

size_t lunatik_stack_left(void)
{
	unsigned long base = (unsigned long)task_stack_page(current);

	return (current_stack_pointer - base) / (THREAD_SIZE / SZ_16K);
}

unsigned int lunatik_random_u32(void)
{
	return get_random_u32();
}

void lunatik_random_bytes(void *buf, size_t len)
{
	get_random_bytes(buf, len);
}

/*
 * Messages of Lua code (print, printk): at most 100 per 5 seconds, so a
 * script in a loop cannot flood the log; what was dropped is counted.
 */
static DEFINE_RATELIMIT_STATE(lunatik_log_rs, 5 * HZ, 100);

/*
 * A message is cut at LUNATIK_LOG_MAX bytes: the kernel log keeps at most
 * about 1 KiB of a record anyway, and vsnprintf() warns of a precision
 * above 32767 (the fuzzer's printk of 65,539 bytes).
 */
#define LUNATIK_LOG_MAX 1000

void lunatik_log(const char *s, size_t len)
{
	if (__ratelimit(&lunatik_log_rs))
		pr_info("%.*s\n", (int)min_t(size_t, len, LUNATIK_LOG_MAX), s);
}

void lunatik_writestring(const char *s, size_t len)
{
	if (len != 1 || *s != '\n')
		lunatik_log(s, len);
}

/* The core's warnings; fmt is the core's own and has a single %s. */
void lunatik_writestringerror(const char *fmt, const char *p)
{
	pr_warn_ratelimited("Lua: %s\n", p);
}

void lunatik_resched(void)
{
	cond_resched();
}

const void *lunatik_current(void)
{
	return current;
}

/*
 * CPU time of the current task: the scheduler's own sum, updated at every
 * tick and context switch (so late by at most one tick).
 */
u64 lunatik_cpu_ns(void)
{
	return current->se.sum_exec_runtime;
}

bool lunatik_killed(void)
{
	return fatal_signal_pending(current);
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
	panic("%.*s", (int)len, msg);
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

/*
 * The locks of the states (@count 1) and a policy set's seats (@count: its
 * states): semaphores, whose waiters queue in order, with a bounded wait for
 * nfsd threads and a killable one for SYS_lua callers.
 */
struct semaphore *lunatik_sem_new(unsigned int count)
{
	struct semaphore *s = kmalloc(sizeof(*s), GFP_KERNEL);

	if (s)
		sema_init(s, count);
	return s;
}

void lunatik_sem_free(struct semaphore *s)
{
	kfree(s);
}

/* 0, or -EINTR when a fatal signal came first. */
int lunatik_sem_down_killable(struct semaphore *s)
{
	return down_killable(s);
}

/* Takes @s within @ms milliseconds (true), or gives up (false). */
bool lunatik_sem_down_within(struct semaphore *s, unsigned int ms)
{
	if (!down_trylock(s))
		return true;
	return ms && !down_timeout(s, msecs_to_jiffies(ms));
}

void lunatik_sem_up(struct semaphore *s)
{
	up(s);
}

u64 lunatik_ktime_ns(void)
{
	return ktime_get_ns();
}

u64 lunatik_real_seconds(void)
{
	return ktime_get_real_seconds();
}

/* The policy states: one per online CPU, swapped in under RCU. */
unsigned int lunatik_cpu_id(void)
{
	return raw_smp_processor_id();
}

unsigned int lunatik_online_cpus(void)
{
	return num_online_cpus();
}

void lunatik_rcu_read_lock(void)
{
	rcu_read_lock();
}

void lunatik_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

void lunatik_synchronize_rcu(void)
{
	synchronize_rcu();
}

/* "10.99.0.2" or "fe80::1": a client address as text. */
int lunatik_format_addr(const struct sockaddr_storage *ss, char *buf,
			size_t size)
{
	return scnprintf(buf, size, "%pISc", ss);
}

/*
 * The result buffer of SYS_lua, made writable before any code runs: every
 * page is written once (fault_in_writeable). Returns 0 or -EFAULT.
 */
int lunatik_user_writable(void __user *buf, size_t size)
{
	if (!access_ok(buf, size))
		return -EFAULT;
	return fault_in_writeable(buf, size) ? -EFAULT : 0;
}

/*
 * The decision benchmark (module/bench.rs): @threads kernel threads at once
 * each call @fn(@arg) @per_thread times; @lat gets every call's latency in
 * ns (thread t's at t * per_thread). Returns the elapsed ns of the whole
 * run, or a negative errno.
 */
struct lunatik_bench_thread {
	int (*fn)(void *arg);
	void *arg;
	u64 *lat;
	unsigned int n;
	struct completion *start;
	struct completion done;
};

static int lunatik_bench_thread_fn(void *data)
{
	struct lunatik_bench_thread *t = data;
	unsigned int i;

	wait_for_completion(t->start);
	for (i = 0; i < t->n; i++) {
		u64 t0 = ktime_get_ns();

		t->fn(t->arg);
		t->lat[i] = ktime_get_ns() - t0;
		cond_resched();
	}
	complete(&t->done);
	return 0;
}

s64 lunatik_bench_threads(unsigned int threads, unsigned int per_thread,
			  int (*fn)(void *arg), void *arg, u64 *lat)
{
	struct lunatik_bench_thread *t;
	DECLARE_COMPLETION_ONSTACK(start);
	unsigned int i, made = 0;
	u64 t0;

	t = kcalloc(threads, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < threads; i++) {
		struct task_struct *task;

		t[i] = (struct lunatik_bench_thread){
			.fn = fn, .arg = arg, .lat = lat + (u64)i * per_thread,
			.n = per_thread, .start = &start,
		};
		init_completion(&t[i].done);
		task = kthread_create(lunatik_bench_thread_fn, &t[i],
				      "lunatik_bench/%u", i);
		if (IS_ERR(task))
			break;
		/* one thread per CPU, round robin: they run at once */
		kthread_bind(task, cpumask_nth(i % num_online_cpus(),
					       cpu_online_mask));
		wake_up_process(task);
		made++;
	}
	t0 = ktime_get_ns();
	complete_all(&start);
	for (i = 0; i < made; i++)
		wait_for_completion(&t[i].done);
	t0 = ktime_get_ns() - t0;
	kfree(t);
	return made == threads ? (s64)t0 : -EAGAIN;
}

/* Writing "THREADS CALLS" to bench_decisions runs the decision benchmark. */
static int lunatik_bench_decisions_set(const char *val,
				       const struct kernel_param *kp)
{
	unsigned int threads, calls;

	if (sscanf(val, "%u %u", &threads, &calls) != 2 || !threads ||
	    threads > 64 || !calls || calls > 1000000)
		return -EINVAL;
	return lunatik_bench_decisions(threads, calls);
}

static const struct kernel_param_ops lunatik_bench_decisions_ops = {
	.set	= lunatik_bench_decisions_set,
};
module_param_cb(bench_decisions, &lunatik_bench_decisions_ops, NULL, 0200);
MODULE_PARM_DESC(bench_decisions,
		 "Write \"THREADS CALLS\": that many kernel threads ask the loaded policy at once; figures in the log");

/* One layout decision, for tracefs (outcome: 0 decided, else an errno). */
void lunatik_trace_decision(u64 ino, const u8 *fh, u32 fh_len, u32 stripe_unit,
			    u32 first, u32 count, const u32 *ds, int outcome,
			    u64 ns)
{
	trace_lunatik_decision(ino, fh, fh_len, stripe_unit, first, count, ds,
			       outcome, ns);
}

/*
 * nfsd keeps its data servers and counters per network namespace: these
 * act on the caller's (SYS_lua's, or the reader of pnfs_stats).
 */
int lunatik_nfsd_set_dataservers(const char *list, char *err, size_t errlen)
{
	return nfsd_pnfs_set_dataservers(current->nsproxy->net_ns, list, err,
					 errlen);
}

int lunatik_nfsd_get_dataservers(char *buf, size_t size)
{
	return nfsd_pnfs_get_dataservers(current->nsproxy->net_ns, buf, size);
}

void lunatik_nfsd_stats(struct nfsd_pnfs_policy_stats *stats)
{
	nfsd_pnfs_policy_stats(current->nsproxy->net_ns, stats);
}

/* A new policy was swapped in: nfsd recalls the layouts of the old one. */
void lunatik_nfsd_policy_changed(void)
{
	nfsd_pnfs_policy_changed();
}

static int lunatik_pnfs_stats_get(char *buf, const struct kernel_param *kp)
{
	return lunatik_pnfs_stats_text(buf, PAGE_SIZE);
}

static const struct kernel_param_ops lunatik_pnfs_stats_ops = {
	.set	= lunatik_param_set_readonly,
	.get	= lunatik_pnfs_stats_get,
};
module_param_cb(pnfs_stats, &lunatik_pnfs_stats_ops, NULL, 0444);
MODULE_PARM_DESC(pnfs_stats, "Layout decisions of the Lua policy (read-only)");
