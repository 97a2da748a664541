//! One module per command group.

pub mod bench;
pub mod chain;
pub mod gateway;
pub mod localnet;
pub mod metagraph;
pub mod miner;
pub mod model;
pub mod net;
pub mod network;
pub mod node;
pub mod sim;
pub mod stake;
pub mod subnet;
pub mod sudo;
pub mod transfer;
pub mod validator;
pub mod wallet;
pub mod wallet_chain;
pub mod weights;
