//! Compiles the contract in `proto/` with protox (a pure-Rust protobuf compiler,
//! so no system `protoc` is needed), generates the tonic/prost code, and writes
//! the encoded descriptor sets that server reflection serves.

use std::{env, fs, path::PathBuf};

const PROTOS: &[&str] = &[
    "proto/marque/v1/resources.proto",
    "proto/marque/v1/registry.proto",
    "proto/marque/v1/check.proto",
    "proto/marque/v1/events.proto",
];

/// The gRPC health protocol, served beside the contract (`tonic-health`
/// implements it; its code is not generated here).
const HEALTH: &str = "proto/grpc/health/v1/health.proto";

/// Protos reflection serves beside [`PROTOS`]: google.rpc's error details
/// (field violations), so reflection clients can decode them, and health.
const REFLECTED: &[&str] = &["proto/google/rpc/error_details.proto", HEALTH];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS.iter().chain(REFLECTED) {
        println!("cargo:rerun-if-changed={proto}");
    }
    println!("cargo:rerun-if-changed=proto/google/type/date.proto");
    println!("cargo:rerun-if-changed=proto/google/rpc/status.proto");

    let mut compiler = protox::Compiler::new(["proto"])?;
    // Comments travel into the generated code's documentation.
    compiler.include_source_info(true).include_imports(true);
    compiler.open_files(PROTOS)?;
    let fds = compiler.file_descriptor_set();

    // What reflection serves: the contract with its comments (brand owners
    // read them through reflection), and the error details and health
    // protos under their canonical names, the ones the contract's imports
    // use, so that every symbol is defined by one file only.
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let reflected = |files: &[&str]| -> Result<Vec<u8>, protox::Error> {
        let mut compiler = protox::Compiler::new(["proto"])?;
        compiler.include_source_info(true).include_imports(true);
        compiler.open_files(files)?;
        Ok(compiler.encode_file_descriptor_set())
    };
    let everything: Vec<&str> = PROTOS.iter().chain(REFLECTED).copied().collect();
    fs::write(
        out_dir.join("marque_descriptor.bin"),
        reflected(&everything)?,
    )?;
    fs::write(out_dir.join("health_descriptor.bin"), reflected(&[HEALTH])?)?;

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
