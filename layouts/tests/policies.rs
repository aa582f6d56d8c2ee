//! Each policy of layouts/ against its stated properties, on the twin.

use std::path::Path;

use layout_sim::policy::Policy;
use layout_sim::population::{self, File, Sizes};
use layout_sim::sim::{self, Change, Placement};

fn load(name: &str) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    Policy::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn files(n: u64) -> Vec<File> {
    population::generate(n, Sizes::parse("loguniform:4K-256M").unwrap(), 42).collect()
}

const ALL: &[&str] = &[
    "default.lua",
    "roundrobin.lua",
    "rendezvous.lua",
    "weighted.lua",
    "classes.lua",
];

#[test]
fn every_policy_is_deterministic_and_always_valid() {
    let sample = files(300);
    for name in ALL {
        let (a, b) = (load(name), load(name));
        for n in [1u32, 2, 3, 7, 64] {
            for f in &sample {
                let x = a
                    .decide(&f.info(n))
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let y = b.decide(&f.info(n)).unwrap();
                assert!(
                    x.is_some(),
                    "{name} with {n} servers: nfsd would reject {:?}",
                    a.answer(&f.info(n))
                );
                assert_eq!(x, y, "{name}: two runs disagree");
                assert_eq!(x, a.decide(&f.info(n)).unwrap(), "{name}: not repeatable");
            }
        }
    }
}

#[test]
fn sha1_placement_balances_files() {
    let p = load("default.lua");
    let st = sim::run(&p, &files(100_000), 64, Change::None, true);
    let (max_mean, _) = sim::balance(&st.files);
    assert!(max_mean <= 1.05, "max/mean files {max_mean}");
    for f in files(200) {
        let d = p.decide(&f.info(64)).unwrap().unwrap();
        assert_eq!(d.servers.len(), 4, "width 4 of 64");
        let mut s = d.servers.clone();
        s.sort_unstable();
        s.dedup();
        assert_eq!(s.len(), 4, "distinct servers");
    }
}

#[test]
fn rendezvous_moves_little_when_a_server_is_added() {
    let p = load("rendezvous.lua");
    let n = 16;
    let st = sim::run(&p, &files(20_000), n, Change::Add, true);
    let ratio = st.moved as f64 / st.total_bytes as f64 * f64::from(n + 1);
    assert!(ratio <= 1.1, "moved {ratio} x the ideal 1/(N+1)");
    let st = sim::run(&p, &files(20_000), n, Change::Remove, true);
    let ratio = st.moved as f64 / st.total_bytes as f64 * f64::from(n);
    assert!(ratio <= 1.1, "removing: moved {ratio} x the ideal 1/N");
}

#[test]
fn sha1_placement_moves_much_more_than_rendezvous() {
    let st = sim::run(&load("default.lua"), &files(5_000), 16, Change::Add, true);
    assert!(st.moved as f64 / st.total_bytes as f64 > 0.5);
}

#[test]
fn weighted_shares_follow_the_weights() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("weighted.lua");
    let weights = [1u64, 2, 3, 4];
    let p = Policy::load_with(&path, Some(&weights)).unwrap();
    let st = sim::run(&p, &files(20_000), 4, Change::None, true);
    let total: u64 = st.files.iter().sum();
    for (s, &w) in weights.iter().enumerate() {
        let share = st.files[s] as f64 / total as f64;
        let want = w as f64 / 10.0;
        assert!(
            (share - want).abs() / want < 0.15,
            "server {} has {share:.3} of the files, weight share {want}",
            s + 1
        );
    }
}

#[test]
fn classes_follow_name_and_owner() {
    let p = load("classes.lua");
    let mut f = files(1)[0].clone();
    f.uid = 1000;
    f.name = "build.log".into();
    let d = p.decide(&f.info(10)).unwrap().unwrap();
    assert_eq!(
        (d.servers.len(), d.stripe_unit),
        (1, 64 * 1024),
        "small files on one server"
    );
    f.name = "data.h5".into();
    let d = p.decide(&f.info(10)).unwrap().unwrap();
    assert_eq!(
        (d.servers.len(), d.stripe_unit),
        (8, 1 << 20),
        "others striped wide"
    );
    f.uid = 0;
    let d = p.decide(&f.info(10)).unwrap().unwrap();
    assert_eq!(d.servers, vec![1], "root's files on server 1");
}

#[test]
fn roundrobin_spreads_every_large_file_evenly() {
    let p = load("roundrobin.lua");
    let big: Vec<File> = population::generate(300, Sizes::Fixed(12 << 20), 3).collect();
    let st = sim::run(&p, &big, 3, Change::None, true);
    let (max_mean, _) = sim::balance(&st.bytes);
    assert!(max_mean < 1.0001, "{max_mean}");
}

#[test]
fn closed_form_bytes_match_stripe_by_stripe() {
    let p = Placement {
        stripe_unit: 64,
        first: 2,
        servers: vec![4, 0, 2],
    };
    for size in [0u64, 1, 63, 64, 65, 191, 192, 193, 1000, 4097] {
        let mut fast = vec![0; 5];
        p.add_bytes(size, &mut fast);
        let mut slow = vec![0; 5];
        let mut pos = 0;
        while pos < size {
            let i = pos / 64;
            let end = ((i + 1) * 64).min(size);
            slow[p.server_of(i) as usize] += end - pos;
            pos = end;
        }
        assert_eq!(fast, slow, "size {size}");
    }
}

#[test]
fn moved_bytes_match_stripe_by_stripe() {
    let a = Placement {
        stripe_unit: 64,
        first: 1,
        servers: vec![0, 1, 2],
    };
    let b = Placement {
        stripe_unit: 64,
        first: 0,
        servers: vec![2, 1, 3, 0],
    };
    let c = Placement {
        stripe_unit: 128,
        first: 0,
        servers: vec![1, 0],
    };
    for (x, y) in [(&a, &b), (&a, &c), (&b, &c)] {
        for size in [0u64, 10, 64, 100, 777, 5000] {
            let mut slow = 0;
            for byte in 0..size {
                if x.server_of(byte / x.stripe_unit) != y.server_of(byte / y.stripe_unit) {
                    slow += 1;
                }
            }
            assert_eq!(
                sim::moved_bytes(size, x, y, |p, q| p == q),
                slow,
                "size {size}"
            );
        }
    }
}

#[test]
fn file_lists_and_sizes_parse() {
    let list = population::parse_list("4096 ./a/b.log\n123 77 0 0 /srv/x y.dat\n\n").unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!((list[0].size, list[0].name.as_str()), (4096, "b.log"));
    assert_eq!(
        (list[1].ino, list[1].uid, list[1].name.as_str()),
        (77, 0, "x y.dat")
    );
    assert!(population::parse_list("x y").is_err());
    assert_eq!(Sizes::parse("fixed:4M").unwrap(), Sizes::Fixed(4 << 20));
    assert!(Sizes::parse("loguniform:1G-4K").is_err());
    assert_eq!(population::parse_size("64K"), Some(65536));
}
