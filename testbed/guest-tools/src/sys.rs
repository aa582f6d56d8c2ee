//! Raw calls of the lua system call, with any pointers (to test bad ones).

pub use lunatik_abi as abi;

/// Returns (return value, errno).
pub fn raw(code: *const u8, code_sz: usize, result: *mut u8, result_sz: usize) -> (i64, i32) {
    // SAFETY: the kernel validates every pointer; bad ones give EFAULT.
    let ret = unsafe { libc::syscall(abi::SYS_LUA, code, code_sz, result, result_sz) };
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    (ret, errno)
}

/// A call with good buffers: Ok((lua_error, text)) or Err(errno).
pub fn lua(code: &str) -> Result<(bool, String), i32> {
    let mut buf = vec![0u8; 1 << 16];
    let (ret, errno) = raw(code.as_ptr(), code.len(), buf.as_mut_ptr(), buf.len());
    if ret < 0 {
        return Err(errno);
    }
    let len = abi::length(ret).min(buf.len() - 1);
    Ok((
        abi::is_lua_error(ret),
        String::from_utf8_lossy(&buf[..len]).into_owned(),
    ))
}

/// `lua(code)` returned `want` without a Lua error.
pub fn returns(code: &str, want: &str) -> bool {
    matches!(lua(code), Ok((false, ref t)) if t == want)
}
