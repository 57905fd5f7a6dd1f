//! Images built from tiny tar layers: whiteouts, opaque directories, gzip, links, the
//! databases found or not.

#![allow(clippy::unwrap_used)]

use std::io::Write;

use berth_ecr_scan::{NoPackageDatabase, Rootfs, ScanError, Scheme};

enum E<'a> {
    File(&'a str, &'a str),
    Dir(&'a str),
    Link(&'a str, &'a str),
}

fn tar(entries: &[E<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        match e {
            E::File(path, text) => {
                h.set_size(text.len() as u64);
                h.set_cksum();
                b.append_data(&mut h, path, text.as_bytes()).unwrap();
            }
            E::Dir(path) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                h.set_cksum();
                b.append_data(&mut h, path, &[][..]).unwrap();
            }
            E::Link(path, target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, path, target).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    g.write_all(bytes).unwrap();
    g.finish().unwrap()
}

fn stanza(name: &str, version: &str) -> String {
    format!("Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\n\n")
}

fn image(layers: &[Vec<u8>]) -> Rootfs {
    let mut fs = Rootfs::new();
    for l in layers {
        fs.apply_layer(&l[..]).unwrap();
    }
    fs
}

fn names(fs: &Rootfs) -> Vec<String> {
    fs.inventory()
        .unwrap()
        .packages
        .iter()
        .map(|p| format!("{}={}", p.name, p.version))
        .collect()
}

#[test]
fn the_top_layer_s_database_wins() {
    let fs = image(&[
        tar(&[E::File("var/lib/dpkg/status", &stanza("a", "1"))]),
        gzip(&tar(&[E::File(
            "./var/lib/dpkg/status",
            &(stanza("a", "2") + &stanza("b", "1")),
        )])),
    ]);
    assert_eq!(names(&fs), ["a=2", "b=1"]);
    assert_eq!(fs.layers(), 2);
}

#[test]
fn a_whiteout_deletes_the_database_beneath() {
    let fs = image(&[
        tar(&[
            E::File("etc/os-release", "ID=debian\n"),
            E::File("var/lib/dpkg/status", &stanza("a", "1")),
        ]),
        tar(&[E::File("var/lib/dpkg/.wh.status", "")]),
    ]);
    assert_eq!(fs.inventory(), Err(NoPackageDatabase));
}

#[test]
fn a_whiteout_of_a_directory_deletes_all_below_it() {
    let fs = image(&[
        tar(&[
            E::File("var/lib/dpkg/status.d/base", &stanza("base", "1")),
            E::File("lib/apk/db/installed", "P:musl\nV:1.2.4-r0\n\n"),
        ]),
        tar(&[E::File("var/lib/.wh.dpkg", "")]),
    ]);
    let inv = fs.inventory().unwrap();
    assert_eq!(inv.databases, ["/lib/apk/db/installed"]);
    assert_eq!(inv.packages[0].scheme, Scheme::Apk);
}

#[test]
fn an_opaque_directory_hides_the_layers_beneath_not_its_own_layer() {
    let fs = image(&[
        tar(&[
            E::File("var/lib/dpkg/status.d/old", &stanza("old", "1")),
            E::File("var/lib/dpkg/status.d/kept", &stanza("kept", "1")),
        ]),
        tar(&[
            E::Dir("var/lib/dpkg/status.d/"),
            // The whiteout comes after the layer's own file in the stream: still only the
            // layer beneath is hidden.
            E::File("var/lib/dpkg/status.d/new", &stanza("new", "2")),
            E::File("var/lib/dpkg/status.d/.wh..wh..opq", ""),
        ]),
    ]);
    assert_eq!(names(&fs), ["new=2"]);
}

#[test]
fn a_whiteout_does_not_hide_its_own_layer_s_file() {
    let fs = image(&[
        tar(&[E::File("var/lib/dpkg/status", &stanza("a", "1"))]),
        tar(&[
            E::File("var/lib/dpkg/status", &stanza("a", "3")),
            E::File("var/lib/dpkg/.wh.status", ""),
        ]),
    ]);
    assert_eq!(names(&fs), ["a=3"]);
}

#[test]
fn a_file_replacing_a_directory_takes_what_it_held() {
    let fs = image(&[
        tar(&[
            E::File("var/lib/dpkg/status.d/x", &stanza("x", "1")),
            E::File("var/lib/dpkg/status", &stanza("y", "1")),
        ]),
        tar(&[E::File("var/lib/dpkg/status.d", "not a directory any more")]),
    ]);
    assert_eq!(names(&fs), ["y=1"]);
}

#[test]
fn os_release_is_followed_through_its_link_and_found_in_usr_lib() {
    let fs = image(&[tar(&[
        E::File("usr/lib/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
        E::Link("etc/os-release", "../usr/lib/os-release"),
        E::File("var/lib/dpkg/status", ""),
    ])]);
    let inv = fs.inventory().unwrap();
    assert_eq!(inv.os.unwrap().name(), "debian:12");
    // An empty database is an inventory of nothing, not an unsupported image.
    assert!(inv.packages.is_empty());

    let fs = image(&[tar(&[
        E::File("usr/lib/os-release", "ID=ubuntu\nVERSION_ID=\"22.04\"\n"),
        E::File("var/lib/dpkg/status", ""),
    ])]);
    assert_eq!(fs.inventory().unwrap().os.unwrap().name(), "ubuntu:22.04");
}

#[test]
fn a_deleted_link_target_leaves_no_os() {
    let fs = image(&[
        tar(&[
            E::File("usr/lib/os-release", "ID=debian\n"),
            E::Link("etc/os-release", "/usr/lib/os-release"),
            E::File("var/lib/dpkg/status", ""),
        ]),
        tar(&[E::File("usr/lib/.wh.os-release", "")]),
    ]);
    assert_eq!(fs.inventory().unwrap().os, None);
}

#[test]
fn an_image_without_a_database_is_unsupported() {
    let fs = image(&[tar(&[
        E::File("etc/os-release", "ID=debian\n"),
        E::File("bin/app", "\x7fELF"),
    ])]);
    assert_eq!(fs.inventory(), Err(NoPackageDatabase));
    assert_eq!(Rootfs::new().inventory(), Err(NoPackageDatabase));
}

#[test]
fn unreadable_layers_are_errors_that_name_the_layer() {
    let mut fs = Rootfs::new();
    fs.apply_layer(&tar(&[E::File("a", "b")])[..]).unwrap();
    let err = fs
        .apply_layer(&[0x28, 0xb5, 0x2f, 0xfd, 0, 0][..])
        .unwrap_err();
    assert!(
        matches!(err, ScanError::UnsupportedLayer { index: 1, .. }),
        "{err}"
    );
    let err = fs.apply_layer(&[0x1f, 0x8b, 1, 2, 3][..]).unwrap_err();
    assert!(matches!(err, ScanError::Layer { index: 1, .. }), "{err}");
    let mut truncated = tar(&[E::File("var/lib/dpkg/status", &stanza("a", "1"))]);
    truncated.truncate(600);
    let err = fs.apply_layer(&truncated[..]).unwrap_err();
    assert!(
        err.to_string().starts_with("layer 1 could not be read"),
        "{err}"
    );
}

#[test]
fn an_empty_layer_changes_nothing() {
    let fs = image(&[
        tar(&[E::File("var/lib/dpkg/status", &stanza("a", "1"))]),
        Vec::new(),
        tar(&[]),
    ]);
    assert_eq!(names(&fs), ["a=1"]);
}

#[test]
fn links_are_followed_in_every_component() {
    // A merged-/usr system: lib is a link to usr/lib, and the database is below it.
    let fs = image(&[
        tar(&[
            E::Link("lib", "usr/lib"),
            E::File("usr/lib/apk/db/installed", "P:musl\nV:1.2.5-r0\no:musl\n\n"),
            E::File("etc/os-release", "ID=alpine\nVERSION_ID=3.21.0\n"),
        ]),
        tar(&[
            E::Link("var/lib/dpkg", "/opt/dpkg"),
            E::File("opt/dpkg/status.d/a", &stanza("a", "1")),
        ]),
    ]);
    let inv = fs.inventory().unwrap();
    assert_eq!(
        inv.databases,
        ["/var/lib/dpkg/status.d/", "/lib/apk/db/installed"]
    );
    assert_eq!(names(&fs), ["a=1", "musl=1.2.5-r0"]);
}

#[test]
fn a_link_loop_reads_nothing() {
    let fs = image(&[tar(&[
        E::Link("etc/os-release", "os-release2"),
        E::Link("etc/os-release2", "os-release"),
        E::File("var/lib/dpkg/status", ""),
    ])]);
    assert_eq!(fs.inventory().unwrap().os, None);
}
