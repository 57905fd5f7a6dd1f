//! The image of the container that holds an awsvpc task's network namespace. No registry is
//! needed: the agent builds it on the host from a minimal static executable that sleeps
//! forever (written here as machine code for x86_64 and aarch64) and imports it.

use crate::runtime::{Result, Runtime, RuntimeError};

pub const PAUSE_IMAGE: &str = concat!("berth/pause:", env!("CARGO_PKG_VERSION"));

const BASE: u64 = 0x40_0000;
const HEADERS: u64 = 64 + 56;

/// `loop { pause() }` for x86_64.
const X86_64: &[u8] = &[
    0xb8, 0x22, 0x00, 0x00, 0x00, // mov eax, 34 (pause)
    0x0f, 0x05, // syscall
    0xeb, 0xf7, // jmp back to the mov
];

/// `loop { ppoll(NULL, 0, NULL, NULL) }` for aarch64.
const AARCH64: &[u32] = &[
    0xd280_0000, // mov x0, #0
    0xd280_0001, // mov x1, #0
    0xd280_0002, // mov x2, #0
    0xd280_0003, // mov x3, #0
    0xd280_0928, // mov x8, #73 (ppoll)
    0xd400_0001, // svc #0
    0x17ff_fffa, // b back to the first mov
];

/// A static ELF executable for `arch` (Docker's names: x86_64 / amd64, aarch64 / arm64).
pub fn executable(arch: &str) -> Option<Vec<u8>> {
    let (machine, code): (u16, Vec<u8>) = match arch {
        "x86_64" | "amd64" => (0x3e, X86_64.to_vec()),
        "aarch64" | "arm64" => (0xb7, AARCH64.iter().flat_map(|w| w.to_le_bytes()).collect()),
        _ => return None,
    };
    let total = HEADERS + code.len() as u64;
    let mut elf = Vec::with_capacity(total as usize);
    elf.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    elf.extend_from_slice(&[0; 8]);
    elf.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    elf.extend_from_slice(&machine.to_le_bytes());
    elf.extend_from_slice(&1u32.to_le_bytes());
    elf.extend_from_slice(&(BASE + HEADERS).to_le_bytes()); // entry
    elf.extend_from_slice(&64u64.to_le_bytes()); // program headers
    elf.extend_from_slice(&0u64.to_le_bytes()); // no section headers
    elf.extend_from_slice(&0u32.to_le_bytes());
    elf.extend_from_slice(&64u16.to_le_bytes());
    elf.extend_from_slice(&56u16.to_le_bytes());
    elf.extend_from_slice(&1u16.to_le_bytes());
    elf.extend_from_slice(&[0; 6]);
    // PT_LOAD, R+X, the whole file at BASE.
    elf.extend_from_slice(&1u32.to_le_bytes());
    elf.extend_from_slice(&5u32.to_le_bytes());
    elf.extend_from_slice(&0u64.to_le_bytes());
    elf.extend_from_slice(&BASE.to_le_bytes());
    elf.extend_from_slice(&BASE.to_le_bytes());
    elf.extend_from_slice(&total.to_le_bytes());
    elf.extend_from_slice(&total.to_le_bytes());
    elf.extend_from_slice(&0x1000u64.to_le_bytes());
    elf.extend_from_slice(&code);
    Some(elf)
}

/// A tar archive holding `files` (path, mode, contents).
pub fn tar(files: &[(&str, u32, &[u8])]) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, mode, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(*mode);
        header.set_mtime(0);
        header.set_cksum();
        builder.append_data(&mut header, path, *data)?;
    }
    builder.into_inner()
}

/// Imports the pause image unless the host has it.
pub async fn ensure_image(runtime: &dyn Runtime, arch: &str) -> Result<()> {
    if runtime.image_id(PAUSE_IMAGE).await?.is_some() {
        return Ok(());
    }
    let exe = executable(arch).ok_or_else(|| {
        RuntimeError::Engine(format!("no pause executable for architecture {arch}"))
    })?;
    let archive =
        tar(&[("pause", 0o755, &exe)]).map_err(|e| RuntimeError::Engine(e.to_string()))?;
    runtime
        .import(PAUSE_IMAGE, archive, vec![r#"CMD ["/pause"]"#.into()])
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_are_elf_with_the_entry_after_the_headers() {
        for arch in ["x86_64", "aarch64"] {
            let elf = executable(arch).expect("supported");
            assert_eq!(&elf[..4], b"\x7fELF");
            let entry = u64::from_le_bytes(elf[24..32].try_into().expect("8 bytes"));
            assert_eq!(entry, BASE + HEADERS);
            let filesz = u64::from_le_bytes(elf[64 + 32..64 + 40].try_into().expect("8 bytes"));
            assert_eq!(filesz, elf.len() as u64);
        }
        assert!(executable("s390x").is_none());
    }
}
