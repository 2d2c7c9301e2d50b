//! Compiles `proto/` with protox (pure Rust), so no system `protoc` is needed anywhere.
use prost::Message;
use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = "../proto";
    // compile_fds emits no rerun-if-changed of its own.
    println!("cargo:rerun-if-changed={proto_root}");
    let fds = protox::compile(["detente/v1/detente.proto"], [proto_root])?;
    // Reflection needs the encoded descriptor set; compile_fds does not write it.
    let out = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out.join("detente_descriptor.bin"), fds.encode_to_vec())?;
    // google.rpc.Status is tonic-types' own, so that the details helpers apply to it.
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .extern_path(".google.rpc", "::tonic_types::pb")
        .compile_fds(fds)?;
    Ok(())
}
