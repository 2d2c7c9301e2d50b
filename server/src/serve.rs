//! Running the service: health checking, reflection (v1 and v1alpha), optional TLS and bearer
//! token, message limits, and a graceful shutdown (health NOT_SERVING first, streams told to end,
//! in-flight calls drained).

use crate::grpc::Service;
use crate::pb::{self, detente_service_server::DetenteServiceServer};
use anyhow::Context as _;
use detente_core::Model;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::codec::CompressionEncoding;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic::{Request, Response, Status};
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse, health_check_response::ServingStatus};
use tonic_health::server::HealthService;

/// The default largest upload: 4 GiB (a year of ICEWS, a day of GDELT's files, spooled on disk).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 4 << 30;

/// HTTP/2 receive window of a connection: 32 MiB, so that the small-frame budget is 16 MiB.
const CONNECTION_WINDOW: u32 = 32 << 20;
/// HTTP/2 receive window of a stream.
const STREAM_WINDOW: u32 = 1 << 20;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// PEM certificate chain and private key: serve TLS instead of plaintext h2c.
    pub tls: Option<(Vec<u8>, Vec<u8>)>,
    /// Callers must send `authorization: Bearer <token>` (health checks excepted).
    pub token: Option<String>,
    /// Largest request message accepted, in bytes.
    pub max_request_bytes: usize,
    /// Largest response message sent, in bytes.
    pub max_response_bytes: usize,
    /// Largest file an `ImportEvents` upload may hold, in bytes.
    pub max_upload_bytes: u64,
    /// Serve the reflection services.
    pub reflection: bool,
    /// How long in-flight calls may take to finish after a shutdown signal.
    pub drain: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            tls: None,
            token: None,
            max_request_bytes: 8 << 20,
            max_response_bytes: 64 << 20,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            reflection: true,
            drain: Duration::from_secs(30),
        }
    }
}

/// Checks the bearer token of a call in constant time.
#[derive(Clone)]
pub struct Auth {
    token: Option<Arc<[u8]>>,
}

impl Auth {
    /// A check for `token`, or none.
    pub fn new(token: Option<&str>) -> Auth {
        Auth { token: token.filter(|t| !t.is_empty()).map(|t| Arc::from(t.as_bytes())) }
    }
}

/// Compares two byte strings without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl tonic::service::Interceptor for Auth {
    fn call(&mut self, req: Request<()>) -> Result<Request<()>, Status> {
        let Some(token) = &self.token else { return Ok(req) };
        let given = req
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
        match given {
            Some(g) if same(g.trim().as_bytes(), token) => Ok(req),
            Some(_) => Err(Status::unauthenticated("the bearer token is not valid")),
            None => Err(Status::unauthenticated("missing `authorization: Bearer <token>` metadata")),
        }
    }
}

/// Serves the model on an already-bound listener until `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    model: Model,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Built before the service reports itself serving, off the async threads.
    let model = tokio::task::spawn_blocking(move || {
        model.prepare();
        model
    })
    .await?;
    let (health_reporter, _) = tonic_health::server::health_reporter();
    health_reporter.set_serving::<DetenteServiceServer<Service>>().await;

    let (stop_tx, stop_rx) = watch::channel(false);
    let health_service = HealthServer::new(StoppingHealth {
        inner: HealthService::from_health_reporter(health_reporter.clone()),
        stopping: stop_rx.clone(),
    });
    let auth = Auth::new(opts.token.as_deref());
    let service = DetenteServiceServer::new(Service::new(model, stop_rx.clone(), opts.max_upload_bytes))
        .max_decoding_message_size(opts.max_request_bytes)
        .max_encoding_message_size(opts.max_response_bytes)
        // gzip both ways: requests a client compressed, and responses to a client that accepts it.
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);

    // HTTP/2 buffers a client's unread small DATA frames against a budget of half the
    // connection window (hyper's default window, 1 MiB, gave 512 KiB: a client streaming small
    // documents at full speed was sent GOAWAY ENHANCE_YOUR_CALM). A stream still holds at most
    // its own window (1 MiB), and streamed ingests read ahead of their writes.
    let mut builder = Server::builder()
        .initial_connection_window_size(CONNECTION_WINDOW)
        .initial_stream_window_size(STREAM_WINDOW)
        .layer(GrpcCodesLayer);
    if let Some((cert, key)) = &opts.tls {
        builder = builder.tls_config(ServerTlsConfig::new().identity(Identity::from_pem(cert, key)))?;
    }
    let addr = listener.local_addr()?;
    let mut router = builder
        .trace_fn(|req| tracing::info_span!("rpc", path = %req.uri().path()))
        // Health stays outside the token check so that probes work.
        .add_service(health_service)
        .add_service(InterceptedService::new(service, auth.clone()));
    if opts.reflection {
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        // v1 for grpcurl and current clients, v1alpha for Python's grpcio-reflection and older tools.
        router = router
            .add_service(InterceptedService::new(reflection().build_v1()?, auth.clone()))
            .add_service(InterceptedService::new(reflection().build_v1alpha()?, auth));
    }
    tracing::info!(%addr, tls = opts.tls.is_some(), auth = opts.token.is_some(), "serving");

    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: health NOT_SERVING, streams ending, in-flight calls finishing");
        health_reporter.set_not_serving::<DetenteServiceServer<Service>>().await;
        health_reporter.set_service_status("", tonic_health::ServingStatus::NotServing).await;
        let _ = stop_tx.send(true);
        let _ = drained_tx.send(());
    };
    // No Nagle: small gRPC frames would otherwise wait for delayed ACKs (~40 ms per call).
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true)).with_keepalive(Some(Duration::from_secs(60)));
    let server = router.serve_with_incoming_shutdown(incoming, signal);
    let drain = opts.drain;
    let deadline = async move {
        if drained_rx.await.is_ok() {
            tokio::time::sleep(drain).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        r = server => r?,
        _ = deadline => tracing::warn!(seconds = drain.as_secs(), "calls still running after the drain time; stopping anyway"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// The standard health service, except that its Watch streams end when the server stops: they
/// send NOT_SERVING and close, where a watching client would otherwise hold the shutdown until
/// the drain time ran out.
struct StoppingHealth {
    inner: HealthService,
    stopping: watch::Receiver<bool>,
}

type HealthStream = std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Health for StoppingHealth {
    async fn check(&self, req: Request<HealthCheckRequest>) -> Result<Response<HealthCheckResponse>, Status> {
        self.inner.check(req).await
    }

    type WatchStream = HealthStream;

    async fn watch(&self, req: Request<HealthCheckRequest>) -> Result<Response<HealthStream>, Status> {
        use futures_util::StreamExt;
        let statuses = self.inner.watch(req).await?.into_inner();
        let mut stopping = self.stopping.clone();
        let stopped = async move {
            let _ = stopping.wait_for(|s| *s).await;
        };
        let last = HealthCheckResponse { status: ServingStatus::NotServing as i32 };
        Ok(Response::new(Box::pin(statuses.take_until(stopped).chain(futures_util::stream::iter([Ok(last)])))))
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Asks a server's health service whether it serves (`""`, the whole server). For container
/// probes: true when SERVING. TLS as [`connect`].
pub async fn healthcheck(addr: &str, ca: Option<Vec<u8>>, domain: &str, timeout: Duration) -> anyhow::Result<bool> {
    let channel = connect(addr, ca, domain, Some(timeout)).await?;
    let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
    let answer = client.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await?;
    Ok(answer.into_inner().status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32)
}

/// A channel to a server. With `ca` (PEM), TLS: the server's certificate must be one of those
/// given (a self-signed certificate, trusted as it is) or chain to one of them. `timeout`
/// bounds the connection and each call (none for a watch, which lasts).
pub async fn connect(
    addr: &str,
    ca: Option<Vec<u8>>,
    domain: &str,
    timeout: Option<Duration>,
) -> anyhow::Result<tonic::transport::Channel> {
    use tonic::transport::{ClientTlsConfig, Endpoint};
    let scheme = if ca.is_some() { "https" } else { "http" };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{addr}"))?;
    if let Some(t) = timeout {
        endpoint = endpoint.timeout(t).connect_timeout(t);
    }
    if let Some(ca) = ca {
        let verifier = Arc::new(PinnedOrChained::new(&ca)?);
        let tls = ClientTlsConfig::new().domain_name(domain);
        endpoint = endpoint.tls_config_with_verifier(tls, verifier)?;
    }
    endpoint.connect().await.with_context(|| format!("cannot reach {addr}"))
}

/// The address to dial for one a server listens on: a server bound to every interface is
/// reached through loopback.
pub fn loopback(addr: &str) -> String {
    addr.replacen("0.0.0.0:", "127.0.0.1:", 1).replacen("[::]:", "[::1]:", 1)
}

/// Trusts a server whose certificate is one of the given ones byte for byte (a self-signed
/// certificate, which webpki refuses as its own authority when it is marked as one, as
/// `openssl req -x509` marks it), and otherwise one whose chain leads to one of them.
#[derive(Debug)]
struct PinnedOrChained {
    pinned: Vec<rustls::pki_types::CertificateDer<'static>>,
    chained: Option<Arc<rustls::client::WebPkiServerVerifier>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl PinnedOrChained {
    fn new(pem: &[u8]) -> anyhow::Result<PinnedOrChained> {
        use rustls::pki_types::pem::PemObject;
        let pinned = rustls::pki_types::CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("the --tls-ca file is not PEM certificates: {e}"))?;
        if pinned.is_empty() {
            anyhow::bail!("the --tls-ca file holds no PEM certificate");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        let (added, _) = roots.add_parsable_certificates(pinned.iter().cloned());
        let chained = if added == 0 {
            None
        } else {
            Some(
                rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()?,
            )
        };
        Ok(PinnedOrChained { pinned, chained, provider })
    }
}

impl rustls::client::danger::ServerCertVerifier for PinnedOrChained {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if self.pinned.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
            return Ok(rustls::client::danger::ServerCertVerified::assertion());
        }
        match &self.chained {
            Some(v) => v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now),
            None => Err(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Answers in the gRPC convention where tonic does not: a message over a size limit is
/// RESOURCE_EXHAUSTED (tonic says OUT_OF_RANGE, which no handler of ours returns), in the
/// headers of a trailers-only response and in trailers alike.
#[derive(Debug, Clone, Copy)]
struct GrpcCodesLayer;

impl<S> tower_layer::Layer<S> for GrpcCodesLayer {
    type Service = GrpcCodes<S>;
    fn layer(&self, inner: S) -> GrpcCodes<S> {
        GrpcCodes(inner)
    }
}

/// The service of [`GrpcCodesLayer`].
#[derive(Debug, Clone)]
struct GrpcCodes<S>(S);

type HttpResponse = tonic::codegen::http::Response<tonic::body::Body>;

impl<S, B> tonic::codegen::Service<tonic::codegen::http::Request<B>> for GrpcCodes<S>
where
    S: tonic::codegen::Service<tonic::codegen::http::Request<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: tonic::codegen::http::Request<B>) -> Self::Future {
        let answer = self.0.call(req);
        Box::pin(async move {
            use http_body_util::BodyExt;
            let mut res = answer.await?;
            out_of_range_as_exhausted(res.headers_mut());
            Ok(res.map(|body| {
                tonic::body::Body::new(body.map_frame(|mut frame| {
                    if let Some(t) = frame.trailers_mut() {
                        out_of_range_as_exhausted(t);
                    }
                    frame
                }))
            }))
        })
    }
}

/// grpc-status 11 (OUT_OF_RANGE) made 8 (RESOURCE_EXHAUSTED).
fn out_of_range_as_exhausted(headers: &mut tonic::codegen::http::HeaderMap) {
    if headers.get("grpc-status").is_some_and(|v| v.as_bytes() == b"11") {
        headers.insert("grpc-status", tonic::codegen::http::HeaderValue::from_static("8"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::service::Interceptor;

    #[test]
    fn tokens_are_checked() {
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secret2"));
        let mut auth = Auth::new(Some("s3cret"));
        let mut req = Request::new(());
        assert_eq!(auth.call(Request::new(())).unwrap_err().code(), tonic::Code::Unauthenticated);
        req.metadata_mut().insert("authorization", "Bearer s3cret".parse().expect("header"));
        assert!(auth.call(req).is_ok());
        let mut open = Auth::new(None);
        assert!(open.call(Request::new(())).is_ok());
    }
}
