//! `layout-sim`: runs lunatik-ng layout policies on the engine's userspace
//! twin (docs/layouts.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use lunatik_lua::libs::pnfs::FileInfo;

use layout_sim::check;
use layout_sim::policy::Policy;
use layout_sim::population::{self, File, Sizes};
use layout_sim::report;
use layout_sim::sim::{self, Change};

#[derive(Parser)]
#[command(
    name = "layout-sim",
    version,
    about = "Run lunatik-ng layout policies at scale on the engine's userspace twin"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Movement {
    None,
    Add,
    Remove,
}

#[derive(Subcommand)]
enum Command {
    /// Place a file population with a policy; report load, balance, movement
    /// and decision costs; write a table and an SVG plot with --out.
    Run {
        /// The policy file (e.g. layouts/default.lua).
        #[arg(long)]
        policy: PathBuf,
        /// Number of data servers.
        #[arg(long)]
        servers: u32,
        /// Server weights, comma-separated (set as the global `weights`).
        #[arg(long, value_delimiter = ',')]
        weights: Option<Vec<u64>>,
        /// Files to generate.
        #[arg(long, default_value_t = 100_000)]
        files: u64,
        /// Size distribution: fixed:SIZE or loguniform:MIN-MAX.
        #[arg(long, default_value = "loguniform:4K-1G")]
        sizes: String,
        /// Seed of the generated population.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Read the files from a list ("SIZE PATH" or "SIZE INODE UID GID
        /// PATH" per line, as `find -printf '%s %i %U %G %p\n'` writes).
        #[arg(long)]
        file_list: Option<PathBuf>,
        /// Also measure the data moved when a server is added or removed.
        #[arg(long, value_enum, default_value = "none")]
        movement: Movement,
        /// Write table.txt and load.svg into this folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Print the layout a policy gives each filehandle (hex, optionally
    /// FH:INODE), one per line: "FH stripe_unit first servers...", as nfsd
    /// would hand it out.
    Decide {
        #[arg(long)]
        policy: PathBuf,
        #[arg(long)]
        servers: u32,
        fh: Vec<String>,
    },
    /// Check a policy before loading it: ask it about random files with
    /// every data-server count from 1 to 64; report errors, answers nfsd
    /// would reject, its work and memory against the kernel's limits, and
    /// its balance. Exit status 1 when anything would fail in the kernel.
    Check {
        /// The policy file (e.g. layouts/default.lua).
        policy: PathBuf,
        /// Random files to ask about (each with 1 to 64 data servers).
        #[arg(long, default_value_t = check::Options::default().files, value_parser = clap::value_parser!(u64).range(1..))]
        files: u64,
        /// Seed of the random files (the same seed, the same files).
        #[arg(long, default_value_t = check::Options::default().seed)]
        seed: u64,
    },
    /// Measure the figures of docs/layouts.md against their targets
    /// (use a release build: cargo run --release -p layout-sim -- bench).
    Bench {
        /// The folder of the policies.
        #[arg(long, default_value = "layouts")]
        layouts: PathBuf,
    },
    /// The manual page (roff), generated from these definitions.
    #[command(hide = true)]
    Man {
        /// Write the pages into this folder instead: layout-sim.1 and one
        /// per subcommand (layout-sim-check.1, ...), as packaged.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Shell completions, generated from these definitions.
    #[command(hide = true)]
    Completions { shell: clap_complete::Shell },
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd-length hex filehandle: {s}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| format!("not hex: {s}")))
        .collect()
}

fn decide(policy: &Path, servers: u32, fhs: &[String]) -> Result<(), String> {
    let p = Policy::load(policy)?;
    for arg in fhs {
        // FH or FH:INO (the inode number, 0 when not given).
        let (fh, ino) = match arg.split_once(':') {
            Some((fh, ino)) => (
                fh,
                ino.parse()
                    .map_err(|_| format!("not an inode number: {arg}"))?,
            ),
            None => (arg.as_str(), 0),
        };
        let bytes = unhex(fh)?;
        let file = FileInfo {
            ino,
            fh: &bytes,
            size: 0,
            uid: 0,
            gid: 0,
            name: None,
            client: b"",
            export: b"",
            rw: true,
            offset: 0,
            length: u64::MAX,
            servers,
        };
        match p.decide(&file)? {
            Some(d) => {
                let list: Vec<String> = d.servers.iter().map(u32::to_string).collect();
                println!("{arg} {} {} {}", d.stripe_unit, d.first, list.join(" "));
            }
            None => println!("{arg} builtin"),
        }
    }
    Ok(())
}

/// The median instructions of the first (up to) 200 decisions.
fn median_instructions(p: &Policy, files: &[File], n: u32) -> u64 {
    let mut v: Vec<u64> = files
        .iter()
        .take(200)
        .map(|f| p.instructions(&f.info(n)).max(0) as u64)
        .collect();
    sim::median(&mut v)
}

#[allow(clippy::too_many_arguments)]
fn run(
    policy: &Path,
    servers: u32,
    weights: Option<&[u64]>,
    files: u64,
    sizes: &str,
    seed: u64,
    file_list: Option<&Path>,
    movement: Movement,
    out: Option<&Path>,
    quiet: bool,
) -> Result<(), String> {
    if servers == 0 {
        return Err("--servers must be at least 1".into());
    }
    if let Some(w) = weights {
        if w.len() != servers as usize {
            return Err(format!(
                "--weights has {} values for {servers} servers",
                w.len()
            ));
        }
    }
    let p = Policy::load_with(policy, weights)?;
    let population: Vec<File> = match file_list {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            population::parse_list(&text)?
        }
        None => population::generate(files, Sizes::parse(sizes)?, seed).collect(),
    };
    let change = match movement {
        Movement::None => Change::None,
        Movement::Add => Change::Add,
        Movement::Remove => Change::Remove,
    };
    let st = sim::run(&p, &population, servers, change, quiet);
    let instr = median_instructions(&p, &population, servers);
    let mv = match change {
        Change::None => None,
        Change::Add => Some(("added", servers + 1)),
        Change::Remove => Some(("removed", servers)),
    }
    .map(|(what, d)| {
        (
            what,
            st.moved as f64 / st.total_bytes.max(1) as f64,
            1.0 / f64::from(d),
        )
    });
    let title = format!(
        "{}: {} files on {servers} servers",
        policy
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("policy"),
        population.len()
    );
    let text = format!(
        "{title}\n{}{}",
        report::table(&st, weights, 32),
        report::summary(&st, population.len() as u64, instr, mv)
    );
    print!("{text}");
    if let Some(dir) = out {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let full = format!(
            "{title}\n{}{}",
            report::table(&st, weights, usize::MAX),
            report::summary(&st, population.len() as u64, instr, mv)
        );
        std::fs::write(dir.join("table.txt"), full).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("load.svg"), report::svg(&st, &title))
            .map_err(|e| e.to_string())?;
        println!(
            "wrote {} and {}",
            dir.join("table.txt").display(),
            dir.join("load.svg").display()
        );
    }
    Ok(())
}

/// The figures of docs/layouts.md, each next to its target.
fn bench(layouts: &Path) -> Result<(), String> {
    let load = |name: &str| Policy::load(&layouts.join(name));
    let row = |what: &str, got: String, target: &str, ok: bool| {
        println!(
            "{what:<58} {got:>14}   target {target:<10} {}",
            if ok { "met" } else { "NOT MET" }
        );
    };
    if cfg!(debug_assertions) {
        println!(
            "(a debug build: run `cargo run --release -p layout-sim -- bench` for real figures)"
        );
    }
    // The engine's part of a decision, as nfsd asks it: the file table, the
    // policy, the answer read back (nfsd's own checks are not the engine's).
    let sample: Vec<File> = population::generate(1_000_000, Sizes::Fixed(1 << 20), 7).collect();
    for (name, target) in [("roundrobin.lua", 500u64), ("default.lua", 1500)] {
        let p = load(name)?;
        let mut ns: Vec<u64> = sample
            .iter()
            .map(|f| {
                let info = f.info(64);
                let t = Instant::now();
                let _ = p.answer(&info);
                t.elapsed().as_nanos() as u64
            })
            .collect();
        let med = sim::median(&mut ns);
        let instr = median_instructions(&p, &sample, 64);
        row(
            &format!("{name}: median of 1M decisions (64 servers, {instr} instr.)"),
            format!("{:.3} us", med as f64 / 1000.0),
            &format!("<= {:.1} us", target as f64 / 1000.0),
            med <= target,
        );
    }

    let files: Vec<File> =
        population::generate(1_000_000, Sizes::parse("loguniform:4K-1G")?, 1).collect();
    let p = load("default.lua")?;
    let st = sim::run(&p, &files, 1024, Change::None, false);
    row(
        "default.lua: 1,000,000 files over 1,024 servers",
        format!("{:.1} s", st.elapsed.as_secs_f64()),
        "< 30 s",
        st.elapsed.as_secs_f64() < 30.0,
    );
    let st = sim::run(&p, &files, 64, Change::None, false);
    let (fmax, _) = sim::balance(&st.files);
    row(
        "default.lua: 1,000,000 files over 64 servers, max/mean files",
        format!("{fmax:.4}"),
        "<= 1.05",
        fmax <= 1.05,
    );
    let p = load("rendezvous.lua")?;
    let n = 64;
    let st = sim::run(&p, &files[..100_000], n, Change::Add, false);
    let ratio = (st.moved as f64 / st.total_bytes as f64) * f64::from(n + 1);
    row(
        "rendezvous.lua: bytes moved adding a server to 64, / ideal 1/65",
        format!("{ratio:.3}"),
        "<= 1.1",
        ratio <= 1.1,
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match &cli.command {
        Command::Run {
            policy,
            servers,
            weights,
            files,
            sizes,
            seed,
            file_list,
            movement,
            out,
            quiet,
        } => run(
            policy,
            *servers,
            weights.as_deref(),
            *files,
            sizes,
            *seed,
            file_list.as_deref(),
            *movement,
            out.as_deref(),
            *quiet,
        ),
        Command::Decide {
            policy,
            servers,
            fh,
        } => decide(policy, *servers, fh),
        Command::Bench { layouts } => bench(layouts),
        Command::Man { dir } => {
            let cmd = <Cli as clap::CommandFactory>::command();
            match dir {
                Some(dir) => clap_mangen::generate_to(cmd, dir),
                None => clap_mangen::Man::new(cmd).render(&mut std::io::stdout()),
            }
            .map_err(|e| e.to_string())
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "layout-sim", &mut std::io::stdout());
            Ok(())
        }
        Command::Check {
            policy,
            files,
            seed,
        } => {
            let report = check::run(
                policy,
                check::Options {
                    files: *files,
                    seed: *seed,
                },
            );
            print!("{}", report.text());
            return if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("layout-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
