// SPDX-License-Identifier: GPL-2.0

//! Policy states (docs/pnfs.md, "Policy states"): the states nfsd decides
//! layouts in, apart from the default state that SYS_lua runs in.
//!
//! Loading a policy (`pnfs.load` in the default state) compiles its source
//! into a new set of states, one per online CPU, each with its own lock,
//! limits and memory cap. Only when every state loaded it (and registered a
//! layout function) is the set swapped in, atomically: the set is published
//! with RCU, and a decision takes a reference on it (inside an RCU read
//! section) before it picks a state, so the old set is freed by whoever
//! drops the last reference: the swap, or the last decision that used it.
//!
//! A decision takes a seat (one per state, waiters served in arrival
//! order, bounded) and then the state of the CPU it runs on, or any other
//! free one: every holder of a state holds a seat, so while a decision
//! holds one a state is free, and a decision waits only when all are busy,
//! for whichever frees first. SYS_lua never takes a policy state's lock
//! (but for `pnfs.eval`, which runs code in each of them, and the stats,
//! which only try).

use core::ffi::CStr;
use core::fmt::Write;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use kernel::prelude::*;

use crate::exec::{self, Out};
use crate::host::{Host, PolicyInfo, Stats};
use crate::kernel_c::{self as c, params};
use crate::libs::pnfs::{self as lib, MAX_EXPORT, MAX_NAME};
use crate::locked::{Guard, Locked, Seat, Seats};
use crate::nfsd_host;
use crate::platform;
use crate::text::Text;
use crate::vm::{Budget, Limits, Vm};

/// A loaded policy: its states and what the stats show of it.
pub(crate) struct PolicySet {
    refs: AtomicUsize,
    states: KVec<KBox<Locked>>,
    /// One per state; whoever holds a state holds a seat.
    seats: Seats,
    info: PolicyInfo,
    /// The export whose files it decides; empty: every export without a
    /// policy of its own.
    export: [u8; MAX_EXPORT],
    export_len: usize,
}

impl PolicySet {
    fn export(&self) -> &[u8] {
        &self.export[..self.export_len]
    }
}

/// Policies loaded at once (one for every export, the others per export).
const SLOTS: usize = 8;

/// The sets deciding now (null: a free slot). Written only by `load` and
/// `unload`, which run in the default state (SYS_lua), one at a time.
#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: AtomicPtr<PolicySet> = AtomicPtr::new(core::ptr::null_mut());
static CURRENT: [AtomicPtr<PolicySet>; SLOTS] = [EMPTY; SLOTS];

/// A reference on a set, dropped when the decision using it ends.
pub(crate) struct SetRef(&'static PolicySet);

impl core::ops::Deref for SetRef {
    type Target = PolicySet;

    fn deref(&self) -> &PolicySet {
        self.0
    }
}

impl Drop for SetRef {
    fn drop(&mut self) {
        release(self.0);
    }
}

/// Drops a reference; the last one frees the set (its states are closed).
fn release(set: &PolicySet) {
    if set.refs.fetch_sub(1, Ordering::AcqRel) == 1 {
        let p = core::ptr::from_ref(set).cast_mut();
        // SAFETY: the set was leaked from a `KBox` by `swap`, and this was
        // its last reference: no one can reach it any more.
        drop(unsafe { KBox::from_raw(p) });
    }
}

/// The set deciding for `export` now (its own, else the one for every
/// export), with a reference held, or `None`; `export` empty: the one for
/// every export, else any.
pub(crate) fn current(export: &[u8]) -> Option<SetRef> {
    // SAFETY: an RCU read section; nothing in it sleeps.
    unsafe { c::lunatik_rcu_read_lock() };
    // the export's own policy, else the one for every export; with no
    // export given, the one for every export, else any
    let rank = |set: &PolicySet| match () {
        _ if !export.is_empty() && set.export() == export => 3,
        _ if set.export_len == 0 => 2,
        _ if export.is_empty() => 1,
        _ => 0,
    };
    let mut found: Option<&PolicySet> = None;
    for slot in CURRENT.iter() {
        let p = slot.load(Ordering::Acquire);
        if p.is_null() {
            continue;
        }
        // SAFETY: a set is freed only after `swap` unpublished it and an
        // RCU grace period passed, so one loaded in this read section is
        // alive.
        let set = unsafe { &*p };
        if rank(set) > found.map_or(0, rank) {
            found = Some(set);
        }
    }
    let r = found.map(|set| {
        // `CURRENT` still owns one reference: the count is at least 1
        // while we add ours.
        set.refs.fetch_add(1, Ordering::AcqRel);
        SetRef(set)
    });
    // SAFETY: ends the read section begun above.
    unsafe { c::lunatik_rcu_read_unlock() };
    r
}

/// Whether any policy is loaded.
fn any_loaded() -> bool {
    CURRENT.iter().any(|s| !s.load(Ordering::Acquire).is_null())
}

/// The slot of the policy for `export`, if one is loaded.
fn slot_of(export: &[u8]) -> Option<&'static AtomicPtr<PolicySet>> {
    CURRENT.iter().find(|s| {
        let p = s.load(Ordering::Acquire);
        // SAFETY: only `load` and `unload` (this caller) replace sets, so
        // a published one stays alive here.
        !p.is_null() && unsafe { &*p }.export() == export
    })
}

/// Publishes `new` (or nothing) in `slot` and drops the reference the slot
/// held on the old set, after every decision that may have seen it took
/// its own. nfsd recalls the layouts only when the slot changed (an
/// unload of every policy met 8 slots, most of them empty: 9 recalls of
/// every layout in a row).
fn swap(slot: &AtomicPtr<PolicySet>, new: Option<KBox<PolicySet>>) {
    let p = new.map_or(core::ptr::null_mut(), KBox::into_raw);
    let old = slot.swap(p, Ordering::AcqRel);
    if old.is_null() && p.is_null() {
        return;
    }
    if !old.is_null() {
        // SAFETY: waits for the RCU readers that may have loaded `old`.
        unsafe { c::lunatik_synchronize_rcu() };
        // SAFETY: `old` was published by an earlier swap and its
        // `CURRENT` reference is dropped exactly once, here.
        release(unsafe { &*old });
    }
    // SAFETY: takes nfsd's own locks only, and nfsd never waits for ours
    // (a SYS_lua caller holds the default state's semaphore here).
    unsafe { c::lunatik_nfsd_policy_changed() };
}

/// Unloads the policy at module exit (nfsd no longer calls the module).
pub(crate) struct Owner;

impl Drop for Owner {
    fn drop(&mut self) {
        for slot in CURRENT.iter() {
            swap(slot, None);
        }
    }
}

/// A policy state held for a decision, and its seat: the state is given
/// back first (fields drop in order), so the next seated decision finds it.
pub(crate) struct Held<'a> {
    vm: Guard<'a>,
    _seat: Seat<'a>,
}

impl core::ops::Deref for Held<'_> {
    type Target = Vm;

    fn deref(&self) -> &Vm {
        &self.vm
    }
}

impl core::ops::DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut Vm {
        &mut self.vm
    }
}

impl PolicySet {
    /// A state for a decision, within `wait_ms`: a seat, then this CPU's
    /// state or another free one.
    pub(crate) fn pick(&self, wait_ms: u32) -> Option<Held<'_>> {
        let deadline = platform::now_ns() + u64::from(wait_ms) * 1_000_000;
        let seat = self.seats.take_within(wait_ms)?;
        // With a seat held a state is free at every moment, but one scan
        // tries each state once while others come and go (a state freed
        // behind it, the next one taken before it): scan again, each miss
        // having been someone else's hit, within the same bound.
        loop {
            if let Some(vm) = self.free_state() {
                return Some(Held { vm, _seat: seat });
            }
            if platform::now_ns() > deadline {
                return None;
            }
            core::hint::spin_loop();
        }
    }

    /// A free state, this CPU's first, or none if each one tried was busy.
    fn free_state(&self) -> Option<Guard<'_>> {
        let n = self.states.len();
        // SAFETY: reads the CPU number (a hint: the thread may move).
        let me = unsafe { c::lunatik_cpu_id() } as usize % n.max(1);
        (0..n).find_map(|k| self.states[(me + k) % n].lock_within(0))
    }
}

/// What a policy state may ask of the server: nothing that changes it.
struct PolicyHost;

static POLICY_HOST: PolicyHost = PolicyHost;

impl Host for PolicyHost {
    fn set_policy(&self, _active: bool) -> core::result::Result<(), &'static CStr> {
        // The layout function stays in this state, where nfsd asks it.
        Ok(())
    }

    fn set_dataservers(&self, _list: &CStr, err: &mut [u8]) -> core::result::Result<(), usize> {
        Err(crate::libs::copy_bytes(
            err,
            b"a policy cannot change the data-server list: set it from the default state (pnfs.set_dataservers in SYS_lua)",
        ))
    }

    fn dataservers(&self, out: &mut [u8]) -> usize {
        nfsd_host::NFSD.dataservers(out)
    }

    fn stats(&self) -> Stats {
        nfsd_host::stats()
    }
}

/// The limits of a policy state: the memory cap of every state, and the
/// decision's budget.
fn policy_limits() -> Limits {
    let p = params();
    Limits {
        memory: p.max_memory as usize,
        instructions: p.max_policy_instructions.min(i64::MAX as u64) as i64,
        cpu_ms: p.max_policy_ms,
    }
}

/// What loading may spend in each state: a SYS_lua call's budget.
fn load_budget() -> Budget {
    let p = params();
    Budget {
        instructions: p.max_instructions.min(i64::MAX as u64) as i64,
        cpu_ms: p.max_call_ms,
    }
}

/// Writes `msg` into `err`; the length written.
fn message(err: &mut [u8], msg: &[u8]) -> usize {
    Text::new(err).push(msg).len
}

/// `pnfs.load`: builds a set from `source` and swaps it in; on a failure,
/// the message in `err` and the running policy untouched.
pub(crate) fn load(source: &[u8], name: &[u8], export: &[u8], err: &mut [u8]) -> core::result::Result<(), usize> {
    let slot = slot_of(export)
        .or_else(|| CURRENT.iter().find(|s| s.load(Ordering::Acquire).is_null()))
        .ok_or_else(|| message(err, b"8 policies are loaded already: unload one first (pnfs.unload(export))"))?;
    // SAFETY: reads the number of online CPUs.
    let n = (unsafe { c::lunatik_online_cpus() } as usize).clamp(1, 64);
    let mut states = KVec::with_capacity(n, GFP_KERNEL)
        .map_err(|_| message(err, b"out of memory for the policy states"))?;
    let limits = policy_limits();
    let budget = load_budget();
    for i in 0..n {
        let mut vm = Vm::open(limits, &POLICY_HOST)
            .map_err(|_| message(err, b"out of memory for a policy state"))?;
        if let Err(e) = lib::load_state(&mut vm, budget, source, i as i64 + 1) {
            let mut t = Text::new(err);
            let _ = write!(t, "policy state {}: ", i + 1);
            return Err(t.push(e.message()).len);
        }
        let locked = Locked::new(vm).map_err(|_| message(err, b"out of memory for a policy state"))?;
        states
            .push(locked, GFP_KERNEL)
            .map_err(|_| message(err, b"out of memory for the policy states"))?;
    }
    let mut info = PolicyInfo {
        name: [0; MAX_NAME],
        name_len: 0,
        sha1: [0; 20],
        states: n as u32,
        memory: 0,
        // SAFETY: reads the clock.
        loaded: unsafe { c::lunatik_real_seconds() },
    };
    info.name_len = crate::libs::copy_bytes(&mut info.name, name);
    let seats = Seats::new(n as u32).map_err(|_| message(err, b"out of memory for the policy states"))?;
    platform::sha1(source, &mut info.sha1);
    let mut set = KBox::new(
        PolicySet {
            refs: AtomicUsize::new(1),
            states,
            seats,
            info,
            export: [0; MAX_EXPORT],
            export_len: 0,
        },
        GFP_KERNEL,
    )
    .map_err(|_| message(err, b"out of memory for the policy set"))?;
    set.export_len = crate::libs::copy_bytes(&mut set.export, export);
    if let Err(m) = nfsd_host::NFSD.set_policy(true) {
        return Err(message(err, m.to_bytes()));
    }
    swap(slot, Some(set));
    Ok(())
}

/// `pnfs.unload([export])`: the policy of `export`, or every one; nfsd is
/// back to its built-in layout when none is left.
pub(crate) fn unload(export: Option<&[u8]>) -> core::result::Result<(), &'static CStr> {
    match export {
        Some(e) => swap(slot_of(e).ok_or(c"no policy is loaded for this export")?, None),
        None => {
            for slot in CURRENT.iter() {
                swap(slot, None);
            }
        }
    }
    if !any_loaded() {
        nfsd_host::NFSD.set_policy(false)?;
    }
    Ok(())
}

/// Writes each state's results after the previous ones.
struct Tail<'a> {
    out: &'a mut [u8],
    from: usize,
}

impl Out for Tail<'_> {
    fn capacity(&self) -> usize {
        self.out.len().saturating_sub(self.from)
    }

    fn write(&mut self, at: usize, bytes: &[u8]) -> bool {
        if let Some(dst) = self.out.get_mut(self.from + at..) {
            crate::libs::copy_bytes(dst, bytes);
        }
        true
    }
}

/// `pnfs.eval`: `code` in every state of the current set, one line each.
pub(crate) fn eval(code: &[u8], out: &mut [u8]) -> core::result::Result<usize, &'static CStr> {
    let set = current(b"").ok_or(c"no policy is loaded (pnfs.load)")?;
    let budget = load_budget();
    let mut len = 0;
    for state in set.0.states.iter() {
        // this state, not any: a seat first all the same, or a decision
        // seated while it runs might find no state free
        let seat = set.0.seats.take_killable().map_err(|_| c"interrupted")?;
        let mut vm = state.lock_killable().map_err(|_| c"interrupted")?;
        let mut tail = Tail { out, from: len };
        let report = exec::exec(&mut vm, budget, code, c"=eval", &mut tail);
        drop(vm);
        drop(seat);
        len = (len + report.len).min(out.len().saturating_sub(1));
        if let Some(b) = out.get_mut(len) {
            *b = b'\n';
            len += 1;
        }
    }
    Ok(len.min(out.len()))
}

/// The loaded policy, with the memory its states hold now.
pub(crate) fn info() -> Option<PolicyInfo> {
    let set = current(b"")?;
    let mut info = set.0.info;
    info.memory = set
        .0
        .states
        .iter()
        .filter_map(|s| {
            // a seat too, as in `eval`; none free: left out as busy
            let _seat = set.0.seats.take_within(0)?;
            s.lock_within(0).map(|vm| vm.used() as u64)
        })
        .sum();
    Some(info)
}
