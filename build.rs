//! Compiles the contract in `proto/` with protox (a pure-Rust protobuf compiler,
//! so no system `protoc` is needed), generates the tonic/prost code, and writes
//! the encoded descriptor set that server reflection serves.

use std::{env, fs, path::PathBuf};

const PROTOS: &[&str] = &[
    "proto/marque/v1/resources.proto",
    "proto/marque/v1/registry.proto",
    "proto/marque/v1/check.proto",
    "proto/marque/v1/events.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    println!("cargo:rerun-if-changed=proto/google/type/date.proto");
    println!("cargo:rerun-if-changed=proto/google/rpc/status.proto");

    let mut compiler = protox::Compiler::new(["proto"])?;
    // Comments travel in the descriptor set: brand owners read them through reflection.
    compiler.include_source_info(true).include_imports(true);
    compiler.open_files(PROTOS)?;
    let fds = compiler.file_descriptor_set();

    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("marque_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    tonic_prost_build::configure()
        // google.rpc.Status (per-listing errors in a batch) is tonic-types'.
        .extern_path(".google.rpc", "::tonic_types::pb")
        // tonic-prost's codec, but a request that does not decode is the
        // caller's INVALID_ARGUMENT, not INTERNAL (src/codec.rs).
        .codec_path("crate::codec::MarqueCodec")
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
