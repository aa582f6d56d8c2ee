// SPDX-License-Identifier: GPL-2.0

//! nfsd as the server behind the default state (`crate::host::Host` over
//! nfsd's policy API, include/linux/nfsd/pnfs_policy.h), and nfsd's call
//! for each LAYOUTGET: nfsd asks the layout function of a policy state
//! (`policy_states.rs`).
//!
//! nfsd threads never wait unboundedly: they take a policy state within
//! `policy_lock_ms` or fall back (nfsd's built-in layout), and each decision
//! has its own instruction budget and CPU time (`max_policy_instructions`,
//! `max_policy_ms`).

use core::ffi::{c_char, c_int, CStr};
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use kernel::bindings;
use kernel::prelude::*;

use crate::host::{Host, PolicyInfo, Stats};
use crate::kernel_c::{self as c, params};
use crate::libs::copy_bytes;
use crate::libs::pnfs::{self as lib, FileInfo, Layout};
use crate::platform;
use crate::policy_states;
use crate::text::Text;
use crate::vm::Budget;

struct Ops(bindings::nfsd_pnfs_policy_ops);

// SAFETY: written once at module init, only read afterwards.
unsafe impl Send for Ops {}
// SAFETY: as above.
unsafe impl Sync for Ops {}

/// `enum pnfs_iomode` of include/linux/nfs4.h.
const IOMODE_RW: u32 = 2;

static OPS: AtomicPtr<Ops> = AtomicPtr::new(core::ptr::null_mut());
static REGISTERED: AtomicBool = AtomicBool::new(false);

static DECISIONS: AtomicU64 = AtomicU64::new(0);
static ERRORS: AtomicU64 = AtomicU64::new(0);
static FALLBACKS: AtomicU64 = AtomicU64::new(0);
static MAX_NS: AtomicU64 = AtomicU64::new(0);
static MAX_WAIT_NS: AtomicU64 = AtomicU64::new(0);
const RECENT: usize = 128;
static RECENT_NS: [AtomicU64; RECENT] = [const { AtomicU64::new(0) }; RECENT];
static RECENT_N: AtomicUsize = AtomicUsize::new(0);

/// The policy ops of this module, kept for the module's lifetime.
pub(crate) struct Policy {
    ops: KBox<Ops>,
}

impl Policy {
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
        let ops = KBox::new(
            Ops(bindings::nfsd_pnfs_policy_ops {
                owner: module.as_ptr(),
                layout: Some(layout),
            }),
            GFP_KERNEL,
        )?;
        OPS.store(core::ptr::from_ref(&*ops).cast_mut(), Ordering::Release);
        Ok(Policy { ops })
    }
}

impl Drop for Policy {
    fn drop(&mut self) {
        if REGISTERED.swap(false, Ordering::AcqRel) {
            // SAFETY: registered by `set_policy`; nfsd waits until no
            // caller can reach the ops any more.
            unsafe { bindings::nfsd_pnfs_unregister_policy(&self.ops.0) };
        }
        OPS.store(core::ptr::null_mut(), Ordering::Release);
    }
}

/// nfsd, as the host of the default state.
pub(crate) struct Nfsd;

/// The host of the default state.
pub(crate) static NFSD: Nfsd = Nfsd;

impl Nfsd {
    /// Whether nfsd asks this module (a policy is loaded) or not.
    pub(crate) fn set_policy(&self, active: bool) -> core::result::Result<(), &'static CStr> {
        let ops = OPS.load(Ordering::Acquire);
        if ops.is_null() {
            return Err(c"the pnfs library is not available");
        }
        if active == REGISTERED.load(Ordering::Acquire) {
            return Ok(());
        }
        if active {
            // SAFETY: `ops` lives until `Policy` is dropped, which
            // unregisters.
            let ret = unsafe { bindings::nfsd_pnfs_register_policy(&(*ops).0) };
            if ret != 0 {
                return Err(c"nfsd has another layout policy registered");
            }
        } else {
            // SAFETY: registered before (REGISTERED was true).
            unsafe { bindings::nfsd_pnfs_unregister_policy(&(*ops).0) };
        }
        REGISTERED.store(active, Ordering::Release);
        Ok(())
    }
}

impl Host for Nfsd {
    /// `pnfs.register` in the default state: policies live in policy
    /// states now; `pnfs.unregister()` still unloads the policy.
    fn set_policy(&self, active: bool) -> core::result::Result<(), &'static CStr> {
        if active {
            Err(c"pnfs.register(fn) belongs in a policy's source: load it with pnfs.load(source [, name]) (lunatik-ng pnfs load FILE)")
        } else {
            policy_states::unload(None)
        }
    }

    fn load_policy(&self, source: &[u8], name: &[u8], export: &[u8], err: &mut [u8]) -> core::result::Result<(), usize> {
        policy_states::load(source, name, export, err)
    }

    fn unload_policy(&self, export: Option<&[u8]>) -> core::result::Result<(), &'static CStr> {
        policy_states::unload(export)
    }

    fn policy_eval(&self, code: &[u8], out: &mut [u8]) -> core::result::Result<usize, &'static CStr> {
        policy_states::eval(code, out)
    }

    fn policy_info(&self) -> Option<PolicyInfo> {
        policy_states::info()
    }

    fn set_dataservers(&self, list: &CStr, err: &mut [u8]) -> core::result::Result<(), usize> {
        const NFSD: &[u8] = b"nfsd refused the data-server list: ";
        let n = copy_bytes(err, NFSD);
        let why = &mut err[n..];
        // SAFETY: `list` is NUL-terminated; nfsd copies what it keeps and
        // writes at most `why.len()` bytes (NUL included) into `why`.
        let ret = unsafe {
            c::lunatik_nfsd_set_dataservers(list.as_ptr().cast(), why.as_mut_ptr().cast(), why.len())
        };
        if ret == 0 {
            return Ok(());
        }
        let len = why.iter().position(|&b| b == 0).unwrap_or(why.len());
        if len == 0 {
            return Err(n + copy_bytes(why, b"out of memory"));
        }
        Err(n + len)
    }

    fn dataservers(&self, out: &mut [u8]) -> usize {
        // SAFETY: `out` is writable for its length.
        let n = unsafe { c::lunatik_nfsd_get_dataservers(out.as_mut_ptr().cast(), out.len()) };
        (n.max(0) as usize).min(out.len())
    }

    fn stats(&self) -> Stats {
        stats()
    }
}

fn record(ns: u64) {
    let i = RECENT_N.fetch_add(1, Ordering::Relaxed);
    RECENT_NS[i % RECENT].store(ns, Ordering::Relaxed);
    MAX_NS.fetch_max(ns, Ordering::Relaxed);
}

/// The counters of the Lua policy and of nfsd.
pub(crate) fn stats() -> Stats {
    let n = RECENT_N.load(Ordering::Relaxed).min(RECENT);
    let mut recent = [0u64; RECENT];
    for (i, r) in recent.iter_mut().enumerate().take(n) {
        *r = RECENT_NS[i].load(Ordering::Relaxed);
    }
    recent[..n].sort_unstable();
    let mut nfsd = bindings::nfsd_pnfs_policy_stats::default();
    // SAFETY: fills the structure.
    unsafe { c::lunatik_nfsd_stats(&mut nfsd) };
    Stats {
        decisions: DECISIONS.load(Ordering::Relaxed),
        errors: ERRORS.load(Ordering::Relaxed),
        fallbacks: FALLBACKS.load(Ordering::Relaxed),
        median_ns: if n > 0 { recent[n / 2] } else { 0 },
        max_ns: MAX_NS.load(Ordering::Relaxed),
        max_wait_ns: MAX_WAIT_NS.load(Ordering::Relaxed),
        nfsd_policy: nfsd.policy,
        nfsd_builtin: nfsd.builtin,
        nfsd_failed: nfsd.failed,
        nfsd_rejected: nfsd.rejected,
        nfsd_device_fallback: nfsd.device_fallback,
        nfsd_recalls: nfsd.recalls,
        nfsd_devices: nfsd.devices,
    }
}

/// The `pnfs_stats` parameter file of the module.
///
/// # Safety
/// `buf` is writable for `size` bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn lunatik_pnfs_stats_text(buf: *mut c_char, size: usize) -> c_int {
    // SAFETY: the parameter code passes a page of `size` bytes.
    let buf = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), size) };
    let s = stats();
    let mut t = Text::new(buf);
    let _ = writeln!(
        t,
        "decisions {} errors {} fallbacks {} median_ns {} max_ns {} max_wait_ns {} nfsd_policy {} nfsd_builtin {} nfsd_failed {} nfsd_rejected {}",
        s.decisions, s.errors, s.fallbacks, s.median_ns, s.max_ns, s.max_wait_ns,
        s.nfsd_policy, s.nfsd_builtin, s.nfsd_failed, s.nfsd_rejected
    );
    if let Some(p) = policy_states::info() {
        t.len = t.len.saturating_sub(1);
        let _ = write!(t, " policy_states {} policy_memory {} policy_loaded {} policy_sha1 ", p.states, p.memory, p.loaded);
        for b in p.sha1 {
            let _ = write!(t, "{b:02x}");
        }
        let name = core::str::from_utf8(p.name()).unwrap_or("(not UTF-8)");
        let _ = writeln!(t, " policy {name}");
    }
    t.len as c_int
}

/// nfsd's call for one file: 0 with `layout` filled, or an error (nfsd
/// then uses its built-in layout).
pub(crate) unsafe extern "C" fn layout(
    file: *const bindings::nfsd_pnfs_file,
    out: *mut bindings::nfsd_pnfs_layout,
) -> c_int {
    // SAFETY: nfsd passes valid pointers for the duration of the call.
    let (file, out) = unsafe { (&*file, &mut *out) };
    let export = if file.export_path.is_null() {
        &[][..]
    } else {
        // SAFETY: nfsd's NUL-terminated path of the export, valid during
        // the call.
        unsafe { CStr::from_ptr(file.export_path.cast()) }.to_bytes()
    };
    let Some(set) = policy_states::current(export) else {
        // No policy for this export (others have one): nfsd's own layout,
        // which it counts as built-in, not as a failure.
        return -(bindings::ENODATA as c_int);
    };
    let p = params();
    let budget = Budget {
        instructions: p.max_policy_instructions.min(i64::MAX as u64) as i64,
        cpu_ms: p.max_policy_ms,
    };
    let w0 = platform::now_ns();
    let vm = set.pick(p.policy_lock_ms.min(u64::from(u32::MAX)) as u32);
    MAX_WAIT_NS.fetch_max(platform::now_ns() - w0, Ordering::Relaxed);
    let Some(mut vm) = vm else {
        FALLBACKS.fetch_add(1, Ordering::Relaxed);
        return -(bindings::EBUSY as c_int);
    };

    let mut client = [0u8; 64];
    // SAFETY: `file.client` is nfsd's address of the client; the buffer
    // is writable for its size.
    let n = unsafe {
        c::lunatik_format_addr(file.client.cast(), client.as_mut_ptr().cast(), client.len())
    };
    let fh = if file.fh.is_null() {
        &[][..]
    } else {
        // SAFETY: nfsd's filehandle, `fh_len` bytes.
        unsafe { core::slice::from_raw_parts(file.fh, file.fh_len as usize) }
    };
    let name = (!file.name.is_null()).then(|| {
        // SAFETY: the dentry name snapshot nfsd holds during the call.
        unsafe { core::slice::from_raw_parts(file.name.cast::<u8>(), file.name_len as usize) }
    });
    let info = FileInfo {
        ino: file.ino,
        fh,
        size: file.size,
        uid: file.uid,
        gid: file.gid,
        name,
        client: &client[..(n.max(0) as usize).min(client.len())],
        export,
        rw: file.iomode == IOMODE_RW,
        offset: file.offset,
        length: file.length,
        servers: file.ds_count,
    };

    let mut answer = Layout::new();
    let t0 = platform::now_ns();
    let ok = match lib::decide(&mut vm, budget, &info, &mut answer) {
        Ok(()) => true,
        Err(failure) => {
            // The first errors, then one in a thousand, go to the log.
            let errors = ERRORS.fetch_add(1, Ordering::Relaxed);
            if errors < 10 || errors % 1000 == 0 {
                pr_warn!(
                    "layout policy failed, nfsd uses its built-in layout: {}\n",
                    core::str::from_utf8(failure.message).unwrap_or("(message not UTF-8)")
                );
            }
            false
        }
    };
    let ns = platform::now_ns() - t0;
    record(ns);
    drop(vm);
    // SAFETY: the filehandle and the answer's servers are valid for their
    // lengths (the tracepoint copies at most 8 servers).
    unsafe {
        c::lunatik_trace_decision(
            file.ino,
            fh.as_ptr(),
            fh.len() as u32,
            answer.stripe_unit,
            answer.first_stripe_index,
            answer.count,
            answer.ds.as_ptr(),
            if ok { 0 } else { -(bindings::EIO as c_int) },
            ns,
        )
    };

    if !ok {
        return -(bindings::EIO as c_int);
    }
    DECISIONS.fetch_add(1, Ordering::Relaxed);
    out.stripe_unit = answer.stripe_unit;
    out.first_stripe_index = answer.first_stripe_index;
    out.count = answer.count;
    out.ds = answer.ds;
    0
}
