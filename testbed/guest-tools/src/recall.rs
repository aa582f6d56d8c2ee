//! Layout recalls that race the LAYOUTGET reply (docs/pnfs.md, "Recalls";
//! nfsd patch 0007), played with a client that answers each recall as the
//! test says, since the stock client's answers depend on timing.
//!
//! `lunatik-guest-tests recall SERVER FILE`: SERVER is the metadata server
//! ("10.99.0.1:2049"), FILE a name prefix for the files each case makes at
//! the export's root. Each case is a new client with a back channel: it
//! opens its file, gets a FILES layout, then makes nfsd recall every FILES
//! layout (it writes /proc/fs/nfsd/pnfs_dataservers back unchanged, which
//! recalls them) and answers the recalls:
//!
//! - NOMATCHING shortly after the grant, on a stateid the client never sent
//!   back: nfsd asks again (the client may not have read the reply yet),
//!   every 100 ms, for at most 2 s after the grant;
//! - then OLD_STATEID (the client had the stateid and took the recall's
//!   seqid the first time): done, not fenced;
//! - NOMATCHING later than 2 s after the grant, or on a stateid the client
//!   sent back: final at once;
//! - OLD_STATEID to a first question: an error, fenced (nfsd logs it).
//!
//! Every case ends with its recall done and its layouts dropped, so later
//! recalls do not reach its client.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};

use crate::nfs41::NFS4ERR_OLD_STATEID as OLD_STATEID;
use crate::nfs41::{Client, Recall, NFS4ERR_NOMATCHING_LAYOUT as NOMATCHING};
use crate::tap::Tap;

const DATASERVERS: &str = "/proc/fs/nfsd/pnfs_dataservers";
/// nfsd's NFSD4_LAYOUT_REPLY_WAIT: how long after a grant a NOMATCHING may
/// mean an unread reply.
const WINDOW: Duration = Duration::from_secs(2);
/// Asked again every 100 ms within the window: at most this many asks.
const MOST_ASKS: usize = 25;
/// A case whose first recall came later than this after the grant (as the
/// client saw it: nfsd's clock started before the reply left) cannot test
/// the window (a slow machine): it is skipped.
const IN_WINDOW: Duration = Duration::from_secs(1);
/// No more recalls for this long: nfsd has stopped asking (it asks again
/// after 100 ms).
const QUIET: Duration = Duration::from_secs(3);
const FENCED: &str = "did not return a recalled FILES layout";

/// One case: how the client answers, and what it does before the recall.
struct Case {
    name: &'static str,
    answers: &'static [u32],
    /// Sleep between the grant and the recall.
    after_grant: Duration,
    /// LAYOUTGET again, quoting the layout stateid, before the recall.
    send_back: bool,
    expect: Expect,
}

/// What nfsd must do with a case's answers.
enum Expect {
    /// One recall, then none; the client fenced or not.
    Once { fenced: bool },
    /// Asked again once, with the same seqid; the second answer ends it,
    /// not fenced.
    AskedAgain,
    /// Asked again, with the same seqid, until 2 s after the grant (a
    /// second of slack), then no more; not fenced.
    UntilWindowEnds,
}

impl Expect {
    /// Whether the case tests the 2 s window (and needs its first recall
    /// within it).
    fn in_window(&self) -> bool {
        !matches!(self, Expect::Once { .. })
    }
}

/// What a case saw.
struct Seen {
    recalls: Vec<Recall>,
    granted: Instant,
    layout: [u8; 16],
    fenced: bool,
}

/// New records of the kernel log (/dev/kmsg), from when it was opened.
struct Kmsg(File);

impl Kmsg {
    fn open() -> io::Result<Kmsg> {
        use std::io::{Seek, SeekFrom};
        let mut f = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/kmsg")?;
        f.seek(SeekFrom::End(0))?;
        Ok(Kmsg(f))
    }

    fn any(&mut self, needles: &[&str]) -> io::Result<bool> {
        let mut rec = vec![0; 8192];
        let mut found = false;
        loop {
            match self.0.read(&mut rec) {
                Ok(0) => return Ok(found),
                Ok(n) => {
                    let line = String::from_utf8_lossy(&rec[..n]);
                    found |= needles.iter().all(|w| line.contains(w));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(found),
                // EPIPE: records were overwritten; read on
                Err(e) if e.raw_os_error() == Some(libc::EPIPE) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Makes nfsd recall every FILES layout: the data-server list written back
/// as it is.
fn recall_all() -> io::Result<()> {
    let list = std::fs::read_to_string(DATASERVERS)?;
    std::fs::write(DATASERVERS, list.trim())
}

fn play(server: &str, file: &str, n: usize, case: &Case) -> io::Result<Seen> {
    let owner = format!("lunatik-recall-{}-{n}", std::process::id());
    let mut c = Client::connect_with_back_channel(server, owner.as_bytes())?;
    let name = format!("{file}-{n}");
    let open = c.open(&name, owner.as_bytes())?;
    let mut layout = c.layoutget(&name, &open)?.stateid;
    if case.send_back {
        layout = c.layoutget(&name, &layout)?.stateid;
    }
    let granted = Instant::now();
    std::thread::sleep(case.after_grant);
    c.answer_recalls(case.answers);
    let mut kmsg = Kmsg::open()?;
    // From another thread: the write returns only after an RCU grace
    // period, and the recall is out before that.
    let trigger = std::thread::spawn(recall_all);
    let served = c.serve_back_channel(Duration::from_secs(30), QUIET);
    trigger
        .join()
        .map_err(|_| io::Error::other("the recall thread panicked"))??;
    served?;
    let me = c.local_addr()?;
    Ok(Seen {
        recalls: c.recalls().to_vec(),
        granted,
        layout,
        fenced: kmsg.any(&[FENCED, &me])?,
    })
}

pub fn run(t: &mut Tap, server: &str, file: &str) {
    // milliseconds after the grant, or "none"
    let ms = |d: Option<Duration>| d.map_or("none".into(), |d| d.as_millis().to_string());
    let cases = [
        Case {
            name: "NOMATCHING 2.5 s after the grant is final",
            answers: &[NOMATCHING],
            after_grant: Duration::from_millis(2500),
            send_back: false,
            expect: Expect::Once { fenced: false },
        },
        Case {
            name: "NOMATCHING on a stateid the client sent back is final",
            answers: &[NOMATCHING],
            after_grant: Duration::ZERO,
            send_back: true,
            expect: Expect::Once { fenced: false },
        },
        Case {
            name: "OLD_STATEID to a first recall is an error: fenced",
            answers: &[OLD_STATEID],
            after_grant: Duration::ZERO,
            send_back: false,
            expect: Expect::Once { fenced: true },
        },
        Case {
            name: "NOMATCHING right after the grant is asked again; OLD_STATEID then ends the recall, not fenced",
            answers: &[NOMATCHING, OLD_STATEID],
            after_grant: Duration::ZERO,
            send_back: false,
            expect: Expect::AskedAgain,
        },
        Case {
            name: "NOMATCHING right after the grant, again and again: asked again only within 2 s of the grant",
            answers: &[NOMATCHING],
            after_grant: Duration::ZERO,
            send_back: false,
            expect: Expect::UntilWindowEnds,
        },
    ];
    for (n, case) in cases.iter().enumerate() {
        let seen = match play(server, file, n, case) {
            Ok(s) => s,
            Err(e) => {
                t.ok(false, &format!("{}: the case ran: {e}", case.name));
                continue;
            }
        };
        let mine: Vec<&Recall> = seen
            .recalls
            .iter()
            .filter(|r| r.stateid[4..] == seen.layout[4..])
            .collect();
        let first = mine.first().map(|r| r.at - seen.granted);
        let last = mine.last().map(|r| r.at - seen.granted);
        let detail = || {
            format!(
                "recalls of its stateid: {} (of {} in all), first {} ms and last {} ms after the grant, answers {:?}, fenced: {}",
                mine.len(),
                seen.recalls.len(),
                ms(first),
                ms(last),
                mine.iter().map(|r| r.answer).collect::<Vec<_>>(),
                seen.fenced
            )
        };
        let same_seqid = mine.iter().all(|r| r.stateid == mine[0].stateid);
        if case.expect.in_window() && first.is_some_and(|f| f > IN_WINDOW) {
            t.skip(
                case.name,
                &format!(
                    "the recall came {} ms after the grant: too late to test the 2 s window on this machine",
                    ms(first)
                ),
            );
            continue;
        }
        let pass = match case.expect {
            Expect::Once { fenced } => mine.len() == 1 && seen.fenced == fenced,
            Expect::AskedAgain => {
                mine.len() == 2 && same_seqid && !seen.fenced && mine[1].answer == OLD_STATEID
            }
            Expect::UntilWindowEnds => {
                (2..=MOST_ASKS).contains(&mine.len())
                    && same_seqid
                    && last.is_some_and(|l| l <= WINDOW + Duration::from_secs(1))
                    && !seen.fenced
            }
        };
        t.ok(pass, case.name);
        t.diag(&format!("{}: {}", case.name, detail()));
    }
}
