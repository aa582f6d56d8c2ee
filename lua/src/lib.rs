//! The userspace twin of the lunatik-ng kernel Lua engine.
