//! TLS settings (feature `tls`): rustls with the ring provider, for the client's `wss://`
//! and the standalone server's listener.
//!
//! ```no_run
//! # fn demo(cert_pem: &[u8], key_pem: &[u8], ca_pem: &[u8]) -> ws_reliable::Result<()> {
//! let server_tls = ws_reliable::tls::server_config(cert_pem, key_pem)?;
//! let builder = ws_reliable::Server::builder().tls(server_tls);
//! let client_config = ws_reliable::ClientConfig::default().tls(ws_reliable::tls::client_config(ca_pem)?);
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Tls(format!("{what}: {e}"))
}

/// A server configuration from a PEM certificate chain and a PEM private key (PKCS#8,
/// PKCS#1 or SEC1), for [`crate::ServerBuilder::tls`]. Offers HTTP/1.1 over ALPN.
pub fn server_config(cert_chain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<rustls::ServerConfig>> {
    let chain = CertificateDer::pem_slice_iter(cert_chain_pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| tls_error("certificate chain", e))?;
    if chain.is_empty() {
        return Err(Error::Tls("certificate chain: no certificate in the PEM".to_owned()));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| tls_error("private key", e))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("protocol versions", e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| tls_error("certificate and key", e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A client configuration trusting only the PEM root certificates given (a private CA, or a
/// certificate made for a test), for [`crate::ClientConfig::tls`].
pub fn client_config(roots_pem: &[u8]) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(roots_pem) {
        let cert = cert.map_err(|e| tls_error("root certificate", e))?;
        roots.add(cert).map_err(|e| tls_error("root certificate", e))?;
    }
    if roots.is_empty() {
        return Err(Error::Tls("root certificates: none in the PEM".to_owned()));
    }
    with_roots(roots)
}

/// The client configuration used for `wss://` when none is set: the Mozilla roots with the
/// `tls-webpki-roots` feature, the operating system's with `tls-native-roots` (both: the
/// union), no roots otherwise (every server certificate is then refused).
pub fn default_client_config() -> Result<Arc<rustls::ClientConfig>> {
    #[allow(unused_mut)]
    let mut roots = RootCertStore::empty();
    #[cfg(feature = "tls-webpki-roots")]
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    #[cfg(feature = "tls-native-roots")]
    {
        let native = rustls_native_certs::load_native_certs();
        for error in &native.errors {
            tracing::warn!(%error, "a native root certificate did not load");
        }
        roots.add_parsable_certificates(native.certs);
    }
    with_roots(roots)
}

fn with_roots(roots: RootCertStore) -> Result<Arc<rustls::ClientConfig>> {
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("protocol versions", e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Says what went wrong in a TLS handshake the WebSocket layer reports as I/O.
pub(crate) fn explain(e: &std::io::Error) -> Option<String> {
    let inner = e.get_ref()?.downcast_ref::<rustls::Error>()?;
    Some(format!("handshake failed: {inner}"))
}
