//! Black-box tests against the real server, each on SQLite and on PostgreSQL.

mod advanced_messaging;
mod auth;
mod company;
mod contacts;
mod events;
mod files;
mod gws_cometd;
mod gws_interactions;
mod gws_me;
mod gws_sign_in;
mod limits;
mod live_streams;
mod locations;
mod openapi;
mod ops;
mod outbound;
mod ringplan_webhooks;
mod routing;
mod sdk_polling;
mod send_api;
mod send_api_limits;
mod slow_clients;
mod sources;
mod tenancy;
mod texting;
mod texting_inbound;
mod texting_socket;
mod texting_tenancy;
mod webhooks;

pub use reqwest::Method;
pub use serde_json::{Value, json};
pub use switchboard_tests::{TestApp, assert_problem, e2e};
