//! Test contacts: honest probes to a company's published e-mail addresses and contact forms, and
//! what came back. Network and disk stay here and in the store; classification is pure.

pub mod classify;
pub mod form;
pub mod inbox;
pub mod plan;
pub mod send;
pub mod timings;
pub mod token;

pub use classify::{Classification, ReplyClass, classify};
