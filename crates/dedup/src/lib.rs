//! Message-id deduplication with a TTL and a hard memory bound (explicit id or SHA-256 of the content).
//!
//! (Work in progress.)
