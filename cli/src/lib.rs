//! The `depin` command's library part: the demo ([`demo`]) and URL helpers, shared with the
//! end-to-end tests.

pub mod bench;
pub mod demo;

/// RPC URL of a `solana`-CLI moniker (`localhost`, `devnet`, `mainnet`, `testnet`) or the URL
/// itself.
pub fn url_of(moniker: &str) -> String {
    match moniker {
        "localhost" | "l" => "http://127.0.0.1:8899".into(),
        "devnet" | "d" => "https://api.devnet.solana.com".into(),
        "testnet" | "t" => "https://api.testnet.solana.com".into(),
        "mainnet" | "mainnet-beta" | "m" => "https://api.mainnet-beta.solana.com".into(),
        url => url.into(),
    }
}

/// Websocket URL of an RPC URL (port + 1 when given, as validators and the local chain serve).
pub fn ws_of(url: &str) -> String {
    depin_worker::config::ws_url_for(url)
}

#[cfg(test)]
mod tests {
    #[test]
    fn monikers() {
        assert_eq!(super::url_of("devnet"), "https://api.devnet.solana.com");
        assert_eq!(super::url_of("http://h:1"), "http://h:1");
        assert_eq!(super::ws_of("http://127.0.0.1:8899"), "ws://127.0.0.1:8900");
    }
}
