//! `lunatik-ng`: run Lua code in the Linux kernel (lunatik-ng's lua system call).

mod apply;
mod check;
mod pnfs;
mod report;
mod status;
mod sys;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use report::*;
use sys::Answer;

const EXAMPLES: &str = "\
Examples:
  lunatik-ng eval 'return type({123})'          prints: table
  lunatik-ng eval 'counter = (counter or 0) + 1 return counter'
  lunatik-ng pnfs load layouts/default.lua      load a layout policy
  lunatik-ng pnfs load --check my.lua           check it first (layout-sim check)
  lunatik-ng pnfs show                          the policy and its counters
  echo 'return crypto.sha1(\"abc\"):hex()' | lunatik-ng run -

Exit status: 0 the code returned, 1 it raised a Lua error (pnfs load: the
policy did not load, or failed --check), 2 bad usage, 3 the kernel refused
the call (or a file could not be read), 4 the result was truncated (what fit
is printed; raise --result-size).

Calls run in the kernel's one persistent default state: globals defined by
one call are there in the next. Needs root (CAP_SYS_ADMIN) and the engine
module (modprobe lunatik_ng, or insmod lunatik_ng.ko).";

#[derive(Parser)]
#[command(name = "lunatik-ng", version, about = "Run Lua code in the Linux kernel (lunatik-ng)", after_help = EXAMPLES)]
struct Cli {
    /// Size of the result buffer in bytes (the kernel writes at most 1 MiB).
    #[arg(long, global = true, default_value_t = 65536, value_parser = clap::value_parser!(u64).range(1..=(1 << 20)))]
    result_size: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Lua code given on the command line.
    Eval {
        /// Lua code, e.g. 'return 1 + 1'.
        code: String,
    },
    /// Run a Lua file (`-` reads standard input).
    Run {
        /// The file to run, or `-` for standard input.
        file: PathBuf,
    },
    /// nfsd's layout policy (docs/pnfs.md).
    #[command(subcommand)]
    Pnfs(PnfsCommand),
    /// Make the server match its configuration file: load the engine, set
    /// nfsd's data servers, load the policies (docs/deploy.md).
    Apply {
        /// The configuration file.
        #[arg(default_value = apply::DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Whether the engine is loaded, its limits, its policy states.
    Status {
        /// One JSON document instead of "key value" lines.
        #[arg(long)]
        json: bool,
    },
    /// The manual page (roff), generated from these definitions.
    #[command(hide = true)]
    Man {
        /// Write the pages into this folder instead: lunatik-ng.1 and one
        /// per subcommand (lunatik-ng-pnfs-load.1, ...), as packaged.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Shell completions, generated from these definitions.
    #[command(hide = true)]
    Completions { shell: clap_complete::Shell },
}

#[derive(Subcommand)]
enum PnfsCommand {
    /// Load a policy file into nfsd's policy states (replacing the one
    /// loaded; on an error, that one stays).
    Load {
        /// The policy (`-` reads standard input), e.g. layouts/default.lua.
        file: PathBuf,
        /// Its name in `pnfs show` (default: the file name).
        #[arg(long)]
        name: Option<String>,
        /// Only for the files of this export (its path, as in
        /// /etc/exports); without it, for every export with no policy of
        /// its own.
        #[arg(long)]
        export: Option<String>,
        /// First check the policy as `layout-sim check` does (random files
        /// with 1 to 64 data servers, on the engine's userspace twin) and
        /// print its report; load it only if it passes. When it fails
        /// (errors, answers nfsd would reject, limits reached), exit status
        /// 1 and nothing reaches the kernel: the running policy stays.
        #[arg(long)]
        check: bool,
    },
    /// Back to nfsd's built-in layout (every policy, or one export's).
    Unload {
        /// Only the policy loaded for this export.
        #[arg(long)]
        export: Option<String>,
    },
    /// The policy, the data servers and the counters.
    Show {
        /// One JSON document instead of "key value" lines.
        #[arg(long)]
        json: bool,
    },
    /// Run Lua code in every policy state; one line of results per state.
    Eval {
        /// Lua code, e.g. 'return #seen'.
        code: String,
    },
}

fn read_code(file: &Path) -> Result<Vec<u8>, String> {
    let mut code = Vec::new();
    let res = if file == Path::new("-") {
        std::io::stdin().read_to_end(&mut code).map(|_| ())
    } else {
        std::fs::read(file).map(|c| code = c)
    };
    res.map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    Ok(code)
}

/// `apply CONFIG`: each step on standard output, why it stopped on
/// standard error.
fn run_apply(config: &Path) -> ExitCode {
    let c = match std::fs::read_to_string(config) {
        Ok(text) => match apply::parse(&text) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("lunatik-ng: apply: {}: {e}", config.display());
                return ExitCode::from(EXIT_USAGE as u8);
            }
        },
        Err(e) => {
            eprintln!("lunatik-ng: apply: cannot read {}: {e}", config.display());
            return ExitCode::from(EXIT_SYSTEM as u8);
        }
    };
    match apply::apply(&c, Path::new("/sys"), |line| println!("{line}")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("lunatik-ng: apply: {}", f.message);
            ExitCode::from(f.status as u8)
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE as u8 } else { 0 });
        }
    };
    match &cli.command {
        Command::Apply { config } => return run_apply(config),
        Command::Status { json } => {
            let s = status::read(Path::new("/sys"));
            println!("{}", if *json { s.json() } else { s.text() });
            return ExitCode::SUCCESS;
        }
        Command::Man { dir } => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let res = match dir {
                Some(dir) => clap_mangen::generate_to(cmd, dir),
                None => clap_mangen::Man::new(cmd).render(&mut std::io::stdout()),
            };
            return match res {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("lunatik-ng: man: {e}");
                    ExitCode::from(EXIT_SYSTEM as u8)
                }
            };
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "lunatik-ng", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let code = match &cli.command {
        Command::Apply { .. }
        | Command::Status { .. }
        | Command::Man { .. }
        | Command::Completions { .. } => {
            unreachable!("handled above")
        }
        Command::Eval { code } => code.clone().into_bytes(),
        Command::Run { file } => match read_code(file) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("lunatik-ng: {e}");
                return ExitCode::from(EXIT_SYSTEM as u8);
            }
        },
        Command::Pnfs(PnfsCommand::Load {
            file,
            name,
            export,
            check,
        }) => match read_code(file) {
            Ok(source) => {
                if *check {
                    let shown = if file == Path::new("-") {
                        "(standard input)".into()
                    } else {
                        file.display().to_string()
                    };
                    let (report, failure) = check::policy(&shown, &source);
                    print!("{report}");
                    if let Some(why) = failure {
                        eprintln!(
                            "lunatik-ng: pnfs load: {shown} failed its check ({why}): \
                             not loaded, the running policy stays"
                        );
                        return ExitCode::from(EXIT_LUA_ERROR as u8);
                    }
                }
                let name = name.clone().unwrap_or_else(|| {
                    file.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "policy".into())
                });
                pnfs::load_code(&source, &name, export.as_deref())
            }
            Err(e) => {
                eprintln!("lunatik-ng: {e}");
                return ExitCode::from(EXIT_SYSTEM as u8);
            }
        },
        Command::Pnfs(PnfsCommand::Unload { export }) => pnfs::unload_code(export.as_deref()),
        Command::Pnfs(PnfsCommand::Show { json: false }) => pnfs::SHOW_CODE.as_bytes().to_vec(),
        Command::Pnfs(PnfsCommand::Show { json: true }) => pnfs::SHOW_JSON_CODE.as_bytes().to_vec(),
        Command::Pnfs(PnfsCommand::Eval { code }) => pnfs::eval_code(code),
    };
    let answer = sys::call(&code, cli.result_size as usize);
    let status = match &answer {
        Answer::Refused(errno) => {
            eprintln!("lunatik-ng: {}", refused_message(*errno));
            EXIT_SYSTEM
        }
        Answer::Ran {
            lua_error: true,
            text,
            ..
        } => {
            eprintln!("lunatik-ng: Lua error: {}", String::from_utf8_lossy(text));
            EXIT_LUA_ERROR
        }
        Answer::Ran { text, .. } => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text);
            if !text.is_empty() {
                let _ = out.write_all(b"\n");
            }
            EXIT_OK
        }
    };
    if let Answer::Ran { text, full_len, .. } = &answer {
        if answer.truncated() {
            eprintln!("lunatik-ng: {}", truncation_message(text.len(), *full_len));
            if status == EXIT_OK {
                return ExitCode::from(EXIT_TRUNCATED as u8);
            }
        }
    }
    ExitCode::from(status as u8)
}
