# The Lua port, shared by the kernel build (module/Makefile) and the userspace
# twin (lua/build.rs), which reads the two lists below.

# Files of the Lua 5.4 core (from the lua-src crate) that are compiled.
# Not compiled: lua.c, luac.c, linit.c, loadlib.c, liolib.c, loslib.c,
# ldblib.c, lmathlib.c (math is ours, integer-only), lundump.c (replaced).
LUA_CORE := lapi lauxlib lbaselib lcode lcorolib lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser lstate lstring lstrlib ltable ltablib ltm lutf8lib lvm lzio

# Our C files of the port, compiled with the core's headers.
LUA_PORT := lunatik_num ltextonly lunatik_fast
