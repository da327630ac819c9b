//! TLS on both ends over loopback, with a certificate made at test time (rcgen): a session
//! resumes across resets through `wss://`, and a certificate the client does not trust is
//! refused with a clear error.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use ws_reliable::{Client, ClientConfig, Error, Server, ServerHandle, tls};
use ws_reliable_tests::{Fault, Proxy};

#[allow(dead_code)]
mod support;

use support::{bounded, echo, fast_reconnect, wait_until};

/// A self-signed certificate for 127.0.0.1: (certificate PEM, key PEM).
fn certificate() -> (String, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

/// An echo server with TLS on its own listener.
async fn tls_server(cert: &str, key: &str) -> (ServerHandle, SocketAddr) {
    let server_tls = tls::server_config(cert.as_bytes(), key.as_bytes()).unwrap();
    let server = Server::builder().tls(server_tls).bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    (server.start(echo), addr)
}

fn wss(addr: SocketAddr) -> String {
    format!("wss://{addr}/ws")
}

#[tokio::test]
async fn a_session_resumes_across_resets_over_tls() {
    let (cert, key) = certificate();
    let (server, addr) = tls_server(&cert, &key).await;
    let proxy = Proxy::start(addr).await.unwrap();
    let config = fast_reconnect().tls(tls::client_config(cert.as_bytes()).unwrap());
    let client = Client::builder().config(config).connect(wss(proxy.addr())).await.unwrap();
    let (rounds, per_round) = (4, 50);
    bounded(30, async {
        for round in 0..rounds {
            // A reset with messages in flight both ways: they must be replayed, once each.
            for i in round * per_round..(round + 1) * per_round {
                client.send(format!("m{i}")).await.unwrap();
            }
            proxy.inject(Fault::Reset);
            for i in round * per_round..(round + 1) * per_round {
                let got = client.recv().await.unwrap().unwrap();
                assert_eq!(got.text(), Some(format!("m{i}").as_str()), "exactly once, in order");
            }
            let reconnected = || proxy.accepted() > round + 1;
            wait_until("the client reconnected", Duration::from_secs(10), reconnected).await;
        }
    })
    .await;
    assert!(proxy.accepted() > rounds, "each reset forced a reconnect: {}", proxy.accepted());
    assert_eq!(server.sessions(), 1, "one session across every TLS connection");
    bounded(10, client.close()).await.unwrap();
}

#[tokio::test]
async fn a_certificate_the_client_does_not_trust_is_refused_clearly() {
    let (cert, key) = certificate();
    let (other, _) = certificate();
    let (server, addr) = tls_server(&cert, &key).await;
    let config = ClientConfig::default().tls(tls::client_config(other.as_bytes()).unwrap());
    let outcome = bounded(10, Client::builder().config(config).connect(wss(addr))).await;
    let error = outcome.err().expect("an untrusted certificate must be refused");
    assert!(matches!(error, Error::Tls(_)), "a TLS error, not {error:?}");
    let text = error.to_string();
    assert!(text.contains("certificate"), "the error says why: {text}");
    assert_eq!(server.sessions(), 0);
}

#[tokio::test]
async fn a_plain_client_gets_no_session_from_a_tls_listener() {
    let (cert, key) = certificate();
    let (server, addr) = tls_server(&cert, &key).await;
    let mut config = ClientConfig::default();
    config.connect_timeout = Duration::from_secs(2);
    let outcome = bounded(10, Client::builder().config(config).connect(support::url(addr))).await;
    assert!(outcome.is_err(), "plain HTTP to a TLS listener must fail");
    assert_eq!(server.sessions(), 0);
}

#[test]
fn bad_pem_is_a_tls_error() {
    let (cert, _) = certificate();
    check(tls::server_config(cert.as_bytes(), b"not a key").err());
    check(tls::server_config(b"", b"").err());
    check(tls::client_config(b"no certificate here").err());
}

#[track_caller]
fn check(error: Option<Error>) {
    assert!(matches!(error, Some(Error::Tls(_))), "{error:?}");
}
