//! Marque's integration suite, through the real gRPC API with a real tonic
//! client (and real third-party clients), against the server built the way
//! `marque serve` builds it. One test binary: every suite shares one link of
//! the crate and its dependencies.
//!
//! `MARQUE_TEST_STORE=memory|postgres` picks the store every suite runs on
//! (`scripts/test.sh` runs them all on both); `postgres` always uses
//! PostgreSQL. Run one suite with `cargo test --test integration tenancy::`.

mod common;

mod admin;
mod conventions;
mod corpus;
mod events;
mod hostile;
mod lifecycle;
mod listing;
mod operations;
mod postgres;
mod readme;
mod registry;
mod tenancy;
mod third_party;
