//! Unit tests of the JWT authenticator: a table per area, each row a token and the verdict.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::auth::{AuthError, Authenticator, Credentials, DEFAULT_LEEWAY, Jwt};

const SECRET: &[u8] = b"unit-test-secret-unit-test-secret!";
const AUD: &str = "ws-api";
const ISS: &str = "https://idp.example.com";
/// `{"alg":"none","typ":"JWT"}`, base64url without padding.
const NONE_HEADER: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";

/// Test-only keys, generated with `openssl genpkey` for these tests.
const RSA_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCl1b4LT2kN/NcO
LE/zavXVCNPYixy8DrYyaOdvnzoOR+UVDUSuEu2+W402ykZ/qHezTx6ebCM3lyJH
MbfZrkRaP1IGcrLB1g6k0zQtc6/4EvSkFr2M62sxGTmCJd1JvcKN82+HhdpCUpkc
KWaSD/J8c7wJFfQ0xNn6obKSQIrB7wY3yBnU5F0NTG85wv+MC64X4OvbMU62auEK
Z4Fp47ph2FTg7iGqjYpnw1LxMq3lX73BEE+R4pMhudnmQ8pw0g3njU20NKKGkbEc
HSqW/NS2y6aHxoORMDpgKF9didpG/Pt3wwlYeyqeQ5URwhBmql/qTfEMbG4Kqxlr
k1pJXorBAgMBAAECggEAIyhLYA530TVXSnPuh0aX05BJiVEEyIG98rX2yt1Q65Im
aO4lL1pn+MFkEMeVZp8KsYMGlMOMO87Yv4s01PtzFkbyVteeOiXteNgl6bTrC4bJ
Qrhneya11PTqEkOAxI9sXbfMX0jrWsA0IZpNWo3y9Jt8s9hpq35IUDBTsVnpkO+K
TTwe9R1zuRbzNZR1m/nt/Btpg0Oeg3VWsOxJgSiX52GozAXNQjZUA78aYwxYHjte
T9V5v+eMRBfm/Eb3YHu1bFMxtGLV7Y/kMFYNDT1sf9aAkCQtQaRu+wwEZb0oqAvQ
h630As+oQchLWogPOEbp4o3UhVjEWhpIJyPfAb7r+QKBgQDWUraa8nNXt95rb2+L
CTfYeTBZhl7PcqFRyvpE0SP2hGmhNFzzjp/j646WsW9ifU4ErZEqOA0xYuW9t7Yi
JwN15IzIpqqLvgg+WACIb4A6ZGLTvQVpQINDoosXg8E9BNG67tZ0I38RklJ+Dg6z
TzISNIta/oyI2lnh5Kc3yvWeqwKBgQDGFTldQRDc0zmIxhgkDvpq5nxJr8j+anI4
pPfvEtUxRj49gCa7gQRFtuzNA2Ns0bqZNxkdXaReGpVCnRGWnDiwHH28qv3LKK7b
KL74i3QFfyCgQhloVLKzdhssCHs4mQRKYhyay03GjIC2RE9uCWP++G2D+c3hhkcU
DPvd/vIMQwKBgFSrmq5+KCk4X6tr+9Ie0yw3PG2x0xT7gVXR7atwQFfsmdpw2GP0
LaCad9t6v7lWLZNViqr2N+gR3RdlU5QMe6aAo0nF5kyMx67xj0xXWH45GH30CAY7
0V/QAElK6PWVSNIj9x8sws+LUgGwxgf6uppMnd1WAOkz8hx2+8Tj7sM/AoGAMFXN
gav26WvBhlaQXXwqLxu/CFwUt8BRzvCyb2wxCa0SUv+KdAavfDN+5SgGgu9KkUiY
oEnRagUilvas7AuC6baKGBfBhmmPAXuX3h5pWU4EMBbxDDxevtv7FWucZdsw6NW4
FS229NQkNFXG7Brug7ErSCEU1AtoHMRuUWV8uvECgYBYoxtlKGmfLT9RoWhe90X8
NYBbL1Eo+3zfBXdTDpfHxp9r2sXIYKt4h55CN27Syv9lr/V+M0H8YfNxMCQYx+mR
3jOZnjiBR160Br+kTMnEovHnfiTQY0ZbuHqRz8Qv5yZ4RqfneQgP/0pJEUSHbMXN
j4MDHA6ts4Qr6J7OTVB3SQ==
-----END PRIVATE KEY-----";
const RSA_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApdW+C09pDfzXDixP82r1
1QjT2IscvA62Mmjnb586DkflFQ1ErhLtvluNNspGf6h3s08enmwjN5ciRzG32a5E
Wj9SBnKywdYOpNM0LXOv+BL0pBa9jOtrMRk5giXdSb3CjfNvh4XaQlKZHClmkg/y
fHO8CRX0NMTZ+qGykkCKwe8GN8gZ1ORdDUxvOcL/jAuuF+Dr2zFOtmrhCmeBaeO6
YdhU4O4hqo2KZ8NS8TKt5V+9wRBPkeKTIbnZ5kPKcNIN541NtDSihpGxHB0qlvzU
tsumh8aDkTA6YChfXYnaRvz7d8MJWHsqnkOVEcIQZqpf6k3xDGxuCqsZa5NaSV6K
wQIDAQAB
-----END PUBLIC KEY-----";
const EC_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/GYbCjp/TJmiYKTr
pGaSxebpRCv42jmWSsmhPtxr6L2hRANCAASEM0JmZK506pQX5p4NApFtueDl4GKc
FktYYB32VUX3MoAOMQGdYZFbK+D9J7vx3FnBi1G4acvGYbahkf41vaIm
-----END PRIVATE KEY-----";
const EC_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhDNCZmSudOqUF+aeDQKRbbng5eBi
nBZLWGAd9lVF9zKADjEBnWGRWyvg/Se78dxZwYtRuGnLxmG2oZH+Nb2iJg==
-----END PUBLIC KEY-----";

/// Accepted with this subject, or rejected with a reason containing this text.
#[derive(Debug)]
enum Verdict {
    Accept(&'static str),
    Reject(&'static str),
}
use Verdict::{Accept, Reject};

fn unix_now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

/// Valid claims for `alice`, expiring in a minute, with the audience and issuer; `edit`
/// changes them.
fn claims(edit: impl FnOnce(&mut Value)) -> Value {
    let mut claims = json!({ "sub": "alice", "exp": unix_now() + 60, "aud": AUD, "iss": ISS });
    edit(&mut claims);
    claims
}

/// The valid claims without `names`.
fn without(names: &[&str]) -> Value {
    let mut claims = claims(|_| {});
    for name in names {
        claims.as_object_mut().unwrap().remove(*name);
    }
    claims
}

fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
}

fn hs256(claims: &Value) -> String {
    sign(Algorithm::HS256, &EncodingKey::from_secret(SECRET), claims)
}

fn rs256(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap();
    sign(Algorithm::RS256, &key, claims)
}

fn es256(claims: &Value) -> String {
    let key = EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).unwrap();
    sign(Algorithm::ES256, &key, claims)
}

/// The payload of `token` under an `alg: none` header, with an empty signature.
fn alg_none(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    format!("{NONE_HEADER}.{payload}.")
}

/// The authenticator most rows use: HS256 with audience and issuer.
fn hs_auth() -> Jwt {
    Jwt::hs256(SECRET).audience(AUD).issuer(ISS)
}

fn rs_auth() -> Jwt {
    Jwt::rs256_pem(RSA_PUBLIC.as_bytes()).unwrap().audience(AUD).issuer(ISS)
}

#[track_caller]
fn check(auth: &Jwt, token: &str, expected: Verdict) {
    match (auth.verify(token), &expected) {
        (Ok(principal), Accept(subject)) => assert_eq!(principal.subject, *subject),
        (Err(AuthError { status, reason }), Reject(why)) => {
            assert_eq!(status, 401, "{reason}");
            assert!(reason.contains(why), "reason {reason:?} should mention {why:?}");
            let echoed = !token.is_empty() && reason.contains(token);
            assert!(!echoed, "the reason must not echo the token");
        }
        (got, _) => panic!("expected {expected:?}, got {got:?}"),
    }
}

#[test]
fn time_claims() {
    let auth = hs_auth();
    let now = unix_now();
    let rows = [
        (hs256(&claims(|_| {})), Accept("alice")),
        (hs256(&claims(|c| c["exp"] = json!(now - 30))), Reject("expired")),
        (hs256(&claims(|c| c["exp"] = json!(now - 3))), Accept("alice")),
        (hs256(&claims(|c| c["nbf"] = json!(now + 60))), Reject("not yet valid")),
        (hs256(&claims(|c| c["nbf"] = json!(now + 2))), Accept("alice")),
        (hs256(&claims(|c| c["nbf"] = json!(now - 60))), Accept("alice")),
        (hs256(&claims(|c| c["exp"] = json!("soon"))), Reject("claim `exp`")),
        (hs256(&claims(|c| c["exp"] = json!(now as f64 + 60.5))), Accept("alice")),
    ];
    for (token, expected) in rows {
        check(&auth, &token, expected);
    }
    let strict = hs_auth().leeway(Duration::ZERO);
    check(&strict, &hs256(&claims(|c| c["exp"] = json!(now - 3))), Reject("expired"));
}

#[test]
fn signatures_and_algorithms() {
    let good = hs256(&claims(|_| {}));
    let other_key = EncodingKey::from_secret(b"another-secret-another-secret!!!!");
    let forged = sign(Algorithm::HS256, &other_key, &claims(|_| {}));
    let (head, _) = good.rsplit_once('.').unwrap();
    let (_, forged_signature) = forged.rsplit_once('.').unwrap();
    let rows = [
        (format!("{head}.{forged_signature}"), Reject("bad signature")),
        (forged.clone(), Reject("bad signature")),
        (format!("{head}."), Reject("bad signature")),
        (alg_none(&good), Reject("unsupported algorithm")),
        ("not-a-jwt".to_owned(), Reject("malformed")),
        (String::new(), Reject("malformed")),
        (rs256(&claims(|_| {})), Reject("algorithm RS256 not allowed")),
    ];
    for (token, expected) in rows {
        check(&hs_auth(), &token, expected);
    }
    // Algorithm confusion: an HMAC token keyed with the RSA public key the server trusts.
    let confused_key = EncodingKey::from_secret(RSA_PUBLIC.as_bytes());
    let confused = sign(Algorithm::HS256, &confused_key, &claims(|_| {}));
    check(&rs_auth(), &confused, Reject("algorithm HS256 not allowed"));
    check(&rs_auth(), &alg_none(&rs256(&claims(|_| {}))), Reject("unsupported algorithm"));
    check(&rs_auth(), &rs256(&claims(|_| {})), Accept("alice"));
    check(&rs_auth(), &es256(&claims(|_| {})), Reject("algorithm ES256 not allowed"));
    let es = Jwt::es256_pem(EC_PUBLIC.as_bytes()).unwrap().audience(AUD).issuer(ISS);
    check(&es, &es256(&claims(|_| {})), Accept("alice"));
    check(&es, &rs256(&claims(|_| {})), Reject("algorithm RS256 not allowed"));
}

#[test]
fn audience_and_issuer() {
    let rows = [
        (claims(|c| c["aud"] = json!("other-api")), Reject("wrong audience")),
        (claims(|c| c["aud"] = json!(["other", AUD])), Accept("alice")),
        (claims(|c| c["aud"] = json!(["other"])), Reject("wrong audience")),
        (without(&["aud"]), Reject("missing claim `aud`")),
        (claims(|c| c["iss"] = json!("https://evil.example")), Reject("wrong issuer")),
        (without(&["iss"]), Reject("missing claim `iss`")),
    ];
    for (claims, expected) in rows {
        check(&hs_auth(), &hs256(&claims), expected);
    }
    let second = hs_auth().audience("admin-api");
    check(&second, &hs256(&claims(|c| c["aud"] = json!("admin-api"))), Accept("alice"));
    // Without a configured audience or issuer neither is required, but a token addressed to
    // some audience is not for us (RFC 7519 section 4.1.3).
    let plain = Jwt::hs256(SECRET);
    let bare = without(&["aud", "iss"]);
    check(&plain, &hs256(&bare), Accept("alice"));
    check(&plain, &hs256(&claims(|_| {})), Reject("wrong audience"));
}

#[test]
fn required_claims() {
    let rows = [
        (without(&["sub"]), Reject("missing claim `sub`")),
        (claims(|c| c["sub"] = json!("")), Reject("missing claim `sub`")),
        (claims(|c| c["sub"] = json!(42)), Reject("missing claim `sub`")),
        (without(&["exp"]), Reject("missing claim `exp`")),
        (claims(|c| c["sub"] = json!("bob")), Accept("bob")),
    ];
    for (claims, expected) in rows {
        check(&hs_auth(), &hs256(&claims), expected);
    }
}

#[test]
fn principal_carries_the_expiry() {
    let exp = unix_now() + 120;
    let principal = hs_auth().verify(&hs256(&claims(|c| c["exp"] = json!(exp)))).unwrap();
    let secs = u64::try_from(exp).unwrap();
    assert_eq!(principal.expires_at, Some(UNIX_EPOCH + Duration::from_secs(secs)));
}

#[tokio::test]
async fn authenticate_reads_the_bearer_token() {
    let auth = hs_auth();
    let missing = auth.authenticate(&Credentials::default()).await.unwrap_err();
    assert_eq!(missing, AuthError::unauthorized("missing bearer token"));
    let empty = auth.authenticate(&Credentials::token("")).await.unwrap_err();
    assert_eq!(empty, AuthError::unauthorized("missing bearer token"));
    let token = hs256(&claims(|_| {}));
    let principal = auth.authenticate(&Credentials::token(token)).await.unwrap();
    assert_eq!(principal.subject, "alice");
}

#[test]
fn keys_are_checked_and_never_printed() {
    assert!(Jwt::rs256_pem(b"not a pem").is_err());
    assert!(Jwt::es256_pem(b"not a pem").is_err());
    assert_eq!(DEFAULT_LEEWAY, Duration::from_secs(5));
    let debug = format!("{:?}", Jwt::hs256(SECRET));
    assert!(debug.contains("HS256") && debug.contains("5s"), "{debug}");
    assert!(!debug.contains("unit-test-secret"), "{debug}");
}
