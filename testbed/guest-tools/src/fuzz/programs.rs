//! The program part of the SYS_lua fuzzer: the twin fuzzer's programs
//! (lua/tests/fuzz/gen.rs) through the system call, with the twin's
//! checks where they apply to a caller of SYS_lua: the answer is a value or
//! an error, NUL-terminated within the buffer, bounded, an error has a
//! message, nothing is written past the buffer, and the state answers
//! `return 1+1` with 2 next.

use super::args::{class, errno_name, well_formed};
use super::gen::Gen;
use super::{Limits, Slot, Verdict};
use crate::sys::{abi, raw};

/// The result buffer, as the twin's.
const OUT: usize = 4096;
/// Bytes after the buffer that must stay as they were.
const GUARD: usize = 64;
const CANARY: u8 = 0xa5;

/// Runs the program of sub-seed `seed`, then `return 1+1`.
pub fn call(seed: u64, slot: &Slot, limits: &Limits, verbose: bool) -> Verdict {
    let code = Gen::program(seed);
    if verbose {
        println!("# sub-seed {seed}, program:");
        for line in code.lines() {
            println!("#   {line}");
        }
    }
    let mut out = vec![CANARY; OUT + GUARD];
    let (took, (ret, errno)) = slot.timed(|| raw(code.as_ptr(), code.len(), out.as_mut_ptr(), OUT));
    let mut bad = if ret >= 0 {
        well_formed(ret, &out[..OUT], limits).err()
    } else if ret == -1
        && (errno == libc::ENOSYS || (errno == libc::E2BIG && code.len() > abi::CODE_MAX))
    {
        None
    } else {
        Some(format!("got {} ({ret})", errno_name(errno)))
    };
    if bad.is_none() && out[OUT..].iter().any(|&b| b != CANARY) {
        bad = Some("bytes past the result buffer were written".into());
    }
    let text = String::from_utf8_lossy(&out[..abi::length(ret.max(0)).min(OUT - 1)]).into_owned();
    if verbose {
        println!(
            "# got return {ret:#x} (errno {}) {text:?}",
            errno_name(errno)
        );
    }
    let mut two = [CANARY; 16];
    let sum = b"return 1+1";
    let (took2, (r2, e2)) =
        slot.timed(|| raw(sum.as_ptr(), sum.len(), two.as_mut_ptr(), two.len()));
    let fine = (r2 == 1 && &two[..2] == b"2\0") || (r2 == -1 && e2 == libc::ENOSYS);
    if bad.is_none() && !fine {
        bad = Some(format!(
            "`return 1+1` after it gave {r2:#x} (errno {}) {:?}",
            errno_name(e2),
            String::from_utf8_lossy(&two[..abi::length(r2.max(0)).min(15)])
        ));
    }
    Verdict {
        class: class(ret, errno, OUT),
        engine: !(ret == -1 && errno == libc::ENOSYS),
        took: took.max(took2),
        bad: bad.map(|why| format!("{why}\nreply: {text:?}\nprogram:\n{code}")),
    }
}
