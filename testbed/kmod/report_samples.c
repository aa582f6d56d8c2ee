// SPDX-License-Identifier: GPL-2.0
/*
 * Provokes one report of the debug kernel's detectors (testbed/
 * kernel-debug.config), so the log scanner's samples (testbed/logscan/
 * samples) are what the kernel really prints. Load it with the report to
 * provoke; it then loads (returns 0) and can be removed:
 *
 *   insmod report_samples.ko trigger=NAME; rmmod report_samples
 *
 *   kasan         reads 1 byte past a 10-byte kmalloc() buffer
 *   kfence        reads the guard page next to a KFENCE object
 *   ubsan         indexes a 4-slot array with 4
 *   ubsan_shift   shifts a u32 by 32
 *   lockdep       takes two spinlocks in both orders (one thread: no deadlock)
 *   atomic_sleep  might_sleep() under a spinlock
 *   rcu           rcu_dereference() outside rcu_read_lock()
 *   list          list_add() next to an entry that no longer points back
 *
 * A boot shows some reports only once: KASAN reports only its first bug
 * unless booted with kasan_multi_shot, and lockdep turns itself off after a
 * report, or after KASAN's (its taint): the lockdep and rcu triggers then
 * print nothing. The kfence trigger waits up to 100 sample intervals for a
 * KFENCE object and fails to load (ETIMEDOUT) if none comes; the list
 * trigger refuses to run where BUG_ON_DATA_CORRUPTION would make its
 * warning an oops.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/jiffies.h>
#include <linux/kfence.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char trigger[16];
module_param_string(trigger, trigger, sizeof(trigger), 0444);
MODULE_PARM_DESC(trigger,
		 "kasan, kfence, ubsan, ubsan_shift, lockdep, atomic_sleep, rcu or list");

static noinline int trigger_kasan(void)
{
	size_t size = 10;
	char *buf, *kfence_buf = NULL;

	buf = kmalloc(size, GFP_KERNEL);
	/*
	 * KASAN does not check KFENCE's objects, and KFENCE takes at most
	 * one allocation per sample interval: the next one is the slab's.
	 */
	if (is_kfence_address(buf)) {
		kfence_buf = buf;
		buf = kmalloc(size, GFP_KERNEL);
	}
	if (!buf) {
		kfree(kfence_buf);
		return -ENOMEM;
	}
	OPTIMIZER_HIDE_VAR(buf);
	pr_info("kasan: byte past the end: %d\n", READ_ONCE(buf[size]));
	kfree(buf);
	kfree(kfence_buf);
	return 0;
}

static noinline int trigger_kfence(void)
{
	unsigned long timeout;
	char *buf, *guard;

	if (!IS_ENABLED(CONFIG_KFENCE) || !kfence_sample_interval) {
		pr_err("kfence: KFENCE is not built in, or is off (kfence.sample_interval=0)\n");
		return -EOPNOTSUPP;
	}
	/* KFENCE serves one allocation per sample interval: try until it is ours. */
	timeout = jiffies + msecs_to_jiffies(100UL * kfence_sample_interval);
	for (;;) {
		buf = kmalloc(32, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		if (is_kfence_address(buf))
			break;
		kfree(buf);
		if (time_after(jiffies, timeout)) {
			pr_err("kfence: no KFENCE object in %lu ms\n",
			       100UL * kfence_sample_interval);
			return -ETIMEDOUT;
		}
		cond_resched();
	}
	/* The object sits at one end of its page, a guard page on each side. */
	guard = PAGE_ALIGNED(buf) ? buf - 1 : (char *)PAGE_ALIGN((unsigned long)buf);
	OPTIMIZER_HIDE_VAR(guard);
	pr_info("kfence: guard page byte: %d\n", READ_ONCE(*guard));
	kfree(buf);
	return 0;
}

/*
 * The array is not the last member, so the read past it stays inside the
 * object: KASAN sees nothing wrong, only UBSAN's bounds check fires.
 */
static struct {
	int slot[4];
	int after;
} report_table = { .slot = { 1, 2, 3, 4 }, .after = 5 };

static noinline int trigger_ubsan(void)
{
	int i = ARRAY_SIZE(report_table.slot);
	int value;

	OPTIMIZER_HIDE_VAR(i);
	value = report_table.slot[i];
	pr_info("ubsan: slot %d: %d\n", i, value);
	return 0;
}

static noinline int trigger_ubsan_shift(void)
{
	u32 one = 1, value;
	int bits = 32;

	OPTIMIZER_HIDE_VAR(bits);
	value = one << bits;
	pr_info("ubsan_shift: 1 << %d: %u\n", bits, value);
	return 0;
}

static DEFINE_SPINLOCK(report_lock_a);
static DEFINE_SPINLOCK(report_lock_b);

static noinline int trigger_lockdep(void)
{
	/* A then B, later B then A: two threads doing this could deadlock. */
	spin_lock(&report_lock_a);
	spin_lock(&report_lock_b);
	spin_unlock(&report_lock_b);
	spin_unlock(&report_lock_a);

	spin_lock(&report_lock_b);
	spin_lock(&report_lock_a);
	spin_unlock(&report_lock_a);
	spin_unlock(&report_lock_b);
	return 0;
}

static DEFINE_SPINLOCK(report_atomic_lock);

static noinline int trigger_atomic_sleep(void)
{
	/* The check alone: really sleeping would add "scheduling while atomic". */
	spin_lock(&report_atomic_lock);
	might_sleep();
	spin_unlock(&report_atomic_lock);
	return 0;
}

static int report_rcu_value = 1;
static int __rcu *report_rcu_ptr = RCU_INITIALIZER(&report_rcu_value);

static noinline int trigger_rcu(void)
{
	pr_info("rcu: value %d\n", *rcu_dereference(report_rcu_ptr));
	return 0;
}

static noinline int trigger_list(void)
{
	struct list_head head, first, stray, entry;

	/* BUG_ON_DATA_CORRUPTION would turn the warning into an oops. */
	if (IS_ENABLED(CONFIG_BUG_ON_DATA_CORRUPTION)) {
		pr_err("list: CONFIG_BUG_ON_DATA_CORRUPTION is set, the check would BUG\n");
		return -EOPNOTSUPP;
	}
	INIT_LIST_HEAD(&head);
	INIT_LIST_HEAD(&stray);
	list_add(&first, &head);
	/* What a stray write would do: first no longer points back at head. */
	first.prev = &stray;
	/* DEBUG_LIST warns and leaves the list as it is. */
	list_add(&entry, &head);
	return 0;
}

static const struct {
	const char *name;
	const char *what;
	int (*fn)(void);
} triggers[] = {
	{ "kasan", "reading 1 byte past a 10-byte kmalloc() buffer", trigger_kasan },
	{ "kfence", "reading the guard page next to a KFENCE object", trigger_kfence },
	{ "ubsan", "indexing a 4-slot array with 4", trigger_ubsan },
	{ "ubsan_shift", "shifting a u32 by 32", trigger_ubsan_shift },
	{ "lockdep", "taking report_lock_a and report_lock_b in both orders", trigger_lockdep },
	{ "atomic_sleep", "might_sleep() under a spinlock", trigger_atomic_sleep },
	{ "rcu", "rcu_dereference() outside rcu_read_lock()", trigger_rcu },
	{ "list", "list_add() next to an entry that no longer points back", trigger_list },
};

static int __init report_samples_init(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(triggers); i++) {
		if (sysfs_streq(trigger, triggers[i].name)) {
			pr_info("%s: %s\n", triggers[i].name, triggers[i].what);
			return triggers[i].fn();
		}
	}
	pr_err("unknown trigger '%s': kasan, kfence, ubsan, ubsan_shift, lockdep, atomic_sleep, rcu or list\n",
	       trigger);
	return -EINVAL;
}

static void __exit report_samples_exit(void)
{
}

module_init(report_samples_init);
module_exit(report_samples_exit);

MODULE_DESCRIPTION("Provokes one debug-kernel report, for the testbed's log scanner samples");
MODULE_LICENSE("GPL");
