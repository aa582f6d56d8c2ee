//! `layout-sim`: runs lunatik-ng layout policies on the engine's userspace
//! twin (docs/layouts.md).

mod policy;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lunatik_lua::libs::pnfs::FileInfo;

#[derive(Parser)]
#[command(
    name = "layout-sim",
    version,
    about = "Run lunatik-ng layout policies at scale"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the layout a policy gives each filehandle (hex), one per line:
    /// "FH stripe_unit first servers...", as nfsd would hand it out.
    Decide {
        /// The policy file (e.g. layouts/default.lua).
        #[arg(long)]
        policy: PathBuf,
        /// Number of data servers.
        #[arg(long)]
        servers: u32,
        /// Filehandles in hexadecimal.
        fh: Vec<String>,
    },
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

fn decide(policy: &std::path::Path, servers: u32, fhs: &[String]) -> Result<(), String> {
    let p = policy::Policy::load(policy)?;
    for fh in fhs {
        let bytes = unhex(fh)?;
        let file = FileInfo {
            ino: 0,
            fh: &bytes,
            size: 0,
            uid: 0,
            gid: 0,
            name: None,
            client: b"",
            rw: true,
            offset: 0,
            length: u64::MAX,
            servers,
        };
        match p.decide(&file)? {
            Some(d) => {
                let list: Vec<String> = d.servers.iter().map(u32::to_string).collect();
                println!("{fh} {} {} {}", d.stripe_unit, d.first, list.join(" "));
            }
            None => println!("{fh} builtin"),
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match &cli.command {
        Command::Decide {
            policy,
            servers,
            fh,
        } => decide(policy, *servers, fh),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("layout-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
