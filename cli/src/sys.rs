//! The lua system call (docs/syscall.md) and what its answers mean.

use lunatik_abi as abi;

/// What one call gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The code ran: its results (or its error message when `lua_error`),
    /// and the full length of that text, which exceeds the text when the
    /// result buffer was too small.
    Ran {
        lua_error: bool,
        text: Vec<u8>,
        full_len: usize,
    },
    /// The kernel refused the call (an errno).
    Refused(i32),
}

impl Answer {
    pub fn truncated(&self) -> bool {
        matches!(self, Answer::Ran { text, full_len, .. } if *full_len > text.len())
    }
}

/// Decodes a return value and the result buffer it filled.
pub fn decode(ret: i64, errno: i32, buf: &[u8]) -> Answer {
    if ret < 0 {
        return Answer::Refused(errno);
    }
    let full_len = abi::length(ret);
    let shown = full_len.min(abi::capacity(buf.len()).saturating_sub(1));
    Answer::Ran {
        lua_error: abi::is_lua_error(ret),
        text: buf[..shown].to_vec(),
        full_len,
    }
}

/// Calls `SYS_lua` with `code` and a result buffer of `result_size` bytes.
pub fn call(code: &[u8], result_size: usize) -> Answer {
    let mut buf = vec![0u8; result_size.max(1)];
    // SAFETY: both buffers are valid for the lengths passed.
    let ret = unsafe {
        libc::syscall(
            abi::SYS_LUA,
            code.as_ptr(),
            code.len(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    decode(ret, errno, &buf)
}
