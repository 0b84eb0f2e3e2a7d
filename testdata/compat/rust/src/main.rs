//! Rust jsonwebtoken: the JWKS parsed as a jsonwebtoken::jwk::JwkSet, the
//! key for the token's kid made with DecodingKey::from_jwk, then
//! jsonwebtoken::decode with a Validation for the algorithm, issuer and
//! audience, as its docs show. Rust returns errors rather than raising
//! them: any error is "rejected"; only a panic would be a "crash".
//!
//! The protocol is that of the other verifiers (../README.md). The JWKS is
//! fetched with a plain HTTP/1.0 GET: the suite's servers are on 127.0.0.1,
//! and Debian's crates hold no HTTP client this setup would otherwise need.
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::str::FromStr;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};

/// The version of jsonwebtoken this binary was built with, from the
/// Cargo.lock cargo wrote for the build (Debian's registry holds one).
fn version() -> String {
    let lock = include_str!("../Cargo.lock");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"jsonwebtoken\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = ")) {
                return v.trim_matches('"').to_string();
            }
        }
    }
    "unknown".to_string()
}

fn fetch(url: &str) -> Result<String, String> {
    let rest = url.strip_prefix("http://").ok_or("the JWKS URL is not http://")?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    write!(stream, "GET {} HTTP/1.0\r\nHost: {}\r\n\r\n", if path.is_empty() { "/" } else { path }, host)
        .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(|e| e.to_string())?;
    let (head, body) = response.split_once("\r\n\r\n").ok_or("no HTTP body")?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(format!("GET {}: {}", url, head.lines().next().unwrap_or("")));
    }
    Ok(body.to_string())
}

fn verify(c: &Value) -> Result<String, String> {
    let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
    let token = s("token");
    let jwks: JwkSet = serde_json::from_str(&fetch(&s("jwksUrl"))?).map_err(|e| format!("JwkSet: {}", e))?;
    let header = decode_header(&token).map_err(|e| format!("decode_header: {}", e))?;
    let kid = header.kid.ok_or("the token has no kid")?;
    let jwk = jwks.find(&kid).ok_or("no key in the JWKS has the token's kid")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("DecodingKey::from_jwk: {}", e))?;
    let alg = Algorithm::from_str(&s("alg")).map_err(|e| format!("Algorithm: {}", e))?;
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[s("issuer")]);
    validation.set_audience(&[s("audience")]);
    let data = decode::<Value>(&token, &key, &validation).map_err(|e| format!("decode: {}", e))?;
    Ok(data.claims["sub"].as_str().unwrap_or("").to_string())
}

fn main() {
    let version = version();
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.expect("stdin");
        if line.trim().is_empty() {
            continue;
        }
        let c: Value = serde_json::from_str(&line).expect("a case");
        let (outcome, error) = match std::panic::catch_unwind(|| verify(&c)) {
            Ok(Ok(sub)) if !sub.is_empty() => ("ok", String::new()),
            Ok(Ok(_)) => ("crash", "verified, but the claims have no sub".to_string()),
            Ok(Err(e)) => ("rejected", e),
            Err(_) => ("crash", "panic".to_string()),
        };
        println!("{}", json!({"outcome": outcome, "error": error, "version": version, "with": ""}));
    }
}
