// SPDX-License-Identifier: GPL-2.0

//! Figures printed at load with `insmod lunatik_ng.ko bench=1` (never
//! asserted): the memory and creation time of a state, the kernel's SHA-1
//! throughput without Lua (which the bench suite compares `crypto.sha1`
//! to), and the cost of charging C-level work to the budget: the same
//! calls in a state that charges and in one that does not, interleaved.

use kernel::alloc::KVVec;
use kernel::prelude::*;

use crate::exec;
use crate::host::NoHost;
use crate::kernel_c as c;
use crate::platform::now_ns;
use crate::vm::{Limits, Vm};

/// MB/s of hashing `len` bytes `times` times with the kernel's SHA-1.
fn sha1_rate(data: &[u8], len: usize, times: u32) -> u64 {
    let mut out = [0u8; 20];
    let t0 = now_ns();
    for _ in 0..times {
        // SAFETY: `data` has at least `len` bytes; `out` has 20.
        unsafe { c::lunatik_sha1(data.as_ptr(), len, out.as_mut_ptr()) };
    }
    let ns = (now_ns() - t0).max(1);
    (len as u64 * u64::from(times) * 1000) / ns
}

/// Nanoseconds of one `exec` of `code` in `vm`.
fn time_exec(vm: &mut Vm, code: &[u8]) -> u64 {
    let mut out = [0u8; 64];
    let budget = vm.limits().budget();
    let t0 = now_ns();
    exec::exec(vm, budget, code, c"=bench", &mut &mut out[..]);
    now_ns() - t0
}

/// Medians of `code` in a charging and a non-charging state, calls
/// interleaved so that both see the same machine.
fn charging_cost(on: &mut Vm, off: &mut Vm, code: &[u8], rounds: usize) -> (u64, u64) {
    const MAX: usize = 64;
    let n = rounds.min(MAX);
    let (mut a, mut b) = ([0u64; MAX], [0u64; MAX]);
    for i in 0..n {
        a[i] = time_exec(on, code);
        b[i] = time_exec(off, code);
    }
    a[..n].sort_unstable();
    b[..n].sort_unstable();
    (a[n / 2], b[n / 2])
}

pub(crate) fn run(limits: Limits) -> Result {
    const N: usize = 20;
    let mut ns = [0u64; N];
    let mut bytes = 0;
    for t in ns.iter_mut() {
        let t0 = now_ns();
        let vm = Vm::open(limits, &NoHost).map_err(|_| ENOMEM)?;
        *t = now_ns() - t0;
        bytes = vm.used();
    }
    ns.sort_unstable();
    pr_info!(
        "bench: a new state holds {} bytes and takes {} ns to create (median of {})\n",
        bytes,
        ns[N / 2],
        N
    );
    let data = KVVec::from_elem(0x61u8, 1 << 20, GFP_KERNEL)?;
    pr_info!(
        "bench: kernel sha1 without Lua: 4 KiB {} MB/s, 1 MiB {} MB/s\n",
        sha1_rate(&data, 4096, 512),
        sha1_rate(&data, 1 << 20, 16)
    );

    let mut on = Vm::open(limits, &NoHost).map_err(|_| ENOMEM)?;
    let mut off = Vm::open(limits, &NoHost).map_err(|_| ENOMEM)?;
    off.set_charging(false);
    let make = b"big = string.rep('a', 1 << 20)";
    time_exec(&mut on, make);
    time_exec(&mut off, make);
    for (what, code, rounds) in [
        ("return 1", &b"return 1"[..], 64),
        ("1 MiB crypto.sha1", &b"return #crypto.sha1(big)"[..], 16),
    ] {
        let (with, without) = charging_cost(&mut on, &mut off, code, rounds);
        pr_info!(
            "bench: charging: {}: {} ns charged, {} ns uncharged, ratio {}.{:03}\n",
            what,
            with,
            without,
            with / without.max(1),
            (with % without.max(1)) * 1000 / without.max(1)
        );
    }
    Ok(())
}
