//! Transactional outbound queue: nothing leaves the queue until the peer acknowledges it; failures retry with backoff or land in a dead-letter list.
//!
//! (Work in progress.)
