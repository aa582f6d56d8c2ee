//! File populations: generated from size and name distributions with a seed,
//! or read from a file list (`find ... -printf '%s %i %U %G %p\n'`, or just
//! `%s %p`).

/// One file as nfsd would describe it to a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub ino: u64,
    pub size: u64,
    pub uid: u32,
    pub gid: u32,
    pub name: String,
    /// A filehandle: the bytes nfsd would hash (version, fsid, inode).
    pub fh: Vec<u8>,
}

impl File {
    /// What nfsd tells a policy about this file, with `servers` data servers
    /// (a new file, written by a client at 10.99.0.2).
    pub fn info(&self, servers: u32) -> lunatik_lua::libs::pnfs::FileInfo<'_> {
        lunatik_lua::libs::pnfs::FileInfo {
            ino: self.ino,
            fh: &self.fh,
            size: 0,
            uid: self.uid,
            gid: self.gid,
            name: Some(self.name.as_bytes()),
            client: b"10.99.0.2",
            export: b"/srv/pnfs",
            rw: true,
            offset: 0,
            length: u64::MAX,
            servers,
        }
    }
}

/// The filehandle nfsd builds for an inode of an export with fsid 0: the
/// knfsd v1 header, then the inode and generation. Only its bytes matter to
/// policies, and they differ per inode as real ones do.
pub fn filehandle(ino: u64) -> Vec<u8> {
    let mut fh = vec![1, 0, 1, 1, 0, 0, 0, 0];
    fh.extend_from_slice(&(ino as u32).to_le_bytes());
    fh.extend_from_slice(&((ino >> 32) as u32 ^ 0x5eed).to_le_bytes());
    fh
}

/// xorshift64*: a small seeded generator (simulations must be repeatable).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// The size distribution of generated files.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sizes {
    /// Every file this many bytes.
    Fixed(u64),
    /// Log-uniform between the two bounds: as many files of 4-8 KiB as of
    /// 4-8 MiB, as file systems tend to have.
    LogUniform(u64, u64),
}

impl Sizes {
    pub fn parse(s: &str) -> Result<Sizes, String> {
        let num = |t: &str| parse_size(t).ok_or(format!("bad size '{t}' (e.g. 64K, 4M, 1G)"));
        if let Some(rest) = s.strip_prefix("fixed:") {
            return Ok(Sizes::Fixed(num(rest)?));
        }
        if let Some(rest) = s.strip_prefix("loguniform:") {
            let (a, b) = rest.split_once('-').ok_or("loguniform:MIN-MAX")?;
            let (a, b) = (num(a)?, num(b)?);
            if a == 0 || b < a {
                return Err("loguniform needs 0 < MIN <= MAX".into());
            }
            return Ok(Sizes::LogUniform(a, b));
        }
        Err(format!(
            "unknown size distribution '{s}': fixed:SIZE or loguniform:MIN-MAX"
        ))
    }

    fn draw(&self, rng: &mut Rng) -> u64 {
        match *self {
            Sizes::Fixed(n) => n,
            Sizes::LogUniform(a, b) => {
                let (la, lb) = ((a as f64).ln(), (b as f64).ln());
                let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                (la + u * (lb - la)).exp().round() as u64
            }
        }
    }
}

/// "64K", "4M", "1G", "512".
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mul) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        't' | 'T' => (&s[..s.len() - 1], 1 << 40),
        _ => (s, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mul)
}

const SUFFIXES: &[&str] = &[
    ".dat", ".h5", ".log", ".tmp", ".img", ".csv", ".bin", ".lock",
];

/// `count` files, sizes from `sizes`, names with varied suffixes, owners
/// among 16 users (uid 0 for one file in 64).
pub fn generate(count: u64, sizes: Sizes, seed: u64) -> impl Iterator<Item = File> {
    let mut rng = Rng::new(seed);
    (0..count).map(move |i| {
        let ino = 12 + i;
        let size = sizes.draw(&mut rng);
        let suffix = SUFFIXES[rng.below(SUFFIXES.len() as u64) as usize];
        let uid = if rng.below(64) == 0 {
            0
        } else {
            1000 + rng.below(16) as u32
        };
        File {
            ino,
            size,
            uid,
            gid: uid,
            name: format!("file{i}{suffix}"),
            fh: filehandle(ino),
        }
    })
}

/// Files of a list: each line "SIZE PATH", or "SIZE INODE UID GID PATH".
pub fn parse_list(text: &str) -> Result<Vec<File>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || {
            format!(
                "file list line {}: expected 'SIZE PATH' or 'SIZE INODE UID GID PATH'",
                n + 1
            )
        };
        let parts: Vec<&str> = line.splitn(5, ' ').collect();
        let size: u64 = parts[0].parse().map_err(|_| bad())?;
        let (ino, uid, gid, path) =
            if parts.len() == 5 && parts[1..4].iter().all(|p| p.parse::<u64>().is_ok()) {
                let p = |i: usize| parts[i].parse::<u64>().unwrap_or(0);
                (p(1), p(2) as u32, p(3) as u32, parts[4].to_string())
            } else {
                let path = line.split_once(' ').map(|(_, p)| p).ok_or_else(bad)?;
                (12 + out.len() as u64, 1000, 1000, path.to_string())
            };
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        out.push(File {
            ino,
            size,
            uid,
            gid,
            name,
            fh: filehandle(ino),
        });
    }
    Ok(out)
}
