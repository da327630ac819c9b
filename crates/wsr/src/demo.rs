//! The demo page `wsr serve` answers at `/`: a chat room and a token stream on the TypeScript
//! client (`clients/typescript`), with live counters and a "cut the connection" button. The
//! files are built by `npm run build:demo` there and embedded here, so `cargo build` needs no
//! Node.

use std::sync::Arc;

use ws_reliable::{StaticAsset, StaticRoute};

const JS: &str = "text/javascript; charset=utf-8";

const ASSETS: &[(&str, &str, &str)] = &[
    ("/", "text/html; charset=utf-8", include_str!("../assets/index.html")),
    ("/demo.js", JS, include_str!("../assets/demo.js")),
    ("/index.js", JS, include_str!("../assets/index.js")),
    ("/client.js", JS, include_str!("../assets/client.js")),
    ("/codec.js", JS, include_str!("../assets/codec.js")),
    ("/emitter.js", JS, include_str!("../assets/emitter.js")),
];

/// Finds the embedded demo file for a request path.
pub fn asset(path: &str) -> Option<StaticAsset> {
    let (_, content_type, body) = ASSETS.iter().find(|(p, _, _)| *p == path)?;
    Some(StaticAsset { content_type, body: body.as_bytes() })
}

/// The route to put in `ServerConfig::static_route`.
pub fn route() -> StaticRoute {
    Arc::new(asset)
}

#[cfg(test)]
mod tests {
    #[test]
    fn serves_the_page_and_its_modules_only() {
        let page = super::asset("/").map(|a| a.content_type);
        assert_eq!(page, Some("text/html; charset=utf-8"));
        assert!(super::asset("/client.js").is_some_and(|a| !a.body.is_empty()));
        assert!(super::asset("/nope").is_none());
    }
}
