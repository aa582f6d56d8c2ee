//! A minimal NFSv4.1 client over TCP, for asking nfsd what the stock client
//! never asks: a session (EXCHANGE_ID, CREATE_SESSION, RECLAIM_COMPLETE),
//! OPEN, LAYOUTGET and GETDEVICEINFO with any `gdia_maxcount`. AUTH_SYS as
//! root, one slot, no back channel. Written from RFC 8881 (the protocol),
//! RFC 5531 (RPC) and RFC 4506 (XDR).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const NFS_PROGRAM: u32 = 100_003;
const NFS_V4: u32 = 4;
const PROC_COMPOUND: u32 = 1;
const AUTH_SYS: u32 = 1;

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

pub const NFS4_OK: u32 = 0;
pub const NFS4ERR_TOOSMALL: u32 = 10005;
pub const NFS4ERR_GRACE: u32 = 10013;
pub const NFS4ERR_DELAY: u32 = 10008;
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
        let tcp = TcpStream::connect(addr)?;
        tcp.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut c = Client {
            tcp,
            xid: std::process::id() << 12,
            clientid: 0,
            session: [0; 16],
            slot_seq: 0,
            reply: Vec::new(),
        };
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
        let create = op(OP_CREATE_SESSION, |e| {
            e.u64(clientid).u32(seq).u32(0); // no flags: no back channel
                                             // fore channel: pad, max request, max response, cached, ops, requests, rdma
            e.u32(0)
                .u32(1 << 20)
                .u32(1 << 20)
                .u32(8192)
                .u32(16)
                .u32(1)
                .u32(0);
            // back channel (unused)
            e.u32(0).u32(4096).u32(4096).u32(0).u32(16).u32(1).u32(0);
            e.u32(0x4000_0000).u32(1).u32(0); // program; AUTH_NONE
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

    pub fn clientid(&self) -> u64 {
        self.clientid
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
        let mut rec = Vec::with_capacity(m.0.len() + 4);
        rec.extend_from_slice(&(0x8000_0000 | m.0.len() as u32).to_be_bytes());
        rec.extend_from_slice(&m.0);
        self.tcp.write_all(&rec)?;
        self.read_record()?;
        let mut d = Dec::new(&self.reply);
        let (xid, mtype, stat) = (d.u32()?, d.u32()?, d.u32()?);
        if xid != self.xid || mtype != 1 || stat != 0 {
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

    #[test]
    fn a_length_past_the_reply_is_an_error() {
        let mut e = Enc::default();
        e.u32(1000).u32(0);
        assert!(Dec::new(&e.0).opaque().is_err());
    }
}
