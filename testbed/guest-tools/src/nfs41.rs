//! A minimal NFSv4.1 client over TCP, for asking nfsd what the stock client
//! never asks, and answering what the stock client would not: a session
//! (EXCHANGE_ID, CREATE_SESSION, RECLAIM_COMPLETE), OPEN, LAYOUTGET and
//! GETDEVICEINFO with any `gdia_maxcount`; on request a back channel on
//! the same connection, where each CB_LAYOUTRECALL gets the answer the test
//! scripted. AUTH_SYS as root, one slot. Written from RFC 8881 (the
//! protocol), RFC 5531 (RPC) and RFC 4506 (XDR).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const NFS_PROGRAM: u32 = 100_003;
const NFS_V4: u32 = 4;
const PROC_COMPOUND: u32 = 1;
const AUTH_SYS: u32 = 1;
const CB_PROGRAM: u32 = 0x4000_0000;
const CB_COMPOUND: u32 = 1;
const RPC_CALL: u32 = 0;
const RPC_REPLY: u32 = 1;
const REPLY_WAIT: Duration = Duration::from_secs(60);

// Operations (RFC 8881, section 16.2.1).
const OP_LOOKUP: u32 = 15;
const OP_OPEN: u32 = 18;
const OP_PUTROOTFH: u32 = 24;
const OP_EXCHANGE_ID: u32 = 42;
const OP_CREATE_SESSION: u32 = 43;
const OP_GETDEVICEINFO: u32 = 47;
const OP_LAYOUTGET: u32 = 50;
const OP_SEQUENCE: u32 = 53;
const OP_RECLAIM_COMPLETE: u32 = 58;
// Callback operations (RFC 8881, section 20).
const OP_CB_LAYOUTRECALL: u32 = 5;
const OP_CB_SEQUENCE: u32 = 11;
const LAYOUTRECALL4_FILE: u32 = 1;
const LAYOUTRECALL4_FSID: u32 = 2;
const OP_CB_ILLEGAL: u32 = 10044;

pub const NFS4_OK: u32 = 0;
pub const NFS4ERR_TOOSMALL: u32 = 10005;
pub const NFS4ERR_GRACE: u32 = 10013;
pub const NFS4ERR_DELAY: u32 = 10008;
const NFS4ERR_OP_ILLEGAL: u32 = 10044;
pub const NFS4ERR_OLD_STATEID: u32 = 10024;
pub const NFS4ERR_NOMATCHING_LAYOUT: u32 = 10060;
pub const NFS4ERR_LAYOUTTRYLATER: u32 = 10058;
pub const NFS4ERR_RECALLCONFLICT: u32 = 10061;
pub const LAYOUT4_NFSV4_1_FILES: u32 = 1;

/// XDR encoding into a growing buffer.
#[derive(Default)]
pub struct Enc(pub Vec<u8>);

impl Enc {
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    /// Fixed-length opaque data, padded to 4 bytes.
    pub fn fixed(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self.0.resize(self.0.len().next_multiple_of(4), 0);
        self
    }
    /// Variable-length opaque data or a string.
    pub fn opaque(&mut self, b: &[u8]) -> &mut Self {
        self.u32(b.len() as u32).fixed(b)
    }
}

/// XDR decoding of a reply; every read checks the length left.
pub struct Dec<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Dec<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Dec { b, at: 0 }
    }
    pub fn fixed(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let padded = n.next_multiple_of(4);
        if self.b.len() - self.at < padded {
            return Err(bad(format!(
                "reply ends at byte {} of {}, {padded} more wanted",
                self.at,
                self.b.len()
            )));
        }
        let s = &self.b[self.at..self.at + n];
        self.at += padded;
        Ok(s)
    }
    pub fn u32(&mut self) -> io::Result<u32> {
        let s = self.fixed(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    pub fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from(self.u32()?) << 32 | u64::from(self.u32()?))
    }
    pub fn opaque(&mut self) -> io::Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.fixed(n)
    }
    pub fn string(&mut self) -> io::Result<String> {
        Ok(String::from_utf8_lossy(self.opaque()?).into_owned())
    }
    /// A bitmap4 or any array of u32.
    pub fn u32s(&mut self) -> io::Result<Vec<u32>> {
        let n = self.u32()? as usize;
        (0..n).map(|_| self.u32()).collect()
    }
    pub fn left(&self) -> usize {
        self.b.len() - self.at
    }
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// One operation's result: its status, and its body when the status is
/// NFS4_OK (or NFS4ERR_TOOSMALL, whose GETDEVICEINFO body is the count).
pub struct OpResult<'a> {
    pub status: u32,
    pub body: Dec<'a>,
}

/// A TCP connection with an NFSv4.1 session on it.
pub struct Client {
    tcp: TcpStream,
    xid: u32,
    clientid: u64,
    session: [u8; 16],
    slot_seq: u32,
    reply: Vec<u8>,
    /// The answers to the recalls to come, in order; the last repeats.
    answers: Vec<u32>,
    recalls: Vec<Recall>,
    /// The last callback's CB_SEQUENCE sequence and slot, and its result.
    cb_replay: Option<((u32, u32), Vec<u8>)>,
}

/// A CB_LAYOUTRECALL the server sent, and the status it was answered.
#[derive(Clone, Debug)]
pub struct Recall {
    /// The layout stateid recalled (zero for a recall of an FSID or all).
    pub stateid: [u8; 16],
    pub at: Instant,
    pub answer: u32,
}

/// A layout nfsd granted: its stateid and the body of its first layout.
pub struct Layout {
    pub stateid: [u8; 16],
    pub body: Vec<u8>,
}

/// The arguments of one operation, encoded after its number.
pub struct Op {
    pub num: u32,
    pub args: Enc,
}

pub fn op(num: u32, f: impl FnOnce(&mut Enc)) -> Op {
    let mut args = Enc::default();
    f(&mut args);
    Op { num, args }
}

pub fn putrootfh() -> Op {
    op(OP_PUTROOTFH, |_| {})
}

pub fn lookup(name: &str) -> Op {
    op(OP_LOOKUP, |e| {
        e.opaque(name.as_bytes());
    })
}

/// OPEN of `name` in the current directory, created when missing, for
/// reading and writing, with no delegation wanted.
pub fn open_create(clientid: u64, owner: &[u8], name: &str) -> Op {
    op(OP_OPEN, |e| {
        e.u32(0) // seqid: unused in 4.1
            .u32(3 | 0x0400) // SHARE_ACCESS_BOTH | WANT_NO_DELEG
            .u32(0) // share_deny
            .u64(clientid)
            .opaque(owner)
            .u32(1) // OPEN4_CREATE
            .u32(0) // UNCHECKED4
            .u32(0) // fattr4: empty bitmap
            .u32(0) // and no attributes
            .u32(0) // CLAIM_NULL
            .opaque(name.as_bytes());
    })
}

/// LAYOUTGET of a whole-file read/write layout of `layout_type`.
pub fn layoutget(layout_type: u32, stateid: &[u8; 16], maxcount: u32) -> Op {
    op(OP_LAYOUTGET, |e| {
        e.u32(0) // signal_layout_avail
            .u32(layout_type)
            .u32(2) // LAYOUTIOMODE4_RW
            .u64(0)
            .u64(u64::MAX)
            .u64(0) // minlength
            .fixed(stateid)
            .u32(maxcount);
    })
}

pub fn getdeviceinfo(devid: &[u8; 16], layout_type: u32, maxcount: u32) -> Op {
    op(OP_GETDEVICEINFO, |e| {
        e.fixed(devid).u32(layout_type).u32(maxcount).u32(0); // no notifications
    })
}

impl Client {
    /// Connects to `addr` ("host:port") and makes a session: EXCHANGE_ID
    /// with a client owner of `owner`, CREATE_SESSION, RECLAIM_COMPLETE.
    pub fn connect(addr: &str, owner: &[u8]) -> io::Result<Client> {
        Self::session(addr, owner, false)
    }

    /// As [`Client::connect`], with the connection also the session's
    /// back channel: the server's callbacks are answered as
    /// [`Client::answer_recalls`] says.
    pub fn connect_with_back_channel(addr: &str, owner: &[u8]) -> io::Result<Client> {
        Self::session(addr, owner, true)
    }

    /// A client on `tcp`, with no session yet.
    fn on(tcp: TcpStream) -> io::Result<Client> {
        tcp.set_read_timeout(Some(REPLY_WAIT))?;
        Ok(Client {
            tcp,
            xid: std::process::id() << 12,
            clientid: 0,
            session: [0; 16],
            slot_seq: 0,
            reply: Vec::new(),
            answers: Vec::new(),
            recalls: Vec::new(),
            cb_replay: None,
        })
    }

    fn session(addr: &str, owner: &[u8], back_channel: bool) -> io::Result<Client> {
        let mut c = Self::on(TcpStream::connect(addr)?)?;
        let exchange = op(OP_EXCHANGE_ID, |e| {
            e.fixed(&std::process::id().to_be_bytes().repeat(2)) // verifier
                .opaque(owner)
                .u32(0x0002_0000) // EXCHGID4_FLAG_USE_PNFS_MDS
                .u32(0) // SP4_NONE
                .u32(0); // no implementation id
        });
        let (clientid, seq) = {
            let mut r = c.compound(&[exchange])?;
            let mut ex = expect_ok(&mut r, "EXCHANGE_ID")?;
            (ex.u64()?, ex.u32()?)
        };
        c.clientid = clientid;
        // CREATE_SESSION4_FLAG_CONN_BACK_CHAN: this connection carries
        // the callbacks too
        let flags = if back_channel { 2 } else { 0 };
        let create = op(OP_CREATE_SESSION, |e| {
            e.u64(clientid).u32(seq).u32(flags);
            // fore channel: pad, max request, max response, cached, ops,
            // requests, rdma; then the back channel's
            e.u32(0).u32(1 << 20).u32(1 << 20).u32(8192).u32(16).u32(1);
            e.u32(0);
            e.u32(0).u32(4096).u32(4096).u32(0).u32(16).u32(1).u32(0);
            e.u32(CB_PROGRAM).u32(1).u32(0); // program; AUTH_NONE
        });
        let session = {
            let mut r = c.compound(&[create])?;
            let mut cs = expect_ok(&mut r, "CREATE_SESSION")?;
            let mut s = [0; 16];
            s.copy_from_slice(cs.fixed(16)?);
            s
        };
        c.session = session;
        let mut r = c.sequenced(&[op(OP_RECLAIM_COMPLETE, |e| {
            e.u32(0);
        })])?;
        expect_ok(&mut r, "RECLAIM_COMPLETE")?;
        Ok(c)
    }

    /// This end of the connection, as nfsd logs a client ("10.0.0.2:876").
    pub fn local_addr(&self) -> io::Result<String> {
        Ok(self.tcp.local_addr()?.to_string())
    }

    /// The answers to the next recalls: the first to the first, and so
    /// on, the last to all after it (none: NFS4ERR_NOMATCHING_LAYOUT).
    /// Forgets the recalls seen so far.
    pub fn answer_recalls(&mut self, answers: &[u32]) {
        self.answers = answers.to_vec();
        self.recalls.clear();
    }

    /// The recalls answered since [`Client::answer_recalls`].
    pub fn recalls(&self) -> &[Recall] {
        &self.recalls
    }

    /// Answers the server's callbacks: waits up to `first` for one, then
    /// goes on until none came for `quiet`.
    pub fn serve_back_channel(&mut self, first: Duration, quiet: Duration) -> io::Result<()> {
        let mut wait = first;
        loop {
            // Wait for a record to start; read it whole with the usual wait.
            self.tcp.set_read_timeout(Some(wait))?;
            let ready = self.tcp.peek(&mut [0; 1]);
            self.tcp.set_read_timeout(Some(REPLY_WAIT))?;
            match ready {
                Ok(0) => return Err(bad("the server closed the connection".into())),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(())
                }
                Err(e) => return Err(e),
            }
            self.read_record()?;
            if !self.record_is_call()? {
                return Err(bad("a reply to no call".into()));
            }
            self.answer_call()?;
            wait = quiet;
        }
    }

    /// OPEN of `file` at the root, made if missing (retried through the
    /// grace period): the open stateid.
    pub fn open(&mut self, file: &str, owner: &[u8]) -> io::Result<[u8; 16]> {
        let clientid = self.clientid;
        retry("OPEN", || {
            let r = self.sequenced(&[putrootfh(), open_create(clientid, owner, file)])?;
            let mut body = match outcome(r, 2) {
                Ok(b) => b,
                Err(s) => return Ok(Err(s)),
            };
            let mut s = [0; 16];
            s.copy_from_slice(body.fixed(16)?);
            Ok(Ok(s))
        })
    }

    /// LAYOUTGET of a whole-file FILES layout of `file` with `stateid`
    /// (retried while a recall or the grace period refuses it).
    pub fn layoutget(&mut self, file: &str, stateid: &[u8; 16]) -> io::Result<Layout> {
        retry("LAYOUTGET", || {
            let r = self.sequenced(&[
                putrootfh(),
                lookup(file),
                layoutget(LAYOUT4_NFSV4_1_FILES, stateid, 1 << 16),
            ])?;
            let mut d = match outcome(r, 3) {
                Ok(b) => b,
                Err(s) => return Ok(Err(s)),
            };
            d.u32()?; // return on close
            let mut stateid = [0; 16];
            stateid.copy_from_slice(d.fixed(16)?);
            if d.u32()? == 0 {
                return Err(bad("LAYOUTGET: no layout".into()));
            }
            d.u64()?;
            d.u64()?;
            d.u32()?; // offset, length, iomode
            if d.u32()? != LAYOUT4_NFSV4_1_FILES {
                return Err(bad("LAYOUTGET: not a FILES layout".into()));
            }
            let body = d.opaque()?.to_vec();
            Ok(Ok(Layout { stateid, body }))
        })
    }

    /// SEQUENCE on slot 0, then `ops`: the results after SEQUENCE's.
    pub fn sequenced(&mut self, ops: &[Op]) -> io::Result<Vec<OpResult<'_>>> {
        self.slot_seq += 1;
        let (session, seq) = (self.session, self.slot_seq);
        let sequence = op(OP_SEQUENCE, |e| {
            e.fixed(&session).u32(seq).u32(0).u32(0).u32(0);
        });
        let mut all = vec![sequence];
        all.extend(ops.iter().map(|o| Op {
            num: o.num,
            args: Enc(o.args.0.clone()),
        }));
        let mut r = self.compound(&all)?;
        match r.first().map(|s| s.status) {
            Some(NFS4_OK) => {
                r.remove(0);
                Ok(r)
            }
            s => Err(bad(format!("SEQUENCE: status {s:?}"))),
        }
    }

    /// One COMPOUND: each result in order, up to the first that failed.
    pub fn compound(&mut self, ops: &[Op]) -> io::Result<Vec<OpResult<'_>>> {
        self.xid = self.xid.wrapping_add(1);
        let mut m = Enc::default();
        m.u32(self.xid)
            .u32(0)
            .u32(2)
            .u32(NFS_PROGRAM)
            .u32(NFS_V4)
            .u32(PROC_COMPOUND);
        let mut cred = Enc::default();
        cred.u32(0).opaque(b"lunatik-guest").u32(0).u32(0).u32(0); // root
        m.u32(AUTH_SYS).opaque(&cred.0).u32(0).u32(0);
        m.opaque(b"").u32(1).u32(ops.len() as u32); // tag, minor version 1
        for o in ops {
            m.u32(o.num);
            m.0.extend_from_slice(&o.args.0);
        }
        self.send(&m)?;
        // Callbacks that come first are answered on the way.
        loop {
            self.read_record()?;
            if !self.record_is_call()? {
                break;
            }
            self.answer_call()?;
        }
        let mut d = Dec::new(&self.reply);
        let (xid, mtype, stat) = (d.u32()?, d.u32()?, d.u32()?);
        if xid != self.xid || mtype != RPC_REPLY || stat != 0 {
            return Err(bad(format!(
                "RPC reply xid {xid:#x} type {mtype} stat {stat}"
            )));
        }
        d.u32()?; // verifier flavor
        d.opaque()?;
        let accept = d.u32()?;
        if accept != 0 {
            return Err(bad(format!("RPC accept_stat {accept}")));
        }
        d.u32()?; // the COMPOUND's status: the last result's
        d.opaque()?; // tag
        let n = d.u32()?;
        let mut results = Vec::new();
        for i in 0..n {
            let num = d.u32()?;
            if num != ops[i as usize].num {
                return Err(bad(format!("result {i} is of op {num}")));
            }
            let status = d.u32()?;
            // The body of the last result runs to the end of the reply.
            let rest = &self.reply[self.reply.len() - d.left()..];
            let body = Dec::new(rest);
            results.push(OpResult { status, body });
            if status != NFS4_OK || i + 1 == n {
                break;
            }
            skip_body(num, &mut d)?;
        }
        Ok(results)
    }

    /// Sends one RPC message as one record.
    fn send(&mut self, m: &Enc) -> io::Result<()> {
        let mut rec = Vec::with_capacity(m.0.len() + 4);
        rec.extend_from_slice(&(0x8000_0000 | m.0.len() as u32).to_be_bytes());
        rec.extend_from_slice(&m.0);
        self.tcp.write_all(&rec)
    }

    /// Answers the callback in `self.reply`: CB_NULL, or a CB_COMPOUND of
    /// CB_SEQUENCE and CB_LAYOUTRECALL (any other operation: NOTSUPP).
    fn answer_call(&mut self) -> io::Result<()> {
        let call = std::mem::take(&mut self.reply);
        let mut d = Dec::new(&call);
        let xid = d.u32()?;
        d.u32()?; // CALL
        let (rpcvers, prog, _vers, proc_) = (d.u32()?, d.u32()?, d.u32()?, d.u32()?);
        if rpcvers != 2 || prog != CB_PROGRAM {
            return Err(bad(format!("a call of program {prog:#x}, RPC {rpcvers}")));
        }
        for _ in 0..2 {
            d.u32()?; // credential, then verifier
            d.opaque()?;
        }
        let mut m = Enc::default();
        // REPLY, MSG_ACCEPTED, an AUTH_NONE verifier, then SUCCESS, or
        // PROC_UNAVAIL for a procedure neither CB_NULL nor CB_COMPOUND
        m.u32(xid).u32(RPC_REPLY).u32(0).u32(0).u32(0);
        match proc_ {
            0 => m.u32(0),
            CB_COMPOUND => {
                let body = self.cb_compound(&mut d)?;
                m.u32(0).fixed(&body)
            }
            _ => m.u32(3),
        };
        self.send(&m)
    }

    /// The result of a CB_COMPOUND: its status, tag and results. A call
    /// sent again (the same CB_SEQUENCE slot and sequence: nfsd resends
    /// one it had no reply to in time) gets the same result again,
    /// without counting as another recall (RFC 8881, section 2.10.6.1).
    fn cb_compound(&mut self, d: &mut Dec) -> io::Result<Vec<u8>> {
        let tag = d.opaque()?.to_vec();
        d.u32()?; // minor version
        d.u32()?; // callback ident
        let ops = d.u32()?;
        let (mut res, mut n, mut status) = (Enc::default(), 0, NFS4_OK);
        let mut slot_seq = None;
        for _ in 0..ops {
            let mut num = d.u32()?;
            n += 1;
            match num {
                OP_CB_SEQUENCE => {
                    let session = d.fixed(16)?;
                    let (seq, slot, highest) = (d.u32()?, d.u32()?, d.u32()?);
                    if let Some((again, body)) = &self.cb_replay {
                        if *again == (seq, slot) {
                            return Ok(body.clone());
                        }
                    }
                    self.cb_replay = None;
                    slot_seq = Some((seq, slot));
                    d.u32()?; // cachethis
                    for _ in 0..d.u32()? {
                        d.fixed(16)?; // a referring call list: its session
                        for _ in 0..d.u32()? {
                            d.u64()?; // and its calls' sequence and slot
                        }
                    }
                    res.u32(num).u32(NFS4_OK).fixed(session).u32(seq);
                    res.u32(slot).u32(highest).u32(highest);
                }
                OP_CB_LAYOUTRECALL => {
                    d.u32()?; // type
                    d.u32()?; // iomode
                    d.u32()?; // changed
                    let mut stateid = [0; 16];
                    match d.u32()? {
                        LAYOUTRECALL4_FILE => {
                            d.opaque()?; // filehandle
                            d.u64()?; // offset
                            d.u64()?; // length
                            stateid.copy_from_slice(d.fixed(16)?);
                        }
                        LAYOUTRECALL4_FSID => {
                            d.u64()?;
                            d.u64()?;
                        }
                        _ => {} // all
                    }
                    let k = self.recalls.len();
                    status = self
                        .answers
                        .get(k)
                        .or(self.answers.last())
                        .copied()
                        .unwrap_or(NFS4ERR_NOMATCHING_LAYOUT);
                    self.recalls.push(Recall {
                        stateid,
                        at: Instant::now(),
                        answer: status,
                    });
                    res.u32(num).u32(status);
                }
                _ => {
                    // its arguments cannot be read past: the compound ends
                    (num, status) = (OP_CB_ILLEGAL, NFS4ERR_OP_ILLEGAL);
                    res.u32(num).u32(status);
                }
            }
            if status != NFS4_OK {
                break;
            }
        }
        let mut body = Enc::default();
        body.u32(status).opaque(&tag).u32(n).fixed(&res.0);
        if let Some(again) = slot_seq {
            self.cb_replay = Some((again, body.0.clone()));
        }
        Ok(body.0)
    }

    /// Whether the record read last is a call (the server's, on the back
    /// channel) rather than a reply: its message type, after the xid.
    fn record_is_call(&self) -> io::Result<bool> {
        Ok(Dec::new(&self.reply).fixed(8)?[4..] == RPC_CALL.to_be_bytes())
    }

    fn read_record(&mut self) -> io::Result<()> {
        self.reply.clear();
        loop {
            let mut mark = [0; 4];
            self.tcp.read_exact(&mut mark)?;
            let mark = u32::from_be_bytes(mark);
            let start = self.reply.len();
            self.reply.resize(start + (mark & 0x7fff_ffff) as usize, 0);
            self.tcp.read_exact(&mut self.reply[start..])?;
            if mark & 0x8000_0000 != 0 {
                return Ok(());
            }
        }
    }
}

/// Retries `f` while it answers one of the transient statuses (the grace
/// period, a recall in progress) for at most 90 s.
pub fn retry<T>(what: &str, mut f: impl FnMut() -> io::Result<Result<T, u32>>) -> io::Result<T> {
    let t0 = Instant::now();
    loop {
        match f()? {
            Ok(v) => return Ok(v),
            Err(
                NFS4ERR_GRACE | NFS4ERR_DELAY | NFS4ERR_LAYOUTTRYLATER | NFS4ERR_RECALLCONFLICT,
            ) if t0.elapsed() < Duration::from_secs(90) => {
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(s) => return Err(bad(format!("{what}: status {s}"))),
        }
    }
}

/// Moves past an OK result of the operations that are followed by others
/// in the compounds this client sends.
fn skip_body(num: u32, d: &mut Dec) -> io::Result<()> {
    match num {
        OP_SEQUENCE => {
            d.fixed(16)?;
            for _ in 0..5 {
                d.u32()?;
            }
        }
        OP_PUTROOTFH | OP_LOOKUP | OP_RECLAIM_COMPLETE => {}
        _ => return Err(bad(format!("op {num} must come last"))),
    }
    Ok(())
}

/// The outcome of a compound of `n` operations (after SEQUENCE): the body
/// of the last result when all ran and it is NFS4_OK, else the status of
/// the one that failed.
pub fn outcome(mut r: Vec<OpResult<'_>>, n: usize) -> Result<Dec<'_>, u32> {
    let complete = r.len() == n;
    match r.pop() {
        Some(last) if complete && last.status == NFS4_OK => Ok(last.body),
        Some(last) => Err(last.status),
        None => Err(u32::MAX),
    }
}

/// The body of the last result, which must be NFS4_OK and of `what`.
pub fn expect_ok<'a>(r: &mut Vec<OpResult<'a>>, what: &str) -> io::Result<Dec<'a>> {
    let n = r.len().max(1);
    outcome(std::mem::take(r), n).map_err(|s| bad(format!("{what}: status {s}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdr_round_trip_pads_to_four_bytes() {
        let mut e = Enc::default();
        e.u32(7).opaque(b"abcde").u64(1 << 40).fixed(&[1, 2]);
        assert_eq!(e.0.len(), 4 + 4 + 8 + 8 + 4);
        let mut d = Dec::new(&e.0);
        assert_eq!(d.u32().unwrap(), 7);
        assert_eq!(d.string().unwrap(), "abcde");
        assert_eq!(d.u64().unwrap(), 1 << 40);
        assert_eq!(d.fixed(2).unwrap(), &[1, 2]);
        assert_eq!(d.left(), 0);
        assert!(d.u32().is_err(), "reading past the end is an error");
    }

    /// A client on one end of a loopback connection, the "server" on the
    /// other.
    fn pair() -> (Client, TcpStream) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let tcp = TcpStream::connect(l.local_addr().expect("addr")).expect("connect");
        let (server, _) = l.accept().expect("accept");
        (Client::on(tcp).expect("client"), server)
    }

    /// A CB_COMPOUND call of CB_SEQUENCE and a file CB_LAYOUTRECALL of
    /// `stateid`, as one record, as nfsd sends it.
    fn recall_call(xid: u32, seq: u32, stateid: &[u8; 16]) -> Vec<u8> {
        let mut m = Enc::default();
        m.u32(xid)
            .u32(RPC_CALL)
            .u32(2)
            .u32(CB_PROGRAM)
            .u32(1)
            .u32(CB_COMPOUND);
        m.u32(0).opaque(b"").u32(0).opaque(b""); // AUTH_NONE, twice
        m.opaque(b"tag").u32(1).u32(0).u32(2);
        m.u32(OP_CB_SEQUENCE)
            .fixed(&[7; 16])
            .u32(seq)
            .u32(0)
            .u32(0)
            .u32(0);
        m.u32(1).fixed(&[7; 16]).u32(1).u32(9).u32(0); // a referring call
        m.u32(OP_CB_LAYOUTRECALL)
            .u32(LAYOUT4_NFSV4_1_FILES)
            .u32(3)
            .u32(1);
        m.u32(LAYOUTRECALL4_FILE)
            .opaque(&[1, 2, 3])
            .u64(0)
            .u64(u64::MAX);
        m.fixed(stateid);
        let mut rec = (0x8000_0000 | m.0.len() as u32).to_be_bytes().to_vec();
        rec.extend_from_slice(&m.0);
        rec
    }

    fn read_reply(server: &mut TcpStream) -> Vec<u8> {
        let mut mark = [0; 4];
        server.read_exact(&mut mark).expect("record mark");
        let mut r = vec![0; (u32::from_be_bytes(mark) & 0x7fff_ffff) as usize];
        server.read_exact(&mut r).expect("record");
        r
    }

    #[test]
    fn each_recall_gets_its_scripted_answer_and_the_last_repeats() {
        let (mut c, mut server) = pair();
        c.answer_recalls(&[NFS4ERR_NOMATCHING_LAYOUT, NFS4ERR_OLD_STATEID]);
        let sid = [3; 16];
        for (xid, want) in [
            (10, NFS4ERR_NOMATCHING_LAYOUT),
            (11, NFS4ERR_OLD_STATEID),
            (12, NFS4ERR_OLD_STATEID),
        ] {
            server
                .write_all(&recall_call(xid, xid, &sid))
                .expect("send");
            c.serve_back_channel(Duration::from_secs(5), Duration::from_millis(50))
                .expect("served");
            let r = read_reply(&mut server);
            let mut d = Dec::new(&r);
            // xid, REPLY, accepted, verifier, SUCCESS
            let head: Vec<u32> = (0..6).map(|_| d.u32().expect("header")).collect();
            assert_eq!(head, [xid, RPC_REPLY, 0, 0, 0, 0]);
            assert_eq!(d.u32().unwrap(), want, "the compound's status");
            assert_eq!(d.string().unwrap(), "tag");
            assert_eq!(d.u32().unwrap(), 2, "two results");
            assert_eq!(d.u32().unwrap(), OP_CB_SEQUENCE);
            assert_eq!(d.u32().unwrap(), NFS4_OK);
            assert_eq!(d.fixed(16).unwrap(), &[7; 16], "the session echoed");
            assert_eq!(d.u32().unwrap(), xid, "the sequence echoed");
            d.fixed(12).unwrap(); // slot, highest, target highest
            assert_eq!(
                (d.u32().unwrap(), d.u32().unwrap()),
                (OP_CB_LAYOUTRECALL, want)
            );
            assert_eq!(d.left(), 0);
        }
        let seen: Vec<(u32, [u8; 16])> =
            c.recalls().iter().map(|r| (r.answer, r.stateid)).collect();
        assert_eq!(
            seen,
            [
                (NFS4ERR_NOMATCHING_LAYOUT, sid),
                (NFS4ERR_OLD_STATEID, sid),
                (NFS4ERR_OLD_STATEID, sid)
            ]
        );
    }

    #[test]
    fn a_callback_before_the_reply_is_answered_on_the_way() {
        let (mut c, mut server) = pair();
        let t = std::thread::spawn(move || {
            let call = read_reply(&mut server); // the COMPOUND
            let xid = u32::from_be_bytes([call[0], call[1], call[2], call[3]]);
            server.write_all(&recall_call(77, 1, &[4; 16])).unwrap();
            let answer = read_reply(&mut server);
            let mut reply = Enc::default();
            // the COMPOUND's reply: OK, no tag, one PUTROOTFH result
            reply.u32(xid).u32(RPC_REPLY).u32(0).u32(0).u32(0).u32(0);
            reply
                .u32(NFS4_OK)
                .opaque(b"")
                .u32(1)
                .u32(OP_PUTROOTFH)
                .u32(NFS4_OK);
            let mut rec = (0x8000_0000 | reply.0.len() as u32).to_be_bytes().to_vec();
            rec.extend_from_slice(&reply.0);
            server.write_all(&rec).unwrap();
            answer
        });
        let r = c
            .compound(&[putrootfh()])
            .expect("the reply after the callback");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].status, NFS4_OK);
        let answer = t.join().expect("server");
        assert_eq!(
            &answer[..8],
            &[0, 0, 0, 77, 0, 0, 0, 1],
            "the callback's reply"
        );
        assert_eq!(c.recalls().len(), 1);
        assert_eq!(
            c.recalls()[0].answer,
            NFS4ERR_NOMATCHING_LAYOUT,
            "the default"
        );
    }

    #[test]
    fn a_call_sent_again_gets_the_same_answer_and_is_no_new_recall() {
        let (mut c, mut server) = pair();
        c.answer_recalls(&[NFS4ERR_NOMATCHING_LAYOUT, NFS4ERR_OLD_STATEID]);
        let mut replies = Vec::new();
        // the same slot and sequence twice (new xids), then the next one
        for (xid, seq) in [(20u32, 1), (21, 1), (22, 2)] {
            server.write_all(&recall_call(xid, seq, &[5; 16])).unwrap();
            c.serve_back_channel(Duration::from_secs(5), Duration::from_millis(50))
                .expect("served");
            let r = read_reply(&mut server);
            assert_eq!(r[..4], xid.to_be_bytes(), "its own xid");
            replies.push(r[4..].to_vec());
        }
        assert_eq!(replies[0], replies[1], "the same result again");
        assert_ne!(replies[1], replies[2], "the next call, the next answer");
        let answers: Vec<u32> = c.recalls().iter().map(|r| r.answer).collect();
        assert_eq!(answers, [NFS4ERR_NOMATCHING_LAYOUT, NFS4ERR_OLD_STATEID]);
    }

    #[test]
    fn an_unknown_callback_operation_is_illegal_and_ends_the_compound() {
        let (mut c, mut server) = pair();
        let mut m = Enc::default();
        m.u32(30)
            .u32(RPC_CALL)
            .u32(2)
            .u32(CB_PROGRAM)
            .u32(1)
            .u32(CB_COMPOUND);
        m.u32(0).opaque(b"").u32(0).opaque(b"");
        m.opaque(b"").u32(1).u32(0).u32(2).u32(4).u32(0); // CB_RECALL, ...
        let mut rec = (0x8000_0000 | m.0.len() as u32).to_be_bytes().to_vec();
        rec.extend_from_slice(&m.0);
        server.write_all(&rec).unwrap();
        c.serve_back_channel(Duration::from_secs(5), Duration::from_millis(50))
            .expect("served");
        let r = read_reply(&mut server);
        let mut d = Dec::new(&r);
        for _ in 0..6 {
            d.u32().unwrap();
        }
        assert_eq!(d.u32().unwrap(), NFS4ERR_OP_ILLEGAL);
        d.opaque().unwrap();
        assert_eq!(d.u32().unwrap(), 1, "one result");
        assert_eq!(
            (d.u32().unwrap(), d.u32().unwrap()),
            (OP_CB_ILLEGAL, NFS4ERR_OP_ILLEGAL)
        );
        assert!(c.recalls().is_empty());
    }

    #[test]
    fn a_quiet_back_channel_ends_the_wait() {
        let (mut c, _server) = pair();
        let t0 = Instant::now();
        c.serve_back_channel(Duration::from_millis(100), Duration::from_millis(100))
            .expect("nothing to serve is no error");
        assert!(c.recalls().is_empty());
        assert!(t0.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_length_past_the_reply_is_an_error() {
        let mut e = Enc::default();
        e.u32(1000).u32(0);
        assert!(Dec::new(&e.0).opaque().is_err());
    }
}
