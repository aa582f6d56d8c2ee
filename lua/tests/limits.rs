//! The hostile scripts of lua/tests/hostile.lua on the twin: each ends in the
//! expected Lua error, and the state answers the next call.

use std::time::{Duration, Instant};

use lunatik_lua::exec::Outcome;
use lunatik_lua::{examples, platform};
use lunatik_lua::{Engine, Limits};

const LIMITS: Limits = Limits {
    memory: 8 << 20,
    instructions: 10_000_000,
    cpu_ms: 10_000,
};

/// Runs every case of a file in one state: each must end as it expects
/// within `max` (wall time), and the state must answer the next call.
fn run_cases(engine: &Engine, src: &str, min_cases: usize, max: Duration) -> Vec<String> {
    let cases = examples::parse_cases(src);
    assert!(cases.len() >= min_cases, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = &case.name;
        let start = Instant::now();
        let reply = engine.exec(case.code.as_bytes());
        let took = start.elapsed();
        let text = reply.text();
        if !case.accepts(reply.outcome == Outcome::Failed, &text) {
            failures.push(format!(
                "{name}: {:?} {text:?}, expected {}",
                reply.outcome,
                case.wanted()
            ));
        }
        if took > max {
            failures.push(format!("{name}: took {took:?}, more than {max:?}"));
        }
        let after = engine.exec(b"return 40 + 2");
        if after.text() != "42" {
            failures.push(format!("{name}: next call gave {:?}", after));
        }
    }
    failures
}

#[test]
fn hostile_scripts_end_in_clean_errors_and_the_state_survives() {
    let engine = Engine::new(LIMITS).expect("state");
    let failures = run_cases(
        &engine,
        include_str!("hostile.lua"),
        14,
        Duration::from_secs(30),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    engine.exec(b"collectgarbage()");
    let (used, _) = engine.memory();
    assert!(used < 1 << 20, "state holds {used} bytes after the cases");
}

/// A stopped entry ends soon after its bound, however deep its pcalls,
/// handlers, to-be-closed variables and coroutines: every hostile case that
/// a CPU-time bound may end, run with memory to spare (a coroutine's stack
/// reaches Lua's own limit) and no instruction budget to speak of, uses
/// about twice a bound of 100 ms of CPU time (the thread's: on a busy
/// machine the wall time also holds the waits for a CPU). Measured: 1.7 to
/// 2.3 times, by case and run; the test allows 3 times (the overruns it
/// guards against were 7 to 232 times).
#[test]
fn stopped_entries_end_within_about_twice_their_bound() {
    let limits = Limits {
        memory: 64 << 20,
        instructions: 1 << 40,
        cpu_ms: 100,
    };
    let engine = Engine::new(limits).expect("state");
    let cases = examples::parse_cases(include_str!("hostile.lua"));
    let timed: Vec<_> = cases
        .iter()
        .filter(|c| c.expect.iter().any(|e| e == "CPU time limit exceeded"))
        .collect();
    assert!(timed.len() >= 15, "{} cases", timed.len());
    let max = Duration::from_millis(3 * limits.cpu_ms);
    let mut failures = Vec::new();
    for case in timed {
        let (start, cpu) = (Instant::now(), platform::thread_cpu_time());
        let reply = engine.exec(case.code.as_bytes());
        let (took, used) = (start.elapsed(), platform::thread_cpu_time() - cpu);
        if reply.outcome != Outcome::Failed || used > max {
            failures.push(format!(
                "{}: used {used:?} of CPU in {took:?} (bound {} ms): {:?} {:?}",
                case.name,
                limits.cpu_ms,
                reply.outcome,
                reply.text()
            ));
        }
        let after = engine.exec(b"return 40 + 2");
        if after.text() != "42" {
            failures.push(format!("{}: next call gave {after:?}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Work inside C functions is charged: with a CPU-time bound of 500 ms,
/// each case ends within a few times that (wall time, on a busy machine).
#[test]
fn work_inside_c_functions_is_bounded() {
    let limits = Limits {
        cpu_ms: 500,
        ..LIMITS
    };
    let engine = Engine::new(limits).expect("state");
    let failures = run_cases(
        &engine,
        include_str!("cwork.lua"),
        15,
        Duration::from_secs(3),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A coroutine made by one entry and resumed by a later one, after its
/// state has moved (as a policy state is loaded, then moved into its
/// lock), is charged to the state where it is now: its checkpoints once
/// read the state's old place ("two threads inside one Lua state" here, a
/// dead stack frame in the kernel).
#[test]
fn a_coroutine_kept_across_a_move_of_its_state_is_charged_there() {
    fn loaded() -> Engine {
        let engine = Engine::new(LIMITS).expect("state");
        let r = engine.exec(
            b"co = coroutine.wrap(function()
                while true do for i = 1, 3000 do end coroutine.yield(1) end
              end)
              return co()",
        );
        assert_eq!(r.text(), "1");
        engine
    }
    let moved = Box::new(loaded());
    assert_eq!(moved.exec(b"return co()").text(), "1");
    let r = moved.exec(b"for i = 1, math.maxinteger do co() end");
    assert!(
        r.text().contains("instruction budget exhausted"),
        "{}",
        r.text()
    );
}

#[test]
fn memory_cap_is_never_exceeded() {
    let engine = Engine::new(LIMITS).expect("state");
    engine.exec(b"local t = {} for i = 1, 1e9 do t[i] = tostring(i) end");
    engine.exec(b"local t = {} for i = 1, math.maxinteger do t[i] = i end");
    let (_, peak) = engine.memory();
    assert!(peak <= LIMITS.memory, "peak {peak} over the cap");
}

#[test]
fn budget_is_per_entry() {
    let engine = Engine::new(Limits {
        memory: 8 << 20,
        instructions: 100_000,
        cpu_ms: 10_000,
    })
    .expect("state");
    // Each call gets a fresh budget: many small calls all succeed.
    for _ in 0..50 {
        let r = engine.exec(b"local s = 0 for i = 1, 5000 do s = s + i end return s");
        assert_eq!(r.text(), "12502500");
    }
    let r = engine.exec(b"local s = 0 for i = 1, 1000000 do s = s + i end return s");
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(
        r.text().contains("instruction budget exhausted"),
        "{}",
        r.text()
    );
}

#[test]
fn globals_persist_between_calls() {
    let engine = Engine::new(LIMITS).expect("state");
    engine.exec(b"counter = 41");
    assert_eq!(
        engine.exec(b"counter = counter + 1 return counter").text(),
        "42"
    );
}

#[test]
fn results_are_joined_by_tabs_and_errors_are_strings() {
    let engine = Engine::new(LIMITS).expect("state");
    assert_eq!(
        engine.exec(b"return 1, 'a', nil, true").text(),
        "1\ta\tnil\ttrue"
    );
    assert_eq!(engine.exec(b"").text(), "");
    assert_eq!(engine.exec(b"return 1\0").text(), "1");
    let r = engine.exec(b"error({})");
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(r.text().starts_with("table: "), "{}", r.text());
    let r = engine.exec(b"error(setmetatable({}, {__tostring = function() return 'custom' end}))");
    assert_eq!(r.text(), "custom");
    let r = engine.exec(b"return +");
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(r.text().contains("unexpected symbol"), "{}", r.text());
}

#[test]
fn truncated_output_reports_its_full_length() {
    let engine = Engine::new(LIMITS).expect("state");
    let mut out = [0xffu8; 8];
    let rep = engine.exec_into(b"return string.rep('x', 100)", &mut out);
    assert_eq!(rep.len, 100);
    assert!(rep.truncated(out.len()));
    assert_eq!(&out, b"xxxxxxx\0");
}

#[test]
fn print_and_printk_log_one_message_without_formats() {
    lunatik_lua::platform::capture_log();
    let engine = Engine::new(LIMITS).expect("state");
    engine.exec(b"print('a', 1, nil) printk('100% ', '%s%n', 2, '\\n')");
    let log = lunatik_lua::platform::take_log();
    assert_eq!(log, vec![b"a\t1\tnil".to_vec(), b"100% %s%n2".to_vec()]);
}

/// lua/tests/deep.lua on the twin: at the deepest C-stack depth, with
/// memory to spare and with none, every library call ends cleanly.
#[test]
fn deepest_recursion_then_every_allocating_function() {
    let engine = Engine::new(LIMITS).expect("state");
    let r = engine.exec(include_bytes!("deep.lua"));
    assert_eq!(r.outcome, Outcome::Returned, "{}", r.text());
    let text = r.text();
    let depth: usize = text.split('\t').next().unwrap_or("0").parse().unwrap_or(0);
    assert!(depth >= 10, "depth {depth}: {text}");
    assert!(text.contains("1=ok"), "{text}");
    assert_eq!(engine.exec(b"return 40 + 2").text(), "42");
}

/// The garbage of a call that filled the memory cap does not starve the
/// next call (a luaL_Buffer box collects before giving up:
/// lua/patches/10-lauxlib-box-collect.patch).
#[test]
fn a_full_state_collects_for_the_next_call() {
    let engine = Engine::new(LIMITS).expect("state");
    let r = engine
        .exec(b"local t = {} for i = 1, math.maxinteger do t[i] = string.rep('m', 512) .. i end");
    assert!(r.text().contains("not enough memory"), "{}", r.text());
    let r = engine.exec(b"return #string.rep('x', 3 << 20)");
    assert_eq!(r.text(), "3145728");
}

/// A collection runs no hook, so the allocator reschedules: freeing a heap
/// of 60,000 tables in one `collectgarbage()` gives the CPU away at least
/// once every 256 frees (the debug kernel's soft lockup: one emergency
/// collection of a full state held a CPU for over 20 s).
#[test]
fn a_long_collection_gives_the_cpu_away() {
    let engine = Engine::new(LIMITS).expect("state");
    let r = engine.exec(b"heap = {} for i = 1, 60000 do heap[i] = {} end return #heap");
    assert_eq!(r.text(), "60000");
    let before = platform::rescheds();
    let r = engine.exec(b"heap = nil collectgarbage() return collectgarbage('count') < 512");
    let rescheds = platform::rescheds() - before;
    assert_eq!(r.text(), "true");
    assert!(
        rescheds >= 60_000 / 256,
        "{rescheds} reschedules for 60,000 frees"
    );
}

/// A chunk run again comes from the cache of compiled chunks, and runs as
/// a fresh load would: its `_ENV` is the globals again, its locals new.
#[test]
fn cached_chunks_run_as_fresh_loads() {
    let engine = Engine::new(LIMITS).expect("state");
    let code = b"local n = (n or 0) + 1 g = (g or 0) + 1 return n, g";
    assert_eq!(engine.exec(code).text(), "1\t1");
    assert_eq!(engine.exec(code).text(), "1\t2");
    let swap = b"local mine = {} _ENV = mine x = 1 return 1";
    assert_eq!(engine.exec(swap).text(), "1");
    assert_eq!(engine.exec(swap).text(), "1");
    assert_eq!(engine.exec(b"return x").text(), "nil");
    for i in 0..200 {
        let r = engine.exec(format!("return {i}").as_bytes());
        assert_eq!(r.text(), i.to_string());
    }
    assert_eq!(engine.exec(code).text(), "1\t3");
}
