//! The argument part of the SYS_lua fuzzer: each sub-seed is one call
//! whose code and result pointers lie in an arena of pages of known
//! protection (read-write, read-only, PROT_NONE, unmapped, guards), or at
//! NULL, kernel and non-canonical addresses, with sizes at and around each
//! limit of the ABI; and the answer docs/syscall.md requires of it, worked
//! out from the arena's layout in the order the kernel checks (EINVAL,
//! E2BIG, the result buffer, the code).
//!
//! The model is plain functions of the layout (`accessible`, `predict`,
//! `expect`), so the host tests check it against real mappings.

use std::fmt;
use std::ptr;

use super::gen::Rng;
use super::{Limits, Slot, Verdict};
use crate::sys::{abi, raw};

pub const PAGE: usize = 4096;

/// What the kernel may do with one page of an arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prot {
    Rw,
    Ro,
    /// Mapped with PROT_NONE.
    None,
    /// A hole: unmapped after the arena was made.
    Unmapped,
}

/// Read-write pages in a row: a buffer of `CODE_MAX` or `RESULT_MAX` bytes
/// fits in them from any offset of the first.
pub const BIG: usize = {
    let max = if abi::CODE_MAX > abi::RESULT_MAX {
        abi::CODE_MAX
    } else {
        abi::RESULT_MAX
    };
    max / PAGE + 1
};

/// The longest buffer the kernel reads or writes.
pub const MAX_LEN: usize = (BIG - 1) * PAGE;

/// The pages after the big run: each kind of bad neighbour for a buffer
/// that starts in good memory (a read-only page after read-write memory,
/// PROT_NONE after read-only, a hole after read-write, the last guard after
/// read-only).
const TAIL: [Prot; 6] = [
    Prot::Ro,
    Prot::None,
    Prot::Rw,
    Prot::Unmapped,
    Prot::Rw,
    Prot::Ro,
];

/// The pages of an arena: a PROT_NONE guard, the big run, the tail, a guard.
pub const PAGES: usize = 1 + BIG + TAIL.len() + 1;

/// The protection of page `i` of an arena.
pub fn prot(i: usize) -> Prot {
    match i {
        0 => Prot::None,
        i if i <= BIG => Prot::Rw,
        i => TAIL.get(i - 1 - BIG).copied().unwrap_or(Prot::None),
    }
}

fn page_ok(i: usize, write: bool) -> bool {
    match prot(i) {
        Prot::Rw => true,
        Prot::Ro => !write,
        Prot::None | Prot::Unmapped => false,
    }
}

/// Whether the kernel can read (`write`: write) bytes `off..off + len` of
/// an arena. A range that runs past the arena crosses its last guard.
pub fn accessible(off: usize, len: usize, write: bool) -> bool {
    if len == 0 {
        return true;
    }
    match off.checked_add(len) {
        Some(end) if end <= PAGES * PAGE => {
            (off / PAGE..=(end - 1) / PAGE).all(|p| page_ok(p, write))
        }
        _ => false,
    }
}

/// Where a buffer starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    /// At this offset of the caller's arena.
    Arena(usize),
    /// At this address, which is no user memory of ours.
    Addr(usize),
}

/// Addresses that are not user memory: NULL and the pages below
/// `mmap_min_addr`, the last page of user space and past it (the kernel's
/// `access_ok` refuses them), non-canonical, the kernel's direct map and
/// text, the vsyscall page, and the top of the address space (a size
/// wraps around).
pub const SPECIAL: [usize; 10] = [
    0,
    1,
    PAGE - 1,
    0x7fff_ffff_f000,
    0x7fff_ffff_ffff,
    0x8000_0000_0000,
    0xffff_8880_0000_0000,
    0xffff_ffff_8100_0000,
    0xffff_ffff_ff60_0000,
    usize::MAX - 7,
];

/// How a buffer lies, as the generator claims (the host tests check the
/// claims against real mappings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// In read-write memory.
    Valid,
    /// In read-write memory, across a page boundary.
    Straddles,
    /// Starts in memory the kernel may use (readable for code, writable
    /// for a result) and runs into a page it may not.
    PartlyMapped,
    /// Starts in a read-only page.
    ReadOnly,
    /// Starts in a page that cannot be read (PROT_NONE, unmapped, a guard).
    NoAccess,
    /// At one of [`SPECIAL`].
    Special,
}

const SHAPES: [Shape; 6] = [
    Shape::Valid,
    Shape::Straddles,
    Shape::PartlyMapped,
    Shape::ReadOnly,
    Shape::NoAccess,
    Shape::Special,
];

/// Pages where a buffer that starts just before them and is usable there
/// stops being usable.
fn bad_after_good(write: bool) -> Vec<usize> {
    (1..PAGES)
        .filter(|&q| !page_ok(q, write) && page_ok(q - 1, write))
        .collect()
}

fn pages_where(f: impl Fn(Prot) -> bool) -> Vec<usize> {
    (0..PAGES).filter(|&i| f(prot(i))).collect()
}

/// A start for a buffer of `len` bytes (at least 1) of `shape`, for the
/// kernel to read (`write`: write). A shape that cannot hold `len` bytes
/// (straddling with one byte) gives another; the shape given is returned.
pub fn place(rng: &mut Rng, shape: Shape, len: usize, write: bool) -> (At, Shape) {
    let len = len.clamp(1, MAX_LEN);
    // The read-write run is pages 1..=BIG.
    let run = (PAGE, (BIG + 1) * PAGE);
    let offset = |rng: &mut Rng| match rng.below(5) {
        0 => 0,
        1 => PAGE - 1,
        // The buffer ends at a page boundary.
        2 => (PAGE - len % PAGE) % PAGE,
        _ => rng.below(PAGE),
    };
    match shape {
        Shape::Valid => {
            let last = run.1 - len;
            let page = rng.below((last - run.0) / PAGE + 1);
            let start = (run.0 + page * PAGE + offset(rng)).min(last);
            (At::Arena(start), shape)
        }
        Shape::Straddles if len >= 2 => {
            // k bytes before a page boundary, the rest after it.
            let k = 1 + rng.below((len - 1).min(PAGE));
            let rest = (len - k).div_ceil(PAGE);
            let boundary = 2 + rng.below(BIG - rest);
            (At::Arena(boundary * PAGE - k), shape)
        }
        Shape::PartlyMapped if len >= 2 => {
            let bad = bad_after_good(write);
            let q = bad[rng.below(bad.len())];
            let k = 1 + rng.below((len - 1).min(PAGE));
            (At::Arena(q * PAGE - k), shape)
        }
        Shape::Straddles | Shape::PartlyMapped => place(rng, Shape::Valid, len, write),
        Shape::ReadOnly => {
            let ro = pages_where(|p| p == Prot::Ro);
            let q = ro[rng.below(ro.len())];
            let off = if rng.one_in(2) { 0 } else { offset(rng) };
            (At::Arena(q * PAGE + off), shape)
        }
        Shape::NoAccess => {
            let none = pages_where(|p| matches!(p, Prot::None | Prot::Unmapped));
            let q = none[rng.below(none.len())];
            (At::Arena(q * PAGE + offset(rng)), shape)
        }
        Shape::Special => (At::Addr(SPECIAL[rng.below(SPECIAL.len())]), shape),
    }
}

/// A text of the answer: exact bytes, or one byte repeated.
#[derive(Clone, PartialEq, Eq)]
pub enum Text {
    Exact(Vec<u8>),
    Repeat(u8, usize),
}

impl Text {
    fn len(&self) -> usize {
        match self {
            Text::Exact(t) => t.len(),
            Text::Repeat(_, n) => *n,
        }
    }

    /// Whether `got` is this text's first `got.len()` bytes.
    fn starts(&self, got: &[u8]) -> bool {
        match self {
            Text::Exact(t) => t.get(..got.len()) == Some(got),
            Text::Repeat(b, n) => got.len() <= *n && got.iter().all(|c| c == b),
        }
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Exact(t) => write!(f, "{:?}", String::from_utf8_lossy(t)),
            Text::Repeat(b, n) => write!(f, "{:?} x {n}", char::from(*b)),
        }
    }
}

/// What a chunk does when it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Returns(Text),
    Raises(Text),
    /// A Lua error whose message holds one of these.
    RaisesWith(&'static [&'static str]),
    /// A Lua error with any message.
    AnyError,
    /// A value or an error.
    Any,
}

/// What docs/syscall.md requires of a call (ENOSYS is always allowed:
/// the module may be unloading).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    Errno(i32),
    /// The code runs; ENOMEM is allowed too (the copy of the code).
    Runs(Answer),
}

/// A code of read-only pages (written before they are protected).
pub const RO_TEXT: &[u8] = b"return 'read-only'";

/// The byte every code arena is filled with: spaces are an empty chunk.
pub const BLANK: u8 = b' ';

/// What the chunk `code` (the bytes the kernel reads) answers, given the
/// texts the arena may hold and their answers.
pub fn predict(code: &[u8], known: &[(&[u8], Answer)]) -> Answer {
    // One trailing NUL is ignored.
    let code = code.strip_suffix(b"\0").unwrap_or(code);
    // load() refuses a binary chunk by its first byte.
    if code.first() == Some(&0x1b) {
        return Answer::RaisesWith(&["binary"]);
    }
    let (head, nul) = match code.iter().position(|&b| b == 0) {
        Some(i) => (&code[..i], true),
        None => (code, false),
    };
    let blank = |b: &[u8]| b.iter().all(|&c| c == BLANK);
    let base = if blank(head) {
        Some(Answer::Returns(Text::Exact(Vec::new())))
    } else {
        known
            .iter()
            .find(|(t, _)| head.starts_with(t) && blank(&head[t.len()..]))
            .map(|(_, a)| a.clone())
    };
    match (base, nul) {
        // A NUL after a whole chunk: "<eof> expected" or "unexpected symbol".
        (Some(_), true) => Answer::AnyError,
        (Some(a), false) => a,
        (None, _) => Answer::Any,
    }
}

/// The bytes a code arena holds: its image in our memory, so that the
/// bytes a call reads are known.
pub struct Image(Vec<u8>);

impl Default for Image {
    fn default() -> Self {
        let mut v = vec![BLANK; PAGES * PAGE];
        for p in pages_where(|p| p == Prot::Ro) {
            v[p * PAGE..p * PAGE + RO_TEXT.len()].copy_from_slice(RO_TEXT);
        }
        Image(v)
    }
}

impl Image {
    /// How many of `len` bytes from `off` lie in read-write pages, in a row.
    fn writable_run(off: usize, len: usize) -> usize {
        let mut n = 0;
        while n < len && off + n < PAGES * PAGE && prot((off + n) / PAGE) == Prot::Rw {
            n += PAGE - (off + n) % PAGE;
        }
        n.min(len)
    }

    /// Puts what of `bytes` fits at `off` (in read-write pages); returns
    /// the count put.
    pub fn put(&mut self, off: usize, bytes: &[u8]) -> usize {
        let n = Self::writable_run(off, bytes.len());
        self.0[off..off + n].copy_from_slice(&bytes[..n]);
        n
    }

    /// Puts the bytes of case `c` at its code (where they fit); returns
    /// the count put.
    pub fn put_case(&mut self, c: &Case) -> usize {
        match c.code {
            At::Arena(off) => self.put(off, &c.bytes),
            At::Addr(_) => 0,
        }
    }

    /// Blanks `n` bytes from `off` again.
    pub fn clear(&mut self, off: usize, n: usize) {
        self.0[off..off + n].fill(BLANK);
    }

    pub fn bytes(&self, off: usize, len: usize) -> &[u8] {
        &self.0[off..off + len]
    }
}

/// One call of the fuzzer.
#[derive(Clone, Debug)]
pub struct Case {
    pub seed: u64,
    /// The chunk, then padding (put at the code's start where it fits).
    pub bytes: Vec<u8>,
    /// The chunk's length in `bytes`.
    pub chunk: usize,
    /// What the chunk alone answers.
    pub answer: Answer,
    pub code: At,
    pub code_shape: Shape,
    pub code_sz: usize,
    pub result: At,
    pub result_shape: Shape,
    pub result_sz: usize,
}

/// A chunk that runs until its budget or CPU time stops it.
const SPIN: &str = "local n = 0 while true do n = n + 1 end";

/// A chunk and its answer, for a result buffer of `result_sz` bytes or
/// (None) one chosen later.
fn chunk(rng: &mut Rng, result_sz: Option<usize>) -> (Vec<u8>, Answer) {
    let exact = |s: &str| Text::Exact(s.as_bytes().to_vec());
    if let Some(sz) = result_sz {
        // A text of about the capacity: cut, or just fitting.
        let cap = abi::capacity(sz);
        let n = (cap + rng.below(4)).saturating_sub(2);
        let code = format!("return string.rep('x', {n})");
        return (code.into_bytes(), Answer::Returns(Text::Repeat(b'x', n)));
    }
    let (code, answer): (&[u8], Answer) = match rng.below(8) {
        0 | 1 => (b"return 1", Answer::Returns(exact("1"))),
        2 => (
            b"return 'fuzz', 2, nil, true",
            Answer::Returns(exact("fuzz\t2\tnil\ttrue")),
        ),
        3 => (b"return", Answer::Returns(exact(""))),
        4 => (b"error('boom')", Answer::Raises(exact("lua:1: boom"))),
        5 => (b"error('boom', 0)", Answer::Raises(exact("boom"))),
        6 => (b"return 1 +", Answer::AnyError),
        // Rare: it holds the state for max_call_ms.
        _ if rng.one_in(32) => (
            SPIN.as_bytes(),
            Answer::RaisesWith(&["exhausted", "exceeded"]),
        ),
        _ => (
            b"\x1bLua\x54\x00\x19\x93\r\n\x1a\nAAAA",
            Answer::RaisesWith(&["binary"]),
        ),
    };
    (code.to_vec(), answer)
}

fn answer_len(a: &Answer) -> usize {
    match a {
        Answer::Returns(t) | Answer::Raises(t) => t.len(),
        _ => 64,
    }
}

/// Sizes at and around the limits (and the text's own length `n`).
fn size(rng: &mut Rng, n: usize, max: usize) -> usize {
    let edges = [
        0,
        1,
        2,
        n.saturating_sub(1),
        n,
        n + 1,
        PAGE - 1,
        PAGE,
        PAGE + 1,
        max - 1,
        max,
        max + 1,
        1 << 32,
        1 << 40,
        1 << 63,
        usize::MAX - 1,
        usize::MAX,
    ];
    edges[rng.below(edges.len())]
}

/// The case of a sub-seed: a function of the seed alone.
pub fn case(seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let repeat = rng.one_in(4);
    let (mut bytes, answer, result_sz) = if repeat {
        let sz = size(&mut rng, 256, abi::RESULT_MAX);
        let (b, a) = chunk(&mut rng, Some(sz));
        (b, a, sz)
    } else {
        let (b, a) = chunk(&mut rng, None);
        let n = answer_len(&a);
        let sz = if rng.one_in(2) {
            n + 1 + rng.below(64)
        } else {
            size(&mut rng, n + 1, abi::RESULT_MAX)
        };
        (b, a, sz)
    };
    let chunk = bytes.len();
    match rng.below(6) {
        0 => bytes.push(0),
        1 => bytes.extend_from_slice(b"\0return 2"),
        2 => bytes.extend((0..1 + rng.below(64)).map(|_| rng.next() as u8)),
        _ => {}
    }
    let code_sz = match rng.below(8) {
        0..=2 => chunk,
        3 => bytes.len(),
        4 => chunk + rng.below(2 * PAGE),
        _ => size(&mut rng, chunk, abi::CODE_MAX),
    };
    let (code_shape, result_shape) = if rng.one_in(2) {
        let good = [Shape::Valid, Shape::Straddles, Shape::ReadOnly];
        (good[rng.below(good.len())], good[rng.below(good.len() - 1)])
    } else {
        (
            SHAPES[rng.below(SHAPES.len())],
            SHAPES[rng.below(SHAPES.len())],
        )
    };
    let (code, code_shape) = place(&mut rng, code_shape, code_sz.min(abi::CODE_MAX), false);
    let (result, result_shape) = place(&mut rng, result_shape, abi::capacity(result_sz), true);
    Case {
        seed,
        bytes,
        chunk,
        answer,
        code,
        code_shape,
        code_sz,
        result,
        result_shape,
        result_sz,
    }
}

fn usable(at: At, len: usize, write: bool) -> bool {
    match at {
        At::Arena(off) => accessible(off, len, write),
        At::Addr(_) => false,
    }
}

/// The answer the call of `c` must give when the code arena holds `image`
/// (with the case's bytes put there), in the order the kernel checks.
pub fn expect(c: &Case, image: &Image) -> Expect {
    if c.code_sz == 0 || c.result_sz == 0 {
        return Expect::Errno(libc::EINVAL);
    }
    if c.code_sz > abi::CODE_MAX {
        return Expect::Errno(libc::E2BIG);
    }
    if !usable(c.result, abi::capacity(c.result_sz), true) {
        return Expect::Errno(libc::EFAULT);
    }
    let At::Arena(off) = c.code else {
        return Expect::Errno(libc::EFAULT);
    };
    if !accessible(off, c.code_sz, false) {
        return Expect::Errno(libc::EFAULT);
    }
    let known = [
        (&c.bytes[..c.chunk], c.answer.clone()),
        (RO_TEXT, Answer::Returns(Text::Exact(b"read-only".to_vec()))),
    ];
    Expect::Runs(predict(image.bytes(off, c.code_sz), &known))
}

pub fn errno_name(e: i32) -> String {
    match e {
        libc::EPERM => "EPERM".into(),
        libc::ENOSYS => "ENOSYS".into(),
        libc::EINVAL => "EINVAL".into(),
        libc::E2BIG => "E2BIG".into(),
        libc::EFAULT => "EFAULT".into(),
        libc::EINTR => "EINTR".into(),
        libc::ENOMEM => "ENOMEM".into(),
        e => format!("errno {e}"),
    }
}

/// The outcome class of a return value, for the counts.
pub fn class(ret: i64, errno: i32, cap: usize) -> String {
    if ret < 0 {
        return errno_name(errno);
    }
    let kind = if abi::is_lua_error(ret) {
        "Lua error"
    } else {
        "returned"
    };
    if abi::length(ret) >= cap {
        format!("{kind}, truncated")
    } else {
        kind.into()
    }
}

/// Why the answer (`ret`, `errno`, and the result buffer's capacity `out`
/// when the call ran) is not what `want` requires, if it is not.
pub fn judge(
    want: &Expect,
    ret: i64,
    errno: i32,
    out: Option<&[u8]>,
    limits: &Limits,
) -> Result<(), String> {
    if ret < 0 {
        let allowed = ret == -1
            && (errno == libc::ENOSYS
                || *want == Expect::Errno(errno)
                || (errno == libc::ENOMEM && matches!(want, Expect::Runs(_))));
        return if allowed {
            Ok(())
        } else {
            Err(format!("got {} ({ret}), want {want:?}", errno_name(errno)))
        };
    }
    let Expect::Runs(answer) = want else {
        return Err(format!("the call returned {ret:#x}, want {want:?}"));
    };
    let Some(out) = out else {
        return Err(format!(
            "the call returned {ret:#x} without a result buffer"
        ));
    };
    well_formed(ret, out, limits)?;
    let (len, err) = (abi::length(ret), abi::is_lua_error(ret));
    let text = &out[..len.min(out.len() - 1)];
    let cut = len >= out.len();
    let show = || String::from_utf8_lossy(&text[..text.len().min(200)]).into_owned();
    let good = match answer {
        Answer::Returns(t) => !err && len == t.len() && t.starts(text),
        Answer::Raises(t) => err && len == t.len() && t.starts(text),
        Answer::RaisesWith(words) => err && (cut || words.iter().any(|w| show().contains(w))),
        Answer::AnyError => err,
        Answer::Any => true,
    };
    if good {
        Ok(())
    } else {
        Err(format!(
            "got {} of {len} bytes {:?}, want {answer:?}",
            if err { "a Lua error" } else { "a return" },
            show()
        ))
    }
}

/// The checks of every answer of a call that ran: NUL-terminated within
/// the capacity, a bounded length, an error with a message (those of the
/// twin fuzzer, lua/tests/fuzz.rs).
pub fn well_formed(ret: i64, out: &[u8], limits: &Limits) -> Result<(), String> {
    let len = abi::length(ret);
    let end = len.min(out.len() - 1);
    if out[end] != 0 {
        return Err(format!(
            "no NUL at {end} (length {len}, capacity {})",
            out.len()
        ));
    }
    let bound = if abi::is_lua_error(ret) {
        limits.max_memory
    } else {
        limits.max_memory.saturating_mul(256)
    };
    if len > bound {
        return Err(format!("a text of {len} bytes"));
    }
    if abi::is_lua_error(ret) && len == 0 {
        return Err("a Lua error with an empty message".into());
    }
    Ok(())
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Arena(off) => write!(
                f,
                "arena+{off:#x} (page {} {:?}, offset {})",
                off / PAGE,
                prot(off / PAGE),
                off % PAGE
            ),
            At::Addr(a) => write!(f, "{a:#x}"),
        }
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chunk = String::from_utf8_lossy(&self.bytes[..self.chunk]);
        let pad = String::from_utf8_lossy(&self.bytes[self.chunk..]);
        write!(
            f,
            "sub-seed {}: code {chunk:?} + {pad:?} at {} ({:?}), code_sz {}; \
             result at {} ({:?}), result_sz {}",
            self.seed,
            self.code,
            self.code_shape,
            self.code_sz,
            self.result,
            self.result_shape,
            self.result_sz
        )
    }
}

/// The guard bytes around a result buffer: nothing may be written there.
const CANARY: u8 = 0xa5;
const CANARY_LEN: usize = 16;

/// An arena: `PAGES` pages protected as [`prot`] says, filled with `fill`
/// before they were protected. Unmapped when dropped.
pub struct Arena {
    map: *mut u8,
}

impl Arena {
    pub fn new(fill: &[u8]) -> Arena {
        assert_eq!(fill.len(), PAGES * PAGE);
        // SAFETY: a fresh anonymous mapping; we write only its own bytes,
        // then change the protection of its own pages.
        unsafe {
            let p = libc::mmap(
                ptr::null_mut(),
                PAGES * PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert!(p != libc::MAP_FAILED, "mmap of an arena failed");
            let map = p.cast::<u8>();
            ptr::copy_nonoverlapping(fill.as_ptr(), map, fill.len());
            for i in 0..PAGES {
                let page = map.add(i * PAGE).cast();
                let r = match prot(i) {
                    Prot::Rw => 0,
                    Prot::Ro => libc::mprotect(page, PAGE, libc::PROT_READ),
                    Prot::None => libc::mprotect(page, PAGE, libc::PROT_NONE),
                    Prot::Unmapped => libc::munmap(page, PAGE),
                };
                assert_eq!(r, 0, "protecting page {i} of an arena");
            }
            Arena { map }
        }
    }

    pub fn addr(&self, at: At) -> usize {
        match at {
            At::Arena(off) => self.map as usize + off,
            At::Addr(a) => a,
        }
    }

    /// Writes `bytes` at `off`.
    fn write(&mut self, off: usize, bytes: &[u8]) {
        assert!(accessible(off, bytes.len(), true));
        // SAFETY: the range is in read-write pages of our mapping (checked
        // just above against the layout the mapping was made with).
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), self.map.add(off), bytes.len()) };
    }

    /// The `len` bytes at `off`.
    fn read(&self, off: usize, len: usize) -> &[u8] {
        assert!(accessible(off, len, false));
        // SAFETY: the range is in readable pages of our mapping, which
        // lives as long as `self`.
        unsafe { std::slice::from_raw_parts(self.map.add(off), len) }
    }

    /// Canaries around a result buffer of `cap` bytes at `off`, where
    /// they can be written.
    fn canary_ranges(off: usize, cap: usize) -> [(usize, usize); 2] {
        let before = off.saturating_sub(CANARY_LEN);
        [
            (before, off - before),
            (off.saturating_add(cap), CANARY_LEN),
        ]
    }

    fn set_canaries(&mut self, off: usize, cap: usize) {
        for (at, n) in Self::canary_ranges(off, cap) {
            if accessible(at, n, true) {
                self.write(at, &[CANARY; CANARY_LEN][..n]);
            }
        }
    }

    fn canaries_intact(&self, off: usize, cap: usize) -> bool {
        Self::canary_ranges(off, cap).iter().all(|&(at, n)| {
            !accessible(at, n, true) || self.read(at, n).iter().all(|&b| b == CANARY)
        })
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: our own mapping (its holes included), not used after.
        unsafe { libc::munmap(self.map.cast(), PAGES * PAGE) };
    }
}

/// One caller thread's arenas: the code's, with its image, and the
/// result's.
pub struct Caller {
    code: Arena,
    image: Image,
    result: Arena,
}

impl Default for Caller {
    fn default() -> Self {
        let image = Image::default();
        Caller {
            code: Arena::new(&image.0),
            image,
            result: Arena::new(&vec![CANARY; PAGES * PAGE]),
        }
    }
}

impl Caller {
    /// Makes the call of sub-seed `seed` and judges its answer.
    pub fn call(&mut self, seed: u64, slot: &Slot, limits: &Limits, verbose: bool) -> Verdict {
        let c = case(seed);
        let put = self.image.put_case(&c);
        if let At::Arena(off) = c.code {
            self.code.write(off, &c.bytes[..put]);
        }
        let want = expect(&c, &self.image);
        let cap = abi::capacity(c.result_sz);
        if let At::Arena(off) = c.result {
            self.result.set_canaries(off, cap);
        }
        let code = self.code.addr(c.code) as *const u8;
        let result = self.result.addr(c.result) as *mut u8;
        let (took, (ret, errno)) = slot.timed(|| raw(code, c.code_sz, result, c.result_sz));
        let out = match (ret >= 0, c.result) {
            (true, At::Arena(off)) if accessible(off, cap, true) => {
                Some(self.result.read(off, cap))
            }
            _ => None,
        };
        let mut bad = judge(&want, ret, errno, out, limits).err();
        if let At::Arena(off) = c.result {
            if bad.is_none() && !self.result.canaries_intact(off, cap) {
                bad = Some("bytes around the result buffer were written".into());
            }
        }
        if verbose {
            let text = out
                .map(|o| {
                    String::from_utf8_lossy(&o[..abi::length(ret).min(o.len() - 1).min(400)])
                        .into_owned()
                })
                .unwrap_or_default();
            println!("# {c}");
            println!("# want {want:?}");
            println!(
                "# got return {ret:#x} (errno {}) {text:?}",
                errno_name(errno)
            );
        }
        if let At::Arena(off) = c.code {
            self.image.clear(off, put);
            self.code.write(off, &vec![BLANK; put]);
        }
        Verdict {
            class: class(ret, errno, cap),
            engine: !(ret == -1 && errno == libc::ENOSYS),
            took,
            bad: bad.map(|why| format!("{why}\n{c}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// What the kernel finds at an address: probes with system calls that
    /// copy one byte from or to it (EFAULT when it cannot).
    struct Probe {
        pipe: [libc::c_int; 2],
        zero: std::fs::File,
    }

    impl Probe {
        fn new() -> Probe {
            let mut pipe = [0; 2];
            // SAFETY: `pipe` has room for the two descriptors.
            assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
            Probe {
                pipe,
                zero: std::fs::File::open("/dev/zero").expect("/dev/zero"),
            }
        }

        fn readable(&self, addr: usize) -> bool {
            // SAFETY: the kernel reads the byte at `addr` (EFAULT if it
            // cannot); we read it back into our own buffer.
            unsafe {
                if libc::write(self.pipe[1], addr as *const libc::c_void, 1) != 1 {
                    return false;
                }
                let mut b = 0u8;
                libc::read(self.pipe[0], (&mut b as *mut u8).cast(), 1) == 1
            }
        }

        /// Writes a zero byte at `addr` when it can.
        fn writable(&self, addr: usize) -> bool {
            use std::os::fd::AsRawFd;
            // SAFETY: the kernel writes one byte at `addr` (EFAULT if it
            // cannot); only test arenas are probed.
            unsafe { libc::read(self.zero.as_raw_fd(), addr as *mut libc::c_void, 1) == 1 }
        }

        fn mapped(&self, addr: usize) -> bool {
            // SAFETY: msync only looks up the mapping (ENOMEM: none).
            unsafe {
                libc::msync(
                    (addr & !(PAGE - 1)) as *mut libc::c_void,
                    PAGE,
                    libc::MS_ASYNC,
                ) == 0
            }
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            // SAFETY: our own descriptors.
            unsafe {
                libc::close(self.pipe[0]);
                libc::close(self.pipe[1]);
            }
        }
    }

    /// The real protection of each page of `arena`, probed.
    fn real_pages(arena: &Arena, p: &Probe) -> Vec<(bool, bool)> {
        (0..PAGES)
            .map(|i| {
                let a = arena.addr(At::Arena(i * PAGE + 7));
                let r = p.readable(a);
                (r, r && p.writable(a))
            })
            .collect()
    }

    #[test]
    fn an_arena_has_the_protection_the_layout_says() {
        let p = Probe::new();
        let image = Image::default();
        let arena = Arena::new(&image.0);
        for i in 0..PAGES {
            let a = arena.addr(At::Arena(i * PAGE));
            let got = (p.mapped(a), p.readable(a));
            let want = match prot(i) {
                Prot::Rw | Prot::Ro => (true, true),
                Prot::None => (true, false),
                Prot::Unmapped => (false, false),
            };
            assert_eq!(got, want, "page {i} ({:?})", prot(i));
            if prot(i) == Prot::Ro {
                assert!(!p.writable(a), "page {i} is read-only");
                assert_eq!(arena.read(i * PAGE, RO_TEXT.len()), RO_TEXT);
            }
            if prot(i) == Prot::Rw {
                assert_eq!(arena.read(i * PAGE, PAGE), image.bytes(i * PAGE, PAGE));
                assert!(p.writable(a), "page {i} is writable");
            }
        }
        // Every kind of page is there, and the bad neighbours the shapes need.
        for kind in [Prot::Rw, Prot::Ro, Prot::None, Prot::Unmapped] {
            assert!((0..PAGES).any(|i| prot(i) == kind), "{kind:?}");
        }
        assert_eq!(bad_after_good(true).len(), 3);
        assert_eq!(bad_after_good(false).len(), 3);
        assert!(accessible(PAGE, abi::RESULT_MAX, true));
        assert!(accessible(2 * PAGE - 1, abi::CODE_MAX, true));
    }

    /// Every buffer the generator makes is what it says it is, on real
    /// mappings, and the model's answer for the whole range is the truth.
    #[test]
    fn the_generated_buffers_are_what_they_claim() {
        let p = Probe::new();
        let arena = Arena::new(&Image::default().0);
        let real = real_pages(&arena, &p);
        let real_range = |off: usize, len: usize, write: bool| {
            off + len <= PAGES * PAGE
                && (off / PAGE..=(off + len - 1) / PAGE).all(|i| {
                    if write {
                        real[i].1
                    } else {
                        real[i].0
                    }
                })
        };
        let mut seen = BTreeSet::new();
        for seed in 0..20_000 {
            let c = case(seed);
            let code_len = c.code_sz.clamp(1, abi::CODE_MAX);
            let result_len = abi::capacity(c.result_sz).max(1);
            for (at, shape, len, write) in [
                (c.code, c.code_shape, code_len, false),
                (c.result, c.result_shape, result_len, true),
            ] {
                seen.insert((format!("{shape:?}"), write));
                let why = format!("{c}: {} buffer", if write { "result" } else { "code" });
                let off = match at {
                    At::Addr(a) => {
                        assert_eq!(shape, Shape::Special, "{why}");
                        assert!(!p.readable(a), "{why}: {a:#x} is readable");
                        continue;
                    }
                    At::Arena(off) => off,
                };
                let first = real[off / PAGE];
                let whole = real_range(off, len, write);
                assert_eq!(accessible(off, len, write), whole, "{why}: the model");
                let crosses = off / PAGE != (off + len - 1) / PAGE;
                let claim = match shape {
                    Shape::Valid => {
                        whole && (off / PAGE..=(off + len - 1) / PAGE).all(|i| prot(i) == Prot::Rw)
                    }
                    Shape::Straddles => whole && crosses,
                    Shape::PartlyMapped => (if write { first.1 } else { first.0 }) && !whole,
                    Shape::ReadOnly => first.0 && !first.1,
                    Shape::NoAccess => !first.0,
                    Shape::Special => false,
                };
                assert!(claim, "{why}: not {shape:?}");
            }
        }
        for shape in SHAPES {
            for write in [false, true] {
                assert!(
                    seen.contains(&(format!("{shape:?}"), write)),
                    "{shape:?} {write}"
                );
            }
        }
    }

    #[test]
    fn the_sizes_cover_every_limit_and_the_answers_every_errno() {
        let mut image = Image::default();
        let (mut code, mut result, mut wants) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for seed in 0..20_000 {
            let c = case(seed);
            code.insert(c.code_sz);
            result.insert(c.result_sz);
            let put = image.put_case(&c);
            let want = expect(&c, &image);
            if let At::Arena(off) = c.code {
                image.clear(off, put);
            }
            wants.insert(match want {
                Expect::Errno(e) => errno_name(e),
                Expect::Runs(Answer::Any) => "any".into(),
                Expect::Runs(Answer::AnyError) => "any error".into(),
                Expect::Runs(Answer::Returns(_)) => "returns".into(),
                Expect::Runs(Answer::Raises(_) | Answer::RaisesWith(_)) => "raises".into(),
            });
        }
        for (sizes, max) in [(&code, abi::CODE_MAX), (&result, abi::RESULT_MAX)] {
            for sz in [
                0,
                1,
                2,
                PAGE - 1,
                PAGE,
                PAGE + 1,
                max - 1,
                max,
                max + 1,
                1 << 32,
                1 << 40,
                1 << 63,
                usize::MAX - 1,
                usize::MAX,
            ] {
                assert!(sizes.contains(&sz), "size {sz} (limit {max})");
            }
        }
        for w in [
            "EINVAL",
            "E2BIG",
            "EFAULT",
            "any",
            "any error",
            "returns",
            "raises",
        ] {
            assert!(wants.contains(w), "no case wants {w}: {wants:?}");
        }
    }

    #[test]
    fn a_case_is_a_function_of_its_seed() {
        for seed in [0, 1, 42, u64::MAX] {
            assert_eq!(format!("{:?}", case(seed)), format!("{:?}", case(seed)));
        }
        assert_ne!(format!("{:?}", case(1)), format!("{:?}", case(2)));
    }

    fn returns(s: &str) -> Answer {
        Answer::Returns(Text::Exact(s.as_bytes().to_vec()))
    }

    #[test]
    fn predict_reads_the_chunk_as_the_kernel_does() {
        let known = [(&b"return 1"[..], returns("1"))];
        let p = |code: &[u8]| predict(code, &known);
        assert_eq!(p(b"return 1"), returns("1"));
        assert_eq!(p(b"return 1    "), returns("1"));
        assert_eq!(p(b"return 1\0"), returns("1"), "one trailing NUL");
        assert_eq!(p(b"return 1\0\0"), Answer::AnyError);
        assert_eq!(p(b"return 1\0return 2"), Answer::AnyError);
        assert_eq!(p(b"return 1  \0  "), Answer::AnyError);
        assert_eq!(p(b"      "), returns(""));
        assert_eq!(p(b"\0"), returns(""), "a code of one NUL: an empty chunk");
        assert_eq!(p(b"retur"), Answer::Any);
        assert_eq!(p(b"return 1x"), Answer::Any);
        assert_eq!(p(b"\x1bLua\0\0"), Answer::RaisesWith(&["binary"]));
    }

    fn code_case(code: At, code_sz: usize, result: At, result_sz: usize) -> Case {
        Case {
            seed: 0,
            bytes: b"error('boom')".to_vec(),
            chunk: 13,
            answer: Answer::Raises(Text::Exact(b"lua:1: boom".to_vec())),
            code,
            code_shape: Shape::Valid,
            code_sz,
            result,
            result_shape: Shape::Valid,
            result_sz,
        }
    }

    #[test]
    fn expect_follows_the_order_of_the_kernel_checks() {
        let mut image = Image::default();
        let good = At::Arena(PAGE + 100);
        image.put(PAGE + 100, b"error('boom')");
        let null = At::Addr(0);
        let ro = At::Arena((BIG + 1) * PAGE);
        let e = |c: Case| expect(&c, &image);
        assert_eq!(e(code_case(null, 0, null, 0)), Expect::Errno(libc::EINVAL));
        assert_eq!(e(code_case(good, 13, good, 0)), Expect::Errno(libc::EINVAL));
        assert_eq!(
            e(code_case(null, abi::CODE_MAX + 1, null, 8)),
            Expect::Errno(libc::E2BIG)
        );
        assert_eq!(e(code_case(good, 13, null, 8)), Expect::Errno(libc::EFAULT));
        assert_eq!(e(code_case(good, 13, ro, 8)), Expect::Errno(libc::EFAULT));
        assert_eq!(e(code_case(null, 13, good, 8)), Expect::Errno(libc::EFAULT));
        // A result of a page whose capacity runs into the read-only page.
        let tail = At::Arena(BIG * PAGE + 10);
        assert_eq!(
            e(code_case(good, 13, tail, PAGE)),
            Expect::Errno(libc::EFAULT)
        );
        assert_eq!(
            e(code_case(good, 13, tail, PAGE - 10)),
            Expect::Runs(Answer::Raises(Text::Exact(b"lua:1: boom".to_vec())))
        );
        // Only the capacity must be writable: result_sz 2^63.
        assert_eq!(
            e(code_case(good, 13, At::Arena(PAGE), 1 << 63)),
            e(code_case(good, 13, good, 100))
        );
        // Code in a read-only page is fine; its text is known.
        assert_eq!(
            e(code_case(ro, RO_TEXT.len(), good, 100)),
            Expect::Runs(returns("read-only"))
        );
        assert_eq!(
            e(code_case(ro, PAGE + 1, good, 100)),
            Expect::Errno(libc::EFAULT)
        );
        // Code straddling into the hole.
        let hole = (BIG + 4) * PAGE;
        assert_eq!(
            e(code_case(At::Arena(hole - 4), 8, good, 100)),
            Expect::Errno(libc::EFAULT)
        );
        assert_eq!(
            e(code_case(At::Arena(hole - 4), 4, good, 100)),
            Expect::Runs(returns(""))
        );
    }

    #[test]
    fn judge_accepts_the_documented_answers_only() {
        let limits = Limits {
            max_call_ms: 1000,
            max_memory: 8 << 20,
        };
        let want = Expect::Runs(returns("abc"));
        let j = |ret: i64, errno: i32, out: Option<&[u8]>| judge(&want, ret, errno, out, &limits);
        assert!(j(3, 0, Some(b"abc\0xxxx")).is_ok());
        assert!(j(3, 0, Some(b"ab\0")).is_ok(), "cut: capacity 3");
        assert!(j(3, 0, Some(b"\0")).is_ok(), "capacity 1: the NUL only");
        assert!(j(3, 0, Some(b"abcx")).is_err(), "no NUL");
        assert!(j(3, 0, Some(b"abd\0")).is_err(), "another text");
        assert!(j(4, 0, Some(b"abc\0\0")).is_err(), "another length");
        assert!(
            j(3 | abi::LUA_ERROR, 0, Some(b"abc\0")).is_err(),
            "an error"
        );
        assert!(j(-1, libc::ENOSYS, None).is_ok(), "ENOSYS: no module");
        assert!(
            j(-1, libc::ENOMEM, None).is_ok(),
            "ENOMEM: the copy of the code"
        );
        assert!(j(-1, libc::EFAULT, None).is_err());
        assert!(j(-2, libc::ENOSYS, None).is_err(), "-1 only");
        let efault = Expect::Errno(libc::EFAULT);
        assert!(judge(&efault, -1, libc::EFAULT, None, &limits).is_ok());
        assert!(judge(&efault, -1, libc::ENOMEM, None, &limits).is_err());
        assert!(judge(&efault, 0, 0, Some(b"\0"), &limits).is_err(), "ran");
        let any = Expect::Runs(Answer::Any);
        assert!(
            judge(&any, abi::LUA_ERROR, 0, Some(b"\0"), &limits).is_err(),
            "an empty message"
        );
        let binary = Expect::Runs(Answer::RaisesWith(&["binary"]));
        assert!(judge(
            &binary,
            20 | abi::LUA_ERROR,
            0,
            Some(b"lua: binary chunks\0"),
            &limits
        )
        .is_ok());
        assert!(
            judge(&binary, 20 | abi::LUA_ERROR, 0, Some(b"lua:\0"), &limits).is_ok(),
            "cut"
        );
        assert!(judge(&binary, 3 | abi::LUA_ERROR, 0, Some(b"abc\0"), &limits).is_err());
    }

    /// On a kernel without SYS_lua (the host), every call is ENOSYS, which
    /// is well-formed: the whole call path runs, canaries and all.
    #[test]
    fn without_the_call_every_answer_is_enosys_and_well_formed() {
        let probe = raw(b"return 1".as_ptr(), 8, ptr::null_mut(), 0);
        if probe != (-1, libc::ENOSYS) {
            eprintln!(
                "skipped: this kernel has a call {}: {probe:?}",
                abi::SYS_LUA
            );
            return;
        }
        let limits = Limits {
            max_call_ms: 1000,
            max_memory: 8 << 20,
        };
        let slot = Slot::new();
        let mut caller = Caller::default();
        for seed in 0..2_000 {
            let v = caller.call(seed, &slot, &limits, false);
            assert!(v.bad.is_none(), "{:?}", v.bad);
            assert_eq!(v.class, "ENOSYS");
        }
        // The code arena is blank again after the calls.
        assert!(caller.image.0 == Image::default().0);
        assert_eq!(
            caller.code.read(PAGE, BIG * PAGE),
            caller.image.bytes(PAGE, BIG * PAGE)
        );
    }
}
