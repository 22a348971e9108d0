//! Black-box tests against the real server, each on SQLite and on PostgreSQL.

mod advanced_messaging;
mod auth;
mod company;
mod contacts;
mod events;
mod locations;
mod openapi;
mod ops;
mod ringplan_webhooks;
mod sdk_polling;
mod send_api;
mod sources;
mod tenancy;
mod webhooks;

pub use reqwest::Method;
pub use serde_json::{Value, json};
pub use switchboard_tests::{TestApp, assert_problem, e2e};
