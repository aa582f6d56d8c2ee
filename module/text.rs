// SPDX-License-Identifier: GPL-2.0

//! Text written into a byte buffer (a parameter file's page, an error
//! message for Lua), cut at its end: `core::fmt` for the numbers, `push`
//! for bytes that need not be UTF-8.

use core::fmt::Write;

pub(crate) struct Text<'a> {
    buf: &'a mut [u8],
    pub(crate) len: usize,
}

impl<'a> Text<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Text { buf, len: 0 }
    }

    /// Appends `bytes` (what fits).
    pub(crate) fn push(&mut self, bytes: &[u8]) -> &mut Self {
        if let Some(free) = self.buf.get_mut(self.len..) {
            self.len += crate::libs::copy_bytes(free, bytes);
        }
        self
    }
}

impl Write for Text<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}
