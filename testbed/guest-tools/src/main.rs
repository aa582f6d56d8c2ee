//! Guest-side tests of lunatik-ng, printing TAP. Run by the testbed's guest
//! suites (testbed/guest/suites/*.sh) inside the test kernel:
//!
//!   lunatik-guest-tests examples docs/lua-api.md
//!   lunatik-guest-tests hostile lua/tests/hostile.lua [MAX_MS]
//!   lunatik-guest-tests syscall | contract | kill
//!   lunatik-guest-tests concurrency PROCS CALLS
//!   lunatik-guest-tests bench
//!   lunatik-guest-tests hammer SECONDS   (two callers; prints counts)
//!   lunatik-guest-tests storm SECONDS CALLERS [KIND] (long, failing, normal calls; eval: pnfs.eval of a loop)
//!   lunatik-guest-tests cycles KO COUNT  (load, work, unload COUNT times)
//!   lunatik-guest-tests fuzz SECONDS SEED [args|programs|all] [COUNT]
//!                                        (SECONDS 0: COUNT sub-seeds from SEED, printed)
//!   lunatik-guest-tests devinfo SERVER FILE DATASERVERS [MIN_BYTES]
//!   lunatik-guest-tests recall SERVER FILE (recalls that race the LAYOUTGET reply)

mod bench;
mod cycles;
mod devinfo;
mod fuzz;
mod nfs41;
mod recall;
mod scripts;
mod sys;
mod syscall;
mod tap;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let num = |i: usize, d: usize| arg(i).parse().unwrap_or(d);
    let mut t = tap::Tap::default();
    match arg(0) {
        "examples" => scripts::examples(&mut t, arg(1)),
        "hostile" => scripts::hostile(&mut t, arg(1), arg(2).parse().ok()),
        "syscall" => syscall::bad_inputs(&mut t),
        "contract" => syscall::contract(&mut t),
        "kill" => syscall::kill(&mut t),
        "concurrency" => syscall::concurrency(&mut t, num(1, 8), num(2, 10_000)),
        "bench" => bench::run(&mut t),
        "sha1bench" => bench::sha1(&mut t),
        "cycles" => cycles::run(&mut t, arg(1), num(2, 100)),
        "storm" => syscall::storm(
            &mut t,
            num(1, 20) as u64,
            num(2, 1),
            if arg(3).is_empty() { "all" } else { arg(3) },
        ),
        "fuzz" => fuzz::run(&mut t, arg(1), arg(2), arg(3), arg(4)),
        "devinfo" => devinfo::run(&mut t, arg(1), arg(2), arg(3), arg(4)),
        "recall" => recall::run(&mut t, arg(1), arg(2)),
        "hammer" => {
            syscall::hammer(num(1, 5) as u64);
            return;
        }
        other => {
            eprintln!("unknown test set '{other}': examples, hostile, syscall, contract, kill, concurrency, bench, sha1bench, hammer, cycles, storm, fuzz, devinfo, recall");
            std::process::exit(2);
        }
    }
    t.finish();
}
