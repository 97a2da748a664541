//! # rustensor-gateway
//!
//! An OpenAI-compatible HTTP API in front of a text-generation subnet: `POST
//! /v1/chat/completions` (JSON, or server-sent events with `stream: true`) and `GET
//! /v1/models`. Each request goes to miners chosen by incentive from a
//! [`subnets::MetagraphView`], with fallback when a miner fails, times out or answers nothing.
//!
//! * [`config`] — [`GatewayConfig`];
//! * [`routing`] — the miner order (incentive-weighted, spread) and the answer choice;
//! * [`api`] — OpenAI request parsing and response / error shapes;
//! * [`server`] — the axum app, [`serve`] and [`RunningGateway`];
//! * [`error`] — [`GatewayError`] (startup) and [`ApiError`] (per request).
//!
//! Status: working against real miner axons on loopback (`tests/`). Not yet: tool calls,
//! `n > 1`, logprobs, per-key rate limits. Policy and usage: `docs/gateway.md`.

#![forbid(unsafe_code)]

pub mod api;
pub mod config;
pub mod error;
pub mod routing;
pub mod server;

pub use config::GatewayConfig;
pub use error::{ApiError, GatewayError};
pub use server::{RunningGateway, router, serve};
