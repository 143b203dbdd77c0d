//! Wire tests: the client against a loopback mock server (no internet).

mod common;
mod decoding;
mod observability;
mod operations;
mod paging;
mod retries;
