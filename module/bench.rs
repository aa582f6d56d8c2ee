// SPDX-License-Identifier: GPL-2.0

//! Figures printed at load with `insmod lunatik_ng.ko bench=1` (never
//! asserted): the memory and creation time of a state, the kernel's SHA-1
//! throughput without Lua (which the bench suite compares `crypto.sha1`
//! to), and the cost of charging C-level work to the budget: the same
//! calls in a state that charges and in one that does not, interleaved.

use kernel::alloc::KVVec;
use kernel::bindings;
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

/// The file of the decision benchmark: one filehandle, a client at
/// 10.99.0.2, 64 data servers, a new inode number for every call.
struct BenchFile {
    fh: [u8; 16],
    name: [u8; 8],
    client: [u64; 16],
    ino: core::sync::atomic::AtomicU64,
}

impl BenchFile {
    fn file(&self) -> bindings::nfsd_pnfs_file {
        bindings::nfsd_pnfs_file {
            ino: self.ino.fetch_add(1, core::sync::atomic::Ordering::Relaxed),
            fh: self.fh.as_ptr(),
            fh_len: self.fh.len() as u32,
            size: 0,
            uid: 0,
            gid: 0,
            name: self.name.as_ptr().cast(),
            name_len: self.name.len() as u32,
            client: self.client.as_ptr().cast(),
            iomode: 2,
            offset: 0,
            length: u64::MAX,
            ds_count: 64,
            export_path: c"/srv/bench".as_ptr().cast(),
            export_fsid: 0,
        }
    }
}

/// An empty answer.
fn no_layout() -> bindings::nfsd_pnfs_layout {
    bindings::nfsd_pnfs_layout {
        stripe_unit: 0,
        first_stripe_index: 0,
        count: 0,
        ds: [0; 64],
    }
}

/// One decision by the loaded Lua policy, through nfsd's entry point.
unsafe extern "C" fn one_lua(arg: *mut core::ffi::c_void) -> core::ffi::c_int {
    // SAFETY: `decisions` passes its `BenchFile`, alive for the run.
    let b = unsafe { &*arg.cast::<BenchFile>() };
    let file = b.file();
    let mut out = no_layout();
    // SAFETY: both point to valid structures for the call, as nfsd's do.
    unsafe { crate::nfsd_host::layout(&file, &mut out) }
}

/// One decision as nfsd's built-in layout makes it: every server in order.
unsafe extern "C" fn one_builtin(arg: *mut core::ffi::c_void) -> core::ffi::c_int {
    // SAFETY: as in `one_lua`.
    let b = unsafe { &*arg.cast::<BenchFile>() };
    let file = b.file();
    let mut out = no_layout();
    out.stripe_unit = 64 * 1024;
    for i in 0..file.ds_count.min(64) {
        out.ds[i as usize] = i;
    }
    out.count = file.ds_count;
    core::hint::black_box(&out);
    0
}

/// Decisions per second, p50 and p99 in ns, of `calls` calls of `f` from
/// each of `threads` kernel threads at once.
fn run_threads(
    threads: u32,
    calls: u32,
    f: unsafe extern "C" fn(*mut core::ffi::c_void) -> core::ffi::c_int,
    b: &BenchFile,
) -> Result<(u64, u64, u64)> {
    let total = threads as usize * calls as usize;
    let mut lat = KVVec::from_elem(0u64, total, GFP_KERNEL)?;
    // SAFETY: `lat` holds threads * calls values; `b` outlives the run,
    // which ends before this returns.
    let ns = unsafe {
        c::lunatik_bench_threads(
            threads,
            calls,
            f,
            core::ptr::from_ref(b).cast_mut().cast(),
            lat.as_mut_ptr(),
        )
    };
    if ns < 0 {
        return Err(Error::from_errno(ns as i32));
    }
    lat.sort_unstable();
    let rate = (total as u64).saturating_mul(1_000_000_000) / (ns as u64).max(1);
    Ok((rate, lat[total / 2], lat[total * 99 / 100]))
}

/// `bench_decisions`: the loaded policy asked by `threads` kernel threads
/// at once, against nfsd's built-in layout; figures in the log.
#[no_mangle]
pub(crate) extern "C" fn lunatik_bench_decisions(threads: u32, calls: u32) -> core::ffi::c_int {
    let mut client = [0u64; 16];
    // struct sockaddr_in 10.99.0.2: family AF_INET (2), port 0, address.
    client[0] = 2 | (0x0200_630a << 32);
    let b = BenchFile {
        fh: *b"\x01\x00\x01\x01bench-filehd",
        name: *b"bench.f0",
        client,
        ino: core::sync::atomic::AtomicU64::new(1),
    };
    let lua = match run_threads(threads, calls, one_lua, &b) {
        Ok(r) => r,
        Err(e) => return e.to_errno(),
    };
    let builtin = match run_threads(threads, calls, one_builtin, &b) {
        Ok(r) => r,
        Err(e) => return e.to_errno(),
    };
    pr_info!(
        "bench: decisions: {} thread(s) x {}: Lua policy {}/s p50 {} ns p99 {} ns; built-in {}/s p50 {} ns p99 {} ns; p50 ratio {}\n",
        threads,
        calls,
        lua.0,
        lua.1,
        lua.2,
        builtin.0,
        builtin.1,
        builtin.2,
        lua.1 / builtin.1.max(1)
    );
    0
}
