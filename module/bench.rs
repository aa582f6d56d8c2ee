// SPDX-License-Identifier: GPL-2.0

//! Figures printed at load with `insmod lunatik.ko bench=1` (never asserted):
//! the memory and creation time of a state, and the kernel's SHA-1
//! throughput without Lua, which the bench suite compares `crypto.sha1` to.

use kernel::alloc::KVVec;
use kernel::prelude::*;

use crate::state::Limits;
use crate::states::State;

extern "C" {
    fn lunatik_ktime_ns() -> u64;
    fn lunatik_sha1(data: *const u8, len: usize, out: *mut u8) -> core::ffi::c_int;
}

fn now() -> u64 {
    // SAFETY: reads the monotonic clock.
    unsafe { lunatik_ktime_ns() }
}

/// MB/s of hashing `len` bytes `times` times with the kernel's SHA-1.
fn sha1_rate(data: &[u8], len: usize, times: u32) -> u64 {
    let mut out = [0u8; 20];
    let t0 = now();
    for _ in 0..times {
        // SAFETY: `data` has at least `len` bytes; `out` has 20.
        unsafe { lunatik_sha1(data.as_ptr(), len, out.as_mut_ptr()) };
    }
    let ns = (now() - t0).max(1);
    (len as u64 * u64::from(times) * 1000) / ns
}

pub fn run(limits: Limits) -> Result {
    const N: usize = 20;
    let mut ns = [0u64; N];
    let mut bytes = 0;
    for t in ns.iter_mut() {
        let t0 = now();
        let state = State::new(limits)?;
        *t = now() - t0;
        bytes = state.memory_used();
        drop(state);
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
    Ok(())
}
