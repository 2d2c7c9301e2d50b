//! detente-server: the gRPC service over detente-core and the `detente` command line. It only
//! converts types, maps errors and calls the core.

pub mod cli;
pub mod convert;
pub mod follow;
pub mod grpc;
pub mod logging;
pub mod output;
pub mod serve;
pub mod status;

/// Generated protobuf code, nested by package as the generated paths expect.
#[allow(missing_docs, clippy::all)]
pub mod proto {
    /// `detente.*`.
    pub mod detente {
        /// Generated protobuf and gRPC code for `detente.v1`.
        pub mod v1 {
            tonic::include_proto!("detente.v1");
            /// The encoded descriptor set, for server reflection.
            pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("detente_descriptor");
        }
    }
    /// The googleapis types the contract uses (google.rpc is tonic-types').
    pub mod google {
        /// `google.type`: Date.
        pub mod r#type {
            tonic::include_proto!("google.r#type");
        }
    }
}

pub use proto::detente::v1 as pb;
