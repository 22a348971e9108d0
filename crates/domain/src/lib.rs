//! Switchboard's core model. Every facade translates its wire shapes to and from these types;
//! nothing here performs IO.

pub mod address;
pub mod agent;
pub mod company;
pub mod conversation;
pub mod email;
pub mod error;
pub mod event;
pub mod file;
pub mod id;
pub mod job;
pub mod location;
pub mod outbound;
pub mod paging;
pub mod routing;
pub mod secret;
pub mod session;
pub mod source;
pub mod sync;
pub mod text;
pub mod texting;
pub mod time;
pub mod user;
pub mod webhook;

pub use error::{Error, Resource, Result};
pub use id::*;
pub use time::Timestamp;
