//! A seeded generator of Lua programs from a small grammar: statements,
//! expressions, functions, loops, tables with metamethods that misbehave,
//! coroutines, `load`, and the libraries called with edge arguments. The
//! same seed gives the same program on every machine (no std hashing, no
//! clock).

use std::fmt::Write;

/// splitmix64: tiny, fast, and good enough to pick grammar branches.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5eed_1ab5_u64.rotate_left(40))
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability 1 in n.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// Integers at and around every edge the libraries check.
const EDGE_INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "7",
    "-7",
    "255",
    "256",
    "1000",
    "100000",
    "1 << 20",
    "1 << 31",
    "(1 << 31) - 1",
    "1 << 32",
    "1 << 40",
    "1 << 62",
    "math.maxinteger",
    "math.mininteger",
    "math.maxinteger - 1",
    "math.mininteger + 1",
    "-math.maxinteger",
    "0x7fffffff",
    "0xffffffff",
    "0x10ffff",
    "0x110000",
    "0x7fffffffffffffff",
    "0xffffffffffffffff",
];

/// Strings that look like numbers and do not quite parse, and other awkward
/// bytes.
const EDGE_STRS: &[&str] = &[
    "''",
    "'x'",
    "'abc'",
    "'\\0'",
    "'\\0\\1\\255'",
    "'nan'",
    "'-nan'",
    "'inf'",
    "'-inf'",
    "'1e308'",
    "'0x'",
    "'1.5'",
    "'  10  '",
    "'10'",
    "'-0'",
    "'0x7fffffffffffffff'",
    "'9223372036854775807'",
    "'9223372036854775808'",
    "'-9223372036854775808'",
    "'-9223372036854775809'",
    "'0x1p4'",
    "'%'",
    "'%%'",
    "'%s%n%d'",
    "'\\xff\\xfe'",
    "'\\u{7FFFFFFF}'",
    "'\\xed\\xa0\\x80'",
    "'\\xc3\\xa9t\\xc3\\xa9'",
    "'(('",
    "'a\\nb'",
    "string.rep('a', 100)",
    "string.rep('ab', 1000)",
    "string.rep('x', 65536)",
];

const PATTERN_ATOMS: &[&str] = &[
    "a", "b", ".", "%a", "%d", "%w", "%s", "%p", "%x", "%z", "%A", "[a-z]", "[^a]", "[%w_]", "[]",
    "[^]", "[a-]", "%", "%1", "%2", "%9", "%b()", "%b", "%f[%w]", "%f[a", "(", ")", "()", "^", "$",
    "%(", "[", "%g", "\\0",
];

const PATTERN_QUANT: &[&str] = &["", "", "", "*", "+", "-", "?"];

const FORMAT_CONVS: &[&str] = &[
    "%d", "%5d", "%-5d", "%+d", "%05d", "%99d", "%100d", "%i", "%u", "%c", "%x", "%X", "%#x", "%o",
    "%s", "%.3s", "%10s", "%q", "%%", "%f", "%.2f", "%e", "%g", "%G", "%a", "%A", "%.99f", "%5.2f",
    "%z", "%", "%ll", "%-99s", "%.20s",
];

const PACK_OPTS: &[&str] = &[
    "b", "B", "h", "H", "i", "I", "l", "L", "j", "J", "T", "i1", "i2", "i4", "i8", "i16", "I3",
    "I17", "s", "s1", "s2", "z", "x", "c1", "c5", "c0", "<", ">", "=", "!", "!4", "!16", "!3", " ",
    "Xi4", "X", "f", "d", "n", "i0", "c",
];

/// A generator of one program.
pub struct Gen {
    rng: Rng,
    out: String,
    indent: usize,
    /// Locals in scope, by block.
    scopes: Vec<Vec<String>>,
    /// Local functions in scope (name, arity).
    funcs: Vec<(String, usize)>,
    next_name: usize,
    depth: usize,
    /// Statements left to emit (keeps programs small).
    fuel: usize,
    /// Whether the code being generated runs inside a coroutine body.
    in_co: bool,
}

const MAX_DEPTH: usize = 4;

impl Gen {
    pub fn new(seed: u64) -> Gen {
        let mut rng = Rng::new(seed);
        let fuel = 6 + rng.below(40);
        Gen {
            rng,
            out: String::new(),
            indent: 0,
            scopes: vec![Vec::new()],
            funcs: Vec::new(),
            next_name: 0,
            depth: 0,
            fuel,
            in_co: false,
        }
    }

    /// The program of `seed`.
    pub fn program(seed: u64) -> String {
        let mut g = Gen::new(seed);
        g.block_body();
        if g.rng.one_in(2) {
            let n = 1 + g.rng.below(3);
            let e = g.expr_list(n);
            g.line(&format!("return {e}"));
        }
        g.out
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.next_name += 1;
        format!("{prefix}{}", self.next_name)
    }

    fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn declare(&mut self, name: &str) {
        if let Some(s) = self.scopes.last_mut() {
            s.push(name.to_string());
        }
    }

    fn locals(&self) -> Vec<&String> {
        self.scopes.iter().flatten().collect()
    }

    fn local_count(&self) -> usize {
        self.scopes.iter().map(Vec::len).sum()
    }

    fn a_local(&mut self) -> Option<String> {
        let n = self.local_count();
        if n == 0 {
            return None;
        }
        let i = self.rng.below(n);
        self.locals().get(i).map(|s| s.to_string())
    }

    /// A nested block: statements in a scope of their own.
    fn block(&mut self) {
        self.scopes.push(Vec::new());
        let funcs = self.funcs.len();
        self.indent += 1;
        self.depth += 1;
        self.block_body();
        self.depth -= 1;
        self.indent -= 1;
        self.funcs.truncate(funcs);
        self.scopes.pop();
    }

    fn block_body(&mut self) {
        let n = 1 + self.rng.below(if self.depth == 0 { 8 } else { 4 });
        for _ in 0..n {
            if self.fuel == 0 {
                break;
            }
            self.fuel -= 1;
            self.stmt();
        }
    }

    // ---- statements ----

    fn stmt(&mut self) {
        let deep = self.depth >= MAX_DEPTH || self.local_count() > 150;
        let choice = if deep {
            self.rng.below(4)
        } else {
            self.rng.below(30)
        };
        match choice {
            0 => {
                let name = self.fresh("v");
                let e = self.expr();
                self.line(&format!("local {name} = {e}"));
                self.declare(&name);
            }
            1 => self.guarded_call(),
            2 => match self.a_local() {
                Some(v) => {
                    let e = self.expr();
                    self.line(&format!("{v} = {e}"));
                }
                None => self.guarded_call(),
            },
            3 => {
                let c = self.lib_call();
                self.line(&format!("pcall(function() local _ = {c} end)"));
            }
            4 => {
                let c = self.expr();
                self.line(&format!("if {c} then"));
                self.block();
                if self.rng.one_in(2) {
                    self.line("else");
                    self.block();
                }
                self.line("end");
            }
            5 => self.numeric_for(),
            6 => self.while_loop(),
            7 => {
                self.line("repeat");
                self.block();
                let c = self.expr();
                self.line(&format!("until {c}"));
            }
            8 | 9 => self.local_function(),
            10 => {
                self.line("do");
                self.block();
                self.line("end");
            }
            11 | 12 => {
                let r = self.fresh("ok");
                self.line(&format!("local {r}, {r}e = pcall(function()"));
                self.block();
                self.line("end)");
                self.declare(&r);
                self.declare(&format!("{r}e"));
            }
            13 => {
                let v = self.error_value();
                let lvl =
                    self.rng
                        .pick(&["", ", 0", ", 1", ", 2", ", 3", ", -1", ", math.maxinteger"]);
                if self.rng.one_in(2) {
                    self.line(&format!("pcall(error, {v}{lvl})"));
                } else {
                    let c = self.cond();
                    self.line(&format!("if {c} then error({v}{lvl}) end"));
                }
            }
            14..=16 => self.metatable_object(),
            17 | 18 => self.coroutine_stmt(),
            19 | 20 => self.load_stmt(),
            21 => self.table_stmt(),
            22 => self.string_stmt(),
            23 => self.project_stmt(),
            24 => self.pnfs_stmt(),
            25 => self.generic_for(),
            26 => self.close_stmt(),
            27 => {
                let f = self.rng.pick(&[
                    "collectgarbage()",
                    "collectgarbage('step')",
                    "collectgarbage('step', 1000)",
                    "collectgarbage('count')",
                    "collectgarbage('incremental')",
                    "collectgarbage('generational')",
                    "collectgarbage('isrunning')",
                    "collectgarbage('stop') collectgarbage('restart')",
                    "collectgarbage('bogus')",
                    "gc_count()",
                ]);
                self.line(&format!("pcall(function() {f} end)"));
            }
            28 => {
                let e = self.expr();
                let pad = self
                    .rng
                    .pick(&["1", "-1", "'#'", "0", "math.maxinteger", "300"]);
                self.line(&format!("pcall(select, {pad}, {e}, {e})"));
            }
            _ => {
                let e = self.expr();
                self.line(&format!("pcall(print, {e}, tostring({e}))"));
            }
        }
    }

    /// A call whose error is caught.
    fn guarded_call(&mut self) {
        let c = if !self.funcs.is_empty() && self.rng.one_in(2) {
            let (f, n) = self.funcs[self.rng.below(self.funcs.len())].clone();
            let args = self.expr_list(n);
            format!("{f}, {args}")
        } else {
            let c = self.lib_call();
            return self.line(&format!("pcall(function() return {c} end)"));
        };
        self.line(&format!("pcall({c})"));
    }

    fn numeric_for(&mut self) {
        let i = self.fresh("i");
        let (a, b, step) = match self.rng.below(5) {
            0 => (self.int(), self.int(), String::new()),
            1 => {
                let s = self
                    .rng
                    .pick(&["-1", "2", "0", "math.maxinteger", "math.mininteger"]);
                (self.int(), self.int(), format!(", {s}"))
            }
            2 => ("1".into(), "math.maxinteger".into(), String::new()),
            _ => {
                let n = self.rng.below(20);
                ("1".into(), n.to_string(), String::new())
            }
        };
        self.line(&format!("for {i} = {a}, {b}{step} do"));
        self.scopes.push(vec![i]);
        self.block();
        self.scopes.pop();
        self.line("end");
    }

    fn while_loop(&mut self) {
        if self.rng.one_in(3) {
            // Unbounded unless the body breaks out.
            self.line("while true do");
            self.block();
            if self.rng.one_in(2) {
                self.line("  break");
            }
            self.line("end");
        } else {
            let n = self.fresh("n");
            let k = self.rng.below(50);
            self.line(&format!("local {n} = 0"));
            self.line(&format!("while {n} < {k} do"));
            self.line(&format!("  {n} = {n} + 1"));
            self.scopes.push(vec![n]);
            self.block();
            self.scopes.pop();
            self.line("end");
        }
    }

    fn generic_for(&mut self) {
        let k = self.fresh("k");
        let v = self.fresh("e");
        let src = match self.rng.below(6) {
            0 => format!("pairs({})", self.table_expr()),
            1 => format!("ipairs({})", self.expr()),
            2 => format!("utf8.codes({})", self.string_expr()),
            3 => format!("string.gmatch({}, {})", self.string_expr(), self.pattern()),
            4 => format!("next, {}", self.expr()),
            _ => format!("pairs({})", self.expr()),
        };
        self.line(&format!("pcall(function() for {k}, {v} in {src} do"));
        self.scopes.push(vec![k, v]);
        self.block();
        self.scopes.pop();
        self.line("end end)");
    }

    fn local_function(&mut self) {
        let f = self.fresh("f");
        let arity = self.rng.below(4);
        let params: Vec<String> = (0..arity).map(|_| self.fresh("p")).collect();
        let vararg = if self.rng.one_in(3) {
            if arity > 0 {
                ", ..."
            } else {
                "..."
            }
        } else {
            ""
        };
        self.line(&format!(
            "local function {f}({}{vararg})",
            params.join(", ")
        ));
        self.declare(&f);
        self.funcs.push((f.clone(), arity));
        self.scopes.push(params.clone());
        self.indent += 1;
        self.depth += 1;
        if self.rng.one_in(2) {
            // Recursion: bounded by a counter or not at all.
            let guard = if arity > 0 && self.rng.one_in(2) {
                format!(
                    "if type({p}) ~= 'number' or {p} <= 0 then return {p} end",
                    p = params[0]
                )
            } else {
                String::new()
            };
            if !guard.is_empty() {
                self.line(&guard);
            }
            let mut args: Vec<String> = (0..arity)
                .map(|_| {
                    if self.rng.one_in(2) {
                        self.expr()
                    } else {
                        "nil".into()
                    }
                })
                .collect();
            if arity > 0 {
                args[0] = format!("({}) - 1", params[0]);
            }
            let call = format!("{f}({})", args.join(", "));
            match self.rng.below(3) {
                0 => self.line(&format!("return {call}")),
                1 => self.line(&format!("return 1 + ({call} or 0)")),
                _ => self.line(&format!("local r = {call} return r")),
            }
        } else {
            self.block_body();
            let e = self.expr();
            self.line(&format!("return {e}"));
        }
        self.depth -= 1;
        self.indent -= 1;
        self.scopes.pop();
        self.line("end");
        if self.rng.one_in(2) {
            let args = self.expr_list(arity);
            self.line(&format!(
                "pcall({f}{}{args})",
                if arity > 0 { ", " } else { "" }
            ));
        }
    }

    /// What a metamethod does.
    fn behaviour(&mut self, op: &str) -> String {
        match self.rng.below(10) {
            0..=2 => {
                let e = self.simple_expr();
                format!("function(...) return {e} end")
            }
            3 => format!("function(...) error({}) end", self.error_value()),
            4 => "function(...) while true do end end".into(),
            5 => format!("function(a, b, ...) return {op} end"),
            6 => "function(...) return coroutine.yield(...) end".into(),
            7 => "function(a, ...) return a, ... end".into(),
            8 => {
                let e = self.simple_expr();
                e.to_string()
            }
            _ => "function(...) local t = {} for i = 1, 1000 do t[i] = {...} end return #t end"
                .into(),
        }
    }

    fn metatable_object(&mut self) {
        let t = self.fresh("o");
        let mt = self.fresh("mt");
        let u = self.fresh("u");
        self.line(&format!("local {mt} = {{}}"));
        self.line(&format!(
            "local {t}, {u} = setmetatable({{}}, {mt}), setmetatable({{1, 2}}, {mt})"
        ));
        self.declare(&t);
        self.declare(&u);
        self.declare(&mt);
        let ops: &[(&str, &str)] = &[
            ("__index", "a[b]"),
            (
                "__newindex",
                "rawset(a, b, 1) or (function() a[b] = 2 end)()",
            ),
            ("__len", "#a"),
            ("__eq", "a == b"),
            ("__lt", "a < b"),
            ("__le", "a <= b"),
            ("__concat", "a .. b"),
            ("__close", "a"),
            ("__gc", "a"),
            ("__tostring", "tostring(a)"),
            ("__call", "a(b)"),
            ("__unm", "-a"),
            ("__add", "a + b"),
            ("__idiv", "a // b"),
            ("__band", "a & b"),
            ("__name", "a"),
            ("__metatable", "a"),
            ("__mode", "a"),
            ("__pairs", "a"),
        ];
        let n = 1 + self.rng.below(6);
        for _ in 0..n {
            let (name, op) = ops[self.rng.below(ops.len())];
            let b = if name == "__gc" && !self.rng.one_in(8) {
                // A finalizer that loops forever runs in a later entry or at
                // close: rare, so that most engines are not spent on it.
                match self.rng.below(3) {
                    0 => "function(o) error('in gc') end".into(),
                    1 => "function(o) return o end".into(),
                    _ => format!("function(o) return {} end", self.simple_expr()),
                }
            } else if name == "__mode" {
                self.rng.pick(&["'k'", "'v'", "'kv'", "'x'", "1"]).into()
            } else if name == "__name" {
                self.rng.pick(&["'obj'", "1", "{}", "'%s%n'"]).into()
            } else {
                self.behaviour(op)
            };
            self.line(&format!("{mt}.{name} = {b}"));
        }
        if self.rng.one_in(4) {
            self.line(&format!("{mt}.__index = {mt}"));
        }
        // Use it in a few places.
        let uses = 1 + self.rng.below(5);
        for _ in 0..uses {
            let other = self
                .rng
                .pick(&[&u, &t, "1", "'s'", "nil", "{}"])
                .to_string();
            let k = self.simple_expr();
            let e = match self.rng.below(26) {
                0 => format!("return {t}.x"),
                1 => format!("return {t}[{k}]"),
                2 => format!("{t}.y = {k}"),
                3 => format!("return #{t}"),
                4 => format!("return {t} == {other}"),
                5 => format!("return {t} < {other}"),
                6 => format!("return {other} <= {t}"),
                7 => format!("return {t} .. 'x'"),
                8 => format!("return 'x' .. {t} .. {other}"),
                9 => format!("return tostring({t})"),
                10 => format!("return {t}({k})"),
                11 => format!("local c <close> = {t} return 1"),
                12 => format!("return string.format('%s', {t})"),
                13 => format!("return table.concat({{{t}}})"),
                14 => format!("table.sort({{{t}, {u}, {t}}})"),
                15 => format!("table.insert({t}, {k})"),
                16 => format!("return table.unpack({t})"),
                17 => format!("for _, v in ipairs({t}) do end"),
                18 => format!("print({t}) printk({t})"),
                19 => format!("error({t})"),
                20 => format!("return - {t}, {t} + 1, {t} // 2, {t} & 1"),
                21 => {
                    format!("return coroutine.wrap(function() return {t}.x, #{t}, {t} < {u} end)()")
                }
                22 => format!("for k, v in pairs({t}) do end"),
                23 => format!("return rawlen({t}), rawequal({t}, {u}), getmetatable({t})"),
                24 => format!("setmetatable({t}, nil)"),
                _ => format!("return table.remove({t})"),
            };
            if self.rng.one_in(6) && !e.contains("<close>") {
                // Unprotected: the program may end here with the error.
                self.line(&format!("do {e} end"));
            } else {
                self.line(&format!("pcall(function() {e} end)"));
            }
        }
    }

    fn close_stmt(&mut self) {
        let v = self.fresh("c");
        let b = match self.rng.below(5) {
            0 => "function() end".to_string(),
            1 => format!("function(o, e) error({}) end", self.error_value()),
            2 => "function() coroutine.yield() end".into(),
            3 => "function(o, e) error(e) end".into(),
            _ => "function() while true do end end".into(),
        };
        let body = if self.rng.one_in(2) {
            format!("error({})", self.error_value())
        } else {
            "return 1".into()
        };
        let wrap = if self.rng.one_in(3) {
            "coroutine.wrap"
        } else {
            "pcall"
        };
        self.line(&format!(
            "pcall({wrap}(function() local {v} <close> = setmetatable({{}}, {{__close = {b}}}) {body} end))"
        ));
    }

    fn coroutine_stmt(&mut self) {
        let co = self.fresh("co");
        let was = self.in_co;
        self.in_co = true;
        match self.rng.below(4) {
            0 | 1 => {
                self.line(&format!("local {co} = coroutine.create(function(...)"));
                self.indent += 1;
                if self.rng.one_in(2) {
                    self.line("local ok, v = pcall(coroutine.yield, ...)");
                }
                self.depth += 1;
                self.scopes.push(Vec::new());
                self.block_body();
                self.scopes.pop();
                self.depth -= 1;
                let (y, r) = (self.simple_expr(), self.simple_expr());
                self.line(&format!("coroutine.yield({y})"));
                self.line(&format!("return {r}"));
                self.indent -= 1;
                self.line("end)");
                self.declare(&co);
                let times = 1 + self.rng.below(5);
                for _ in 0..times {
                    let a = self.simple_expr();
                    self.line(&format!("pcall(coroutine.resume, {co}, {a})"));
                }
                let tail = self.rng.pick(&[
                    "coroutine.status",
                    "coroutine.close",
                    "coroutine.resume",
                    "coroutine.isyieldable",
                ]);
                self.line(&format!("pcall({tail}, {co})"));
            }
            2 => {
                self.line(&format!("local {co} = coroutine.wrap(function(...)"));
                self.indent += 1;
                self.depth += 1;
                self.scopes.push(Vec::new());
                self.line("for i = 1, select('#', ...) + 3 do coroutine.yield(i, ...) end");
                self.block_body();
                self.scopes.pop();
                self.depth -= 1;
                self.indent -= 1;
                self.line("end)");
                self.declare(&co);
                let times = 1 + self.rng.below(6);
                for _ in 0..times {
                    let a = self.simple_expr();
                    self.line(&format!("pcall({co}, {a})"));
                }
            }
            _ => {
                // Yields from places where yielding is (or is not) allowed.
                let inner = self.rng.pick(&[
                    "table.sort({3, 2, 1}, function(a, b) coroutine.yield() return a < b end)",
                    "string.gsub('abc', '.', function(c) coroutine.yield(c) end)",
                    "pcall(coroutine.yield, 1)",
                    "select(2, pcall(pcall, coroutine.yield, 2))",
                    "setmetatable({}, {__index = function() return coroutine.yield(3) end}).x",
                    "load('return coroutine.yield(4)')()",
                    "tostring(setmetatable({}, {__tostring = function() coroutine.yield() return 'x' end}))",
                    "coroutine.wrap(coroutine.yield)(5)",
                    "coroutine.yield(coroutine.running())",
                    "coroutine.close(coroutine.running())",
                    "coroutine.resume(coroutine.running())",
                    "error(setmetatable({}, {__tostring = function() coroutine.yield() end}))",
                ]);
                self.line(&format!(
                    "local {co} = coroutine.wrap(function() local _ = {inner} return 'done' end)"
                ));
                self.line(&format!("pcall({co}) pcall({co}) pcall({co})"));
            }
        }
        self.in_co = was;
    }

    fn load_stmt(&mut self) {
        let text = match self.rng.below(4) {
            0 | 1 => {
                // A generated program, as a string.
                let seed = self.rng.next();
                let mut g = Gen::new(seed);
                g.fuel = 3 + g.rng.below(8);
                g.block_body();
                let e = g.simple_expr();
                g.line(&format!("return {e}"));
                lua_quote(&g.out)
            }
            2 => {
                // Garbage: random bytes and tokens.
                let mut s = String::new();
                let n = self.rng.below(40);
                for _ in 0..n {
                    if self.rng.one_in(2) {
                        let tok = self.rng.pick(&[
                            "(",
                            ")",
                            "{",
                            "}",
                            "[[",
                            "]]",
                            "--[[",
                            "end",
                            "function",
                            "local",
                            "=",
                            "..",
                            "...",
                            "::",
                            "goto",
                            "return",
                            "0x",
                            "1e",
                            "'",
                            "\"",
                            "\\",
                            "\n",
                            "\0",
                            "\u{1b}Lua",
                            "#!",
                            "<close>",
                            "<const>",
                            "and",
                        ]);
                        s.push_str(tok);
                    } else {
                        s.push(char::from(self.rng.below(128) as u8));
                    }
                    s.push(' ');
                }
                lua_quote(&s)
            }
            _ => self
                .rng
                .pick(&[
                    "string.rep('(', 300)",
                    "string.rep('a=', 1000)",
                    "'return ' .. string.rep('{', 250) .. string.rep('}', 250)",
                    "'local ' .. string.rep('a,', 250) .. 'a = 1'",
                    "string.dump(function() return 1 end)",
                    "'\\27Lua'",
                    "'return ...'",
                    "'goto x'",
                    "'::a:: ::a::'",
                    "'local x <const> = 1 x = 2'",
                    "'local x <foo> = 1'",
                    "'return 0x' .. string.rep('f', 40)",
                    "'return ' .. string.rep('9', 40)",
                    "'return \"\\\\u{110000}\"'",
                    "'return \"\\\\xzz\"'",
                    "'return [==[ ' .. string.rep(']', 100)",
                    "'for i = 1, 10 do local function f() return i end end return 1'",
                ])
                .to_string(),
        };
        let how = match self.rng.below(6) {
            0 => format!("load({text})"),
            1 => format!("load({text}, '=gen')"),
            2 => format!("load({text}, 'gen', 'b')"),
            3 => format!("load({text}, '@gen', 't', {{}})"),
            4 => format!(
                "load(function() return {} end)",
                self.rng
                    .pick(&["nil", "{}", "1", "''", "'x'", "coroutine.yield()"])
            ),
            _ => format!("load({text}, nil, 'bt', setmetatable({{}}, {{__index = _G}}))"),
        };
        let arg = self.simple_expr();
        self.line(&format!(
            "pcall(function() local f, e = {how} if f then return f({arg}) end return e end)"
        ));
    }

    fn table_stmt(&mut self) {
        let t = self.table_expr();
        let i = self.int();
        let j = self.int();
        let c = match self.rng.below(14) {
            0 => format!("table.concat({t}, {}, {i}, {j})", self.string_expr()),
            1 => format!("table.concat({t})"),
            2 => format!("table.sort({t})"),
            3 => format!(
                "table.sort({t}, {})",
                self.rng.pick(&[
                    "function(a, b) return true end",
                    "function(a, b) return a > b end",
                    "function(a, b) error('cmp') end",
                    "function(a, b) return nil end",
                    "function() while true do end end",
                    "1",
                ])
            ),
            4 => format!("table.insert({t}, {i}, {})", self.simple_expr()),
            5 => format!("table.insert({t}, {})", self.simple_expr()),
            6 => format!("table.insert({t}, 1, 2, 3)"),
            7 => format!("select('#', table.unpack({t}, {i}, {j}))"),
            8 => format!("table.remove({t}, {i})"),
            9 => format!("table.move({t}, {i}, {j}, {}, {{}})", self.int()),
            10 => format!("table.pack({t}, {i}, {j}).n"),
            11 => format!("select('#', table.unpack({{}}, 1, {i}))"),
            12 => format!(
                "rawlen({t}), rawget({t}, {i}), next({t}, {})",
                self.simple_expr()
            ),
            _ => format!("table.concat({t}, '', 1, {i})"),
        };
        self.line(&format!("pcall(function() return {c} end)"));
    }

    fn string_stmt(&mut self) {
        let s = self.string_expr();
        let c = match self.rng.below(16) {
            0 => format!("string.rep({s}, {}, {})", self.int(), self.string_expr()),
            1 => format!("string.rep({s}, {})", self.small_or_edge()),
            2 => format!(
                "string.format({}, {})",
                self.format_string(),
                self.expr_list(3)
            ),
            3 => format!(
                "string.gsub({s}, {}, {}, {})",
                self.pattern(),
                self.replacement(),
                self.small_or_edge()
            ),
            4 => format!("string.find({s}, {}, {})", self.pattern(), self.int()),
            5 => format!(
                "string.find({s}, {}, {}, true)",
                self.string_expr(),
                self.int()
            ),
            6 => format!("string.match({s}, {})", self.pattern()),
            7 => {
                let n = 1 + self.rng.below(3);
                format!("string.pack({}, {})", self.pack_format(), self.expr_list(n))
            }
            8 => format!(
                "string.unpack({}, {s}, {})",
                self.pack_format(),
                self.small_or_edge()
            ),
            9 => format!("string.packsize({})", self.pack_format()),
            10 => format!("string.byte({s}, {}, {})", self.int(), self.int()),
            11 => format!("string.char({}, {})", self.int(), self.int()),
            12 => format!("string.sub({s}, {}, {})", self.int(), self.int()),
            13 => format!(
                "({s}):upper():lower():reverse():len(), #{s}, {s} < {}",
                self.string_expr()
            ),
            14 => self.utf8_call(),
            _ => format!(
                "tonumber({s}), tonumber({s}, {}), tostring({})",
                self.rng
                    .pick(&["2", "10", "16", "36", "1", "37", "0", "-1"]),
                self.simple_expr()
            ),
        };
        self.line(&format!("pcall(function() return {c} end)"));
    }

    fn utf8_call(&mut self) -> String {
        let s = self.string_expr();
        match self.rng.below(6) {
            0 => format!("utf8.char({}, {})", self.int(), self.int()),
            1 => format!(
                "utf8.codepoint({s}, {}, {}, {})",
                self.int(),
                self.int(),
                self.rng.pick(&["true", "false"])
            ),
            2 => format!("utf8.len({s}, {}, {}, true)", self.int(), self.int()),
            3 => format!("utf8.offset({s}, {}, {})", self.int(), self.int()),
            4 => format!("string.find({s}, utf8.charpattern)"),
            _ => format!("utf8.len({s})"),
        }
    }

    fn project_stmt(&mut self) {
        let c = match self.rng.below(12) {
            0 => format!("buffer.new({})", self.small_or_edge()),
            1 => format!("buffer.new({})", self.string_expr()),
            2 => format!(
                "(function() local b = buffer.new({}) b[{}] = {} return b[{}], #b end)()",
                self.rng.pick(&["4", "0", "1", "'abc'", "''"]),
                self.int(),
                self.simple_expr(),
                self.int()
            ),
            3 => format!(
                "buffer.new({}):sub({}, {})",
                self.string_expr(),
                self.int(),
                self.int()
            ),
            4 => format!(
                "buffer.new({}):uint({}, {})",
                self.string_expr(),
                self.int(),
                self.int()
            ),
            5 => format!(
                "buffer.new({}):hex(), buffer.new('a') == {}, tostring(buffer.new(2))",
                self.string_expr(),
                self.simple_expr()
            ),
            6 => format!("crypto.sha1({})", self.simple_expr()),
            7 => format!("crypto.random({})", self.small_or_edge()),
            8 => format!("crypto.sha1(buffer.new({}))", self.string_expr()),
            9 => format!("type({}), type()", self.simple_expr()),
            10 => format!(
                "printk({}), print({})",
                self.expr_list(2),
                self.expr_list(2)
            ),
            _ => format!(
                "math.random({}, {}), math.fmod({}, {}), math.abs({}), math.tointeger({})",
                self.int(),
                self.int(),
                self.int(),
                self.int(),
                self.int(),
                self.simple_expr()
            ),
        };
        self.line(&format!("pcall(function() return {c} end)"));
    }

    fn pnfs_stmt(&mut self) {
        let list = self.rng.pick(&[
            "{}",
            "{'10.0.0.1'}",
            "{1, 2}",
            "{{}}",
            "'10.0.0.1'",
            "nil",
            "{string.rep('x', 1000)}",
            "setmetatable({}, {__len = function() return math.maxinteger end})",
            "setmetatable({}, {__index = function() error('x') end, __len = function() return 3 end})",
            "{'', '\\0', '::1', '256.256.256.256'}",
            "{n = 1}",
            "1",
        ]);
        let c = match self.rng.below(8) {
            0 => format!("pnfs.set_dataservers({list})"),
            1 => "pnfs.dataservers()".into(),
            2 => "pnfs.stats()".into(),
            3 => format!(
                "pnfs.load({}, {})",
                self.rng.pick(&[
                    "'return 1'",
                    "''",
                    "'pnfs.register(function() end)'",
                    "1",
                    "{}"
                ]),
                self.rng.pick(&[
                    "'p'",
                    "{name = 'x', export = '/'}",
                    "{}",
                    "{name = 1}",
                    "nil",
                    "string.rep('n', 300)"
                ])
            ),
            4 => format!("pnfs.unload({})", self.simple_expr()),
            5 => format!("pnfs.eval({})", self.string_expr()),
            6 => format!("pnfs.register({})", self.simple_expr()),
            _ => "pnfs.unregister()".into(),
        };
        self.line(&format!("pcall(function() return {c} end)"));
    }

    // ---- expressions ----

    fn expr_list(&mut self, n: usize) -> String {
        let v: Vec<String> = (0..n.max(1)).map(|_| self.expr()).collect();
        v.join(", ")
    }

    fn cond(&mut self) -> String {
        match self.rng.below(4) {
            0 => "true".into(),
            1 => "false".into(),
            _ => self.expr(),
        }
    }

    fn expr(&mut self) -> String {
        if self.depth >= MAX_DEPTH + 2 {
            return self.simple_expr();
        }
        self.depth += 1;
        let e = match self.rng.below(14) {
            0..=3 => self.simple_expr(),
            4 | 5 => {
                let op = self.rng.pick(&[
                    "+", "-", "*", "/", "//", "%", "^", "&", "|", "~", "<<", ">>", "..", "==",
                    "~=", "<", "<=", ">", ">=", "and", "or",
                ]);
                format!("({} {op} {})", self.expr(), self.expr())
            }
            6 => {
                // A space, or `- -1` would be a comment.
                let op = self.rng.pick(&["-", "not", "#", "~"]);
                format!("({op} {})", self.expr())
            }
            7 => self.table_expr(),
            8 => {
                if let Some((f, n)) = (!self.funcs.is_empty())
                    .then(|| self.funcs[self.rng.below(self.funcs.len())].clone())
                {
                    format!("select(2, pcall({f}, {}))", self.expr_list(n))
                } else {
                    self.simple_expr()
                }
            }
            9 => format!(
                "select(2, pcall(function() return {} end))",
                self.lib_call()
            ),
            10 => format!(
                "(function(...) return {} end)({})",
                self.simple_expr(),
                self.simple_expr()
            ),
            11 => self.string_expr(),
            12 => self.int(),
            _ => format!("({} and {} or {})", self.cond(), self.expr(), self.expr()),
        };
        self.depth -= 1;
        e
    }

    fn simple_expr(&mut self) -> String {
        match self.rng.below(9) {
            0 | 1 => self.a_local().unwrap_or_else(|| self.int()),
            2 | 3 => self.int(),
            4 => self.rng.pick(EDGE_STRS).into(),
            5 => self
                .rng
                .pick(&[
                    "nil",
                    "true",
                    "false",
                    "{}",
                    "print",
                    "_G",
                    "_ENV",
                    "select('#')",
                    "coroutine.running()",
                ])
                .into(),
            6 => format!("{{{}, {}}}", self.int(), self.rng.pick(EDGE_STRS)),
            7 => self
                .rng
                .pick(&[
                    "buffer.new(3)",
                    "crypto.random(4)",
                    "setmetatable({}, {__index = string})",
                    "string",
                    "math.huge",
                    "coroutine.create(print)",
                ])
                .into(),
            _ => format!("'{}'", self.rng.below(1000)),
        }
    }

    fn int(&mut self) -> String {
        if self.rng.one_in(2) {
            self.rng.pick(EDGE_INTS).into()
        } else {
            (self.rng.below(40) as i64 - 10).to_string()
        }
    }

    fn small_or_edge(&mut self) -> String {
        if self.rng.one_in(3) {
            self.rng.pick(EDGE_INTS).into()
        } else {
            self.rng.below(100).to_string()
        }
    }

    fn string_expr(&mut self) -> String {
        match self.rng.below(5) {
            0 => self.a_local().unwrap_or_else(|| "'abc'".into()),
            1 => format!(
                "string.rep({}, {})",
                self.rng.pick(EDGE_STRS),
                self.rng.below(300)
            ),
            _ => self.rng.pick(EDGE_STRS).into(),
        }
    }

    fn table_expr(&mut self) -> String {
        match self.rng.below(6) {
            0 => "{}".into(),
            1 => {
                let n = 1 + self.rng.below(4);
                format!("{{{}}}", self.expr_list(n))
            }
            2 => format!(
                "{{1, 2, 3, x = {}, [{}] = 1}}",
                self.simple_expr(),
                self.int()
            ),
            3 => "{'b', 'a', 'c', 3, 1}".into(),
            4 => format!(
                "setmetatable({{1, 2}}, {{__len = {}, __index = {}}})",
                self.behaviour("#a"),
                self.behaviour("a[b]")
            ),
            _ => {
                let mut s = String::from("{");
                for i in 0..self.rng.below(30) {
                    let _ = write!(s, "'{}', ", (i * 7919) % 100);
                }
                s.push('}');
                s
            }
        }
    }

    fn pattern(&mut self) -> String {
        match self.rng.below(6) {
            0 => {
                // Pathological: nested greedy repetition.
                let k = 1 + self.rng.below(30);
                format!("string.rep('a*', {k}) .. 'b'")
            }
            1 => format!("string.rep('(', {}) .. 'a'", 1 + self.rng.below(40)),
            _ => {
                let mut p = String::new();
                for _ in 0..1 + self.rng.below(8) {
                    p.push_str(self.rng.pick(PATTERN_ATOMS));
                    p.push_str(self.rng.pick(PATTERN_QUANT));
                }
                lua_quote(&p)
            }
        }
    }

    fn replacement(&mut self) -> String {
        self.rng
            .pick(&[
                "''",
                "'%0'",
                "'%1'",
                "'%2%1'",
                "'%9'",
                "'%'",
                "'%%'",
                "{}",
                "{a = 1}",
                "{a = {}}",
                "function(c) return c .. c end",
                "function() error('repl') end",
                "function() return {} end",
                "function() return false end",
                "function(c) return string.rep(c, 1000) end",
                "1",
            ])
            .into()
    }

    fn format_string(&mut self) -> String {
        let mut f = String::new();
        for _ in 0..1 + self.rng.below(4) {
            if self.rng.one_in(3) {
                f.push_str("x ");
            }
            f.push_str(self.rng.pick(FORMAT_CONVS));
        }
        lua_quote(&f)
    }

    fn pack_format(&mut self) -> String {
        let mut f = String::new();
        for _ in 0..1 + self.rng.below(4) {
            f.push_str(self.rng.pick(PACK_OPTS));
        }
        lua_quote(&f)
    }

    /// An error value that is not always a string.
    fn error_value(&mut self) -> String {
        self.rng
            .pick(&[
                "nil",
                "1",
                "math.mininteger",
                "true",
                "{}",
                "'msg'",
                "print",
                "coroutine.create(print)",
                "buffer.new(2)",
                "setmetatable({}, {__tostring = function() return 'custom' end})",
                "setmetatable({}, {__tostring = function() return {} end})",
                "setmetatable({}, {__tostring = function() error('in tostring') end})",
                "setmetatable({}, {__tostring = function() while true do end end})",
                "setmetatable({}, {__tostring = function(o) return tostring(o) end})",
                "setmetatable({}, {__name = 'named'})",
                "setmetatable({}, {__name = {}})",
                "string.rep('e', 10000)",
            ])
            .into()
    }

    /// A library call expression with random arguments.
    fn lib_call(&mut self) -> String {
        match self.rng.below(8) {
            0 => {
                let f = self.rng.pick(&[
                    "string.rep",
                    "string.format",
                    "string.byte",
                    "string.char",
                    "string.sub",
                    "string.upper",
                    "string.len",
                    "string.reverse",
                    "string.find",
                    "string.match",
                    "string.gsub",
                    "string.gmatch",
                    "string.pack",
                    "string.unpack",
                    "string.packsize",
                    "table.concat",
                    "table.insert",
                    "table.remove",
                    "table.unpack",
                    "table.sort",
                    "table.move",
                    "table.pack",
                    "utf8.char",
                    "utf8.len",
                    "utf8.codepoint",
                    "utf8.offset",
                    "utf8.codes",
                    "tostring",
                    "tonumber",
                    "select",
                    "rawequal",
                    "rawlen",
                    "rawget",
                    "rawset",
                    "next",
                    "ipairs",
                    "pairs",
                    "setmetatable",
                    "getmetatable",
                    "type",
                    "assert",
                    "error",
                    "pcall",
                    "xpcall",
                    "load",
                    "gc_count",
                    "printk",
                    "print",
                    "buffer.new",
                    "crypto.sha1",
                    "crypto.random",
                    "math.random",
                    "math.max",
                    "math.min",
                    "math.fmod",
                    "math.ult",
                    "math.abs",
                    "math.tointeger",
                    "coroutine.wrap",
                    "coroutine.create",
                    "coroutine.resume",
                    "coroutine.status",
                    "coroutine.close",
                    "coroutine.yield",
                    "coroutine.isyieldable",
                    "coroutine.running",
                    "collectgarbage",
                    "string.dump",
                    "pnfs.stats",
                    "pnfs.dataservers",
                    "pnfs.set_dataservers",
                ]);
                let n = self.rng.below(4);
                let args: Vec<String> = (0..n)
                    .map(|_| match self.rng.below(3) {
                        0 => self.int(),
                        1 => self.string_expr(),
                        _ => self.simple_expr(),
                    })
                    .collect();
                format!("{f}({})", args.join(", "))
            }
            1 => format!(
                "string.rep({}, {})",
                self.string_expr(),
                self.small_or_edge()
            ),
            2 => format!(
                "string.format({}, {})",
                self.format_string(),
                self.expr_list(2)
            ),
            3 => format!(
                "({}):gsub({}, {})",
                self.string_expr(),
                self.pattern(),
                self.replacement()
            ),
            4 => format!(
                "xpcall({}, {}, {})",
                self.rng.pick(&[
                    "error",
                    "print",
                    "function() error({}) end",
                    "coroutine.yield",
                    "function() while true do end end"
                ]),
                self.rng.pick(&[
                    "print",
                    "error",
                    "function(e) return e end",
                    "function(e) error(e) end",
                    "nil",
                    "function() while true do end end"
                ]),
                self.simple_expr()
            ),
            5 => self.utf8_call(),
            6 => format!("tostring({})", self.expr()),
            _ => format!("#{}", self.string_expr()),
        }
    }
}

/// `s` as a Lua string literal (any bytes).
pub fn lua_quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for b in s.bytes() {
        match b {
            b'"' => q.push_str("\\\""),
            b'\\' => q.push_str("\\\\"),
            b'\n' => q.push_str("\\n"),
            0x20..=0x7e => q.push(char::from(b)),
            _ => {
                let _ = write!(q, "\\{b:03}");
            }
        }
    }
    q.push('"');
    q
}
