//! The engine's assertion that one thread at a time is inside a state: a
//! second thread that enters while another is inside (a lock bypassed, as
//! in issue 11) stops the process with a clear message instead of
//! corrupting the state. Run in a child process, since it aborts.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lunatik_lua::host::NoHost;
use lunatik_lua::lua::Lua;
use lunatik_lua::vm::Vm;
use lunatik_lua::Limits;

const CHILD: &str = "LUNATIK_TEST_TWO_THREADS";

struct Shared(*mut Vm);
// SAFETY: the child breaks the one-thread contract on purpose; that is
// what the assertion under test must catch.
unsafe impl Send for Shared {}

fn stay_inside(_: &mut Lua<'_>, flag: &mut Arc<AtomicBool>) -> lunatik_lua::lua::Result<i32> {
    flag.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(10));
    Ok(0)
}

fn nothing(_: &mut Lua<'_>, _: &mut ()) -> lunatik_lua::lua::Result<i32> {
    Ok(0)
}

fn two_threads_enter_one_state() {
    let limits = Limits {
        memory: 8 << 20,
        instructions: 1_000_000,
        cpu_ms: 10_000,
    };
    let mut vm = Box::new(Vm::open(limits, &NoHost).expect("state"));
    let p = Shared(&mut *vm);
    let inside = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&inside);
    std::thread::spawn(move || {
        let p = p;
        // SAFETY: deliberately unsound: the main thread keeps using the
        // `Vm` while this one is inside (the contract the test breaks).
        let vm = unsafe { &mut *p.0 };
        let _ = vm.run(limits.budget(), stay_inside, &mut flag.clone());
    });
    while !inside.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    // The other thread is inside: the engine must stop here.
    let _ = vm.run(limits.budget(), nothing, &mut ());
    println!("second thread entered the state");
}

#[test]
fn a_second_thread_inside_a_state_is_caught() {
    if std::env::var_os(CHILD).is_some() {
        two_threads_enter_one_state();
        return;
    }
    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "a_second_thread_inside_a_state_is_caught",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .expect("run the child");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the child survived: {stdout}");
    assert!(
        stderr.contains("two threads inside one Lua state"),
        "stderr: {stderr}"
    );
    assert!(!stdout.contains("second thread entered"), "{stdout}");
}
