//! Whiteouts against their specification read the other way round: a file of the image is
//! what the topmost layer that touches it says — its own copy if the layer writes it; gone
//! if the layer whites it (or a directory above it) out, or makes a directory above it
//! opaque, without writing it.

use berth_ecr_scan::Rootfs;
use proptest::prelude::*;

const FILES: [&str; 3] = [
    "var/lib/dpkg/status",
    "var/lib/dpkg/status.d/a",
    "var/lib/dpkg/status.d/b",
];

/// What a layer may do.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Write(usize),
    WhiteoutFile(usize),
    /// `.wh.` of a directory: `var/lib/dpkg/status.d`, `var/lib/dpkg` or `var/lib`.
    WhiteoutDir(usize),
    /// `.wh..wh..opq` in the same directories.
    Opaque(usize),
}

const DIRS: [&str; 3] = ["var/lib/dpkg/status.d", "var/lib/dpkg", "var/lib"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..FILES.len()).prop_map(Op::Write),
        (0..FILES.len()).prop_map(Op::WhiteoutFile),
        (0..DIRS.len()).prop_map(Op::WhiteoutDir),
        (0..DIRS.len()).prop_map(Op::Opaque),
    ]
}

fn entry(path: &str, data: &str) -> (String, String) {
    (path.to_owned(), data.to_owned())
}

fn layer_tar(index: usize, ops: &[Op]) -> Vec<u8> {
    let mut entries = Vec::new();
    for op in ops {
        entries.push(match *op {
            Op::Write(f) => entry(FILES[f], &format!("Package: p{f}\nVersion: {index}\n")),
            Op::WhiteoutFile(f) => {
                let (dir, name) = FILES[f].rsplit_once('/').expect("a path with a directory");
                entry(&format!("{dir}/.wh.{name}"), "")
            }
            Op::WhiteoutDir(d) => {
                let (dir, name) = DIRS[d].rsplit_once('/').expect("a path with a directory");
                entry(&format!("{dir}/.wh.{name}"), "")
            }
            Op::Opaque(d) => entry(&format!("{}/.wh..wh..opq", DIRS[d]), ""),
        });
    }
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, &path, data.as_bytes())
            .expect("an entry");
    }
    b.into_inner().expect("a tar")
}

/// The file's content by the top-down rule.
fn expected(layers: &[Vec<Op>], f: usize) -> Option<String> {
    let path = FILES[f];
    let above = |dir: &str| path.starts_with(&format!("{dir}/"));
    for (index, ops) in layers.iter().enumerate().rev() {
        if ops.contains(&Op::Write(f)) {
            return Some(format!("Package: p{f}\nVersion: {index}\n"));
        }
        let hidden = ops.iter().any(|op| match *op {
            Op::WhiteoutFile(g) => g == f,
            Op::WhiteoutDir(d) | Op::Opaque(d) => above(DIRS[d]),
            Op::Write(_) => false,
        });
        if hidden {
            return None;
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn a_file_is_what_the_topmost_layer_touching_it_says(
        layers in proptest::collection::vec(proptest::collection::vec(op(), 0..4), 1..6)
    ) {
        let mut fs = Rootfs::new();
        for (i, ops) in layers.iter().enumerate() {
            fs.apply_layer(&layer_tar(i, ops)[..]).expect("a readable layer");
        }
        for (f, path) in FILES.iter().enumerate() {
            let got = fs.read(path).map(|b| String::from_utf8_lossy(b).into_owned());
            prop_assert_eq!(got, expected(&layers, f), "{}", path);
        }
        // The inventory agrees: one package per file present.
        let present = (0..FILES.len()).filter(|f| expected(&layers, *f).is_some()).count();
        match fs.inventory() {
            Ok(inv) => prop_assert_eq!(inv.packages.len(), present),
            Err(_) => prop_assert_eq!(present, 0),
        }
    }
}
