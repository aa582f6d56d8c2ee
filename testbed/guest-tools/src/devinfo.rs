//! GETDEVICEINFO of a FILES device at every `gdia_maxcount` that matters
//! (docs/pnfs.md, "Devices"): nfsd encodes the device piece by piece, so a
//! device of 64 IPv6 data servers (about 4.9 KB) crosses pages, and a
//! maxcount below the device's length gets NFS4ERR_TOOSMALL with the length
//! that then works. The stock client always asks with room to spare, so
//! this test asks itself, with `nfs41::Client`.
//!
//! `lunatik-guest-tests devinfo SERVER FILE DATASERVERS [MIN_BYTES]`:
//! SERVER is the metadata server ("10.99.0.1:2049"), FILE a file to open
//! (made if missing) in the export at the NFSv4 root, DATASERVERS the list
//! as /proc/fs/nfsd/pnfs_dataservers shows it: every one of them must be in
//! the device (the built-in layout stripes over all of them); the device
//! address must be at least MIN_BYTES long (more than a page: its encoding
//! crosses one).

use std::io;

use crate::nfs41::{self, Client, Dec, LAYOUT4_NFSV4_1_FILES as FILES};
use crate::tap::Tap;

/// A network address: netid and universal address.
type NetAddr = (String, String);

/// A data server as RFC 8881 section 13.5 writes it: netid and universal
/// address ("10.99.1.1.8.1" for port 2049).
fn netaddr(entry: &str) -> Option<NetAddr> {
    let (host, port) = entry.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let (netid, host) = match host.strip_prefix('[') {
        Some(v6) => ("tcp6", v6.strip_suffix(']')?),
        None => ("tcp", host),
    };
    Some((
        netid.into(),
        format!("{host}.{}.{}", port >> 8, port & 0xff),
    ))
}

/// The data servers of a FILES device address body: one per stripe index,
/// each its first network address (the testbed has no multipath).
fn servers(body: &[u8]) -> io::Result<(Vec<u32>, Vec<NetAddr>)> {
    let mut d = Dec::new(body);
    let indices = d.u32s()?;
    let n = d.u32()?;
    let mut out = Vec::new();
    for _ in 0..n {
        let paths = d.u32()?;
        let mut first = None;
        for _ in 0..paths {
            let a = (d.string()?, d.string()?);
            first.get_or_insert(a);
        }
        out.push(first.unwrap_or_default());
    }
    if d.left() != 0 {
        return Err(io::Error::other(format!(
            "{} bytes after the device",
            d.left()
        )));
    }
    Ok((indices, out))
}

/// Opens `file` and gets a FILES layout for it: its device ID.
fn device_of(c: &mut Client, file: &str) -> io::Result<[u8; 16]> {
    let stateid = c.open(file, b"devinfo")?;
    let layout = c.layoutget(file, &stateid)?;
    let mut id = [0; 16];
    id.copy_from_slice(
        layout
            .body
            .get(..16)
            .ok_or_else(|| io::Error::other("short layout"))?,
    );
    Ok(id)
}

/// GETDEVICEINFO with `maxcount`: the device address body, or the status
/// and (with NFS4ERR_TOOSMALL) the count nfsd says is needed.
fn getdeviceinfo(
    c: &mut Client,
    id: &[u8; 16],
    maxcount: u32,
) -> io::Result<Result<Vec<u8>, (u32, u32)>> {
    let mut r = c.sequenced(&[nfs41::getdeviceinfo(id, FILES, maxcount)])?;
    let last = r
        .pop()
        .ok_or_else(|| io::Error::other("GETDEVICEINFO: no result"))?;
    let mut d = last.body;
    match last.status {
        nfs41::NFS4_OK => {
            if d.u32()? != FILES {
                return Err(io::Error::other("GETDEVICEINFO: not a FILES device"));
            }
            let body = d.opaque()?.to_vec();
            d.u32s()?; // notifications
            Ok(Ok(body))
        }
        nfs41::NFS4ERR_TOOSMALL => Ok(Err((last.status, d.u32()?))),
        s => Ok(Err((s, 0))),
    }
}

pub fn run(t: &mut Tap, server: &str, file: &str, dataservers: &str, min_bytes: &str) {
    let min_bytes = min_bytes.parse().unwrap_or(0);
    if let Err(e) = checks(t, server, file, dataservers, min_bytes) {
        t.ok(false, &format!("GETDEVICEINFO checks ran to the end: {e}"));
    }
}

fn checks(
    t: &mut Tap,
    server: &str,
    file: &str,
    dataservers: &str,
    min_bytes: usize,
) -> io::Result<()> {
    let mut want: Vec<NetAddr> = dataservers
        .split(',')
        .map(|e| netaddr(e).ok_or_else(|| io::Error::other(format!("data server '{e}'"))))
        .collect::<io::Result<_>>()?;
    want.sort();
    let mut c = Client::connect(
        server,
        format!("lunatik-devinfo-{}", std::process::id()).as_bytes(),
    )?;
    let id = device_of(&mut c, file)?;

    let body = match getdeviceinfo(&mut c, &id, 1 << 16)? {
        Ok(b) => b,
        Err((s, _)) => {
            return Err(io::Error::other(format!(
                "GETDEVICEINFO, maxcount 65536: status {s}"
            )))
        }
    };
    let (indices, mut got) = servers(&body)?;
    got.sort();
    let n = want.len();
    t.check(
        got == want && indices == (0..n as u32).collect::<Vec<_>>() && body.len() >= min_bytes,
        &format!("GETDEVICEINFO (maxcount 65536): a {}-byte device, all {n} data servers, stripe index i on server i", body.len()),
        || format!("device: {got:?}, indices {indices:?}; wanted {want:?}, at least {min_bytes} bytes"),
    );
    // What a reply needs: the layout type, the body's length and the body,
    // then the notification bitmap's count.
    let needed = (4 + 4 + body.len().next_multiple_of(4) + 4) as u32;
    for maxcount in [1, 8, 16, needed / 2, needed - 5] {
        let r = getdeviceinfo(&mut c, &id, maxcount)?;
        t.check(
            r == Err((nfs41::NFS4ERR_TOOSMALL, needed)),
            &format!("GETDEVICEINFO, maxcount {maxcount}: NFS4ERR_TOOSMALL, {needed} bytes needed"),
            || format!("answer: {:?}", r.map(|b| b.len())),
        );
    }
    for maxcount in [needed, needed + 1] {
        let r = getdeviceinfo(&mut c, &id, maxcount)?;
        t.check(
            r.as_ref() == Ok(&body),
            &format!("GETDEVICEINFO, maxcount {maxcount} (the length nfsd named): the same device"),
            || format!("answer: {:?}", r.map(|b| b.len())),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nfs41::Enc;

    #[test]
    fn universal_addresses_of_both_families() {
        assert_eq!(
            netaddr("10.99.1.1:2049"),
            Some(("tcp".into(), "10.99.1.1.8.1".into()))
        );
        assert_eq!(
            netaddr("[fd00::1]:2050"),
            Some(("tcp6".into(), "fd00::1.8.2".into()))
        );
        assert_eq!(netaddr("10.99.1.1"), None);
    }

    #[test]
    fn a_device_body_decodes_to_its_servers() {
        let mut e = Enc::default();
        e.u32(2).u32(0).u32(1).u32(2);
        for (id, a) in [("tcp", "10.0.0.1.8.1"), ("tcp6", "fd00::2.8.1")] {
            e.u32(1).opaque(id.as_bytes()).opaque(a.as_bytes());
        }
        let (i, s) = servers(&e.0).expect("decodes");
        assert_eq!(i, [0, 1]);
        assert_eq!(s[1], ("tcp6".into(), "fd00::2.8.1".into()));
        e.u32(0);
        assert!(servers(&e.0).is_err(), "trailing bytes are an error");
    }
}
