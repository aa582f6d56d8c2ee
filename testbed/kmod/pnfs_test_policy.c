// SPDX-License-Identifier: GPL-2.0
/*
 * A test-only layout policy for nfsd's FILES layout (testbed/guest/suites/
 * pnfs.sh). Its answer is chosen with the writable parameter "mode":
 *   order     stripe unit 128 KiB, data servers {2, 0, 1}, first index 0
 *   zero_su   a zero stripe unit                       (nfsd must reject)
 *   bad_index an index past the last data server       (nfsd must reject)
 *   too_many  more indices than there are data servers (nfsd must reject)
 *   fail      an error                                 (nfsd falls back)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nfsd/pnfs_policy.h>
#include <linux/string.h>

static char mode[16] = "order";
module_param_string(mode, mode, sizeof(mode), 0644);
MODULE_PARM_DESC(mode, "order, zero_su, bad_index, too_many or fail");

static atomic_t calls = ATOMIC_INIT(0);
module_param_named(calls, calls.counter, int, 0444);
MODULE_PARM_DESC(calls, "Layout decisions asked so far");

static int test_layout(const struct nfsd_pnfs_file *file,
		       struct nfsd_pnfs_layout *l)
{
	static const u32 order[] = { 2, 0, 1 };
	u32 i;

	atomic_inc(&calls);
	l->stripe_unit = 128 * 1024;
	l->first_stripe_index = 0;
	l->count = min_t(u32, file->ds_count, ARRAY_SIZE(order));
	for (i = 0; i < l->count; i++)
		l->ds[i] = order[i] < file->ds_count ? order[i] : i;

	if (sysfs_streq(mode, "zero_su"))
		l->stripe_unit = 0;
	else if (sysfs_streq(mode, "bad_index"))
		l->ds[0] = file->ds_count;
	else if (sysfs_streq(mode, "too_many"))
		l->count = file->ds_count + 1;
	else if (sysfs_streq(mode, "fail"))
		return -EIO;
	return 0;
}

static const struct nfsd_pnfs_policy_ops test_policy = {
	.owner	= THIS_MODULE,
	.layout	= test_layout,
};

static int __init test_policy_init(void)
{
	return nfsd_pnfs_register_policy(&test_policy);
}

static void __exit test_policy_exit(void)
{
	nfsd_pnfs_unregister_policy(&test_policy);
}

module_init(test_policy_init);
module_exit(test_policy_exit);
MODULE_DESCRIPTION("lunatik-ng testbed: a fixed FILES layout policy for nfsd");
MODULE_LICENSE("GPL");
