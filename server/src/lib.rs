//! detente-server: the gRPC service over detente-core and the `detente` command line. It only
//! converts types, maps errors and calls the core.

pub mod cli;
pub mod convert;
pub mod grpc;
pub mod logging;
pub mod output;
pub mod serve;
pub mod status;

/// Generated protobuf and gRPC code for `detente.v1`.
#[allow(missing_docs, clippy::all)]
pub mod pb {
    tonic::include_proto!("detente.v1");
    /// The encoded descriptor set, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("detente_descriptor");
}
