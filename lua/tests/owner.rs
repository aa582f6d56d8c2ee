//! The engine's assertion that one thread at a time is inside a state: a
//! second thread that enters while another is inside (a lock bypassed, as
//! in issue 11) stops the process with a clear message instead of
//! corrupting the state. Run in a child process, since it aborts.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lunatik_lua::state::Ctx;
use lunatik_lua::Limits;

const CHILD: &str = "LUNATIK_TEST_TWO_THREADS";

struct Shared(*mut Ctx);
// SAFETY: the child breaks the one-thread contract on purpose; that is
// what the assertion under test must catch.
unsafe impl Send for Shared {}

fn two_threads_enter_one_state() {
    let mut ctx = Box::new(Ctx::new(Limits {
        memory: 8 << 20,
        instructions: 1_000_000,
    }));
    // SAFETY: the box keeps the `Ctx` in place for the whole process.
    unsafe { Ctx::open(&mut *ctx) }.expect("state");
    let p = Shared(&mut *ctx);
    let inside = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&inside);
    std::thread::spawn(move || {
        let p = p;
        // SAFETY: this thread is the first inside.
        unsafe {
            Ctx::enter(p.0, |_| {
                flag.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_secs(10));
            })
        }
    });
    while !inside.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    // SAFETY: deliberately not: another thread is inside. The engine must
    // stop here.
    unsafe { Ctx::enter(&mut *ctx, |_| ()) };
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
