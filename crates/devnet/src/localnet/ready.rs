//! Waiting for localnet's parts: the chain's first finalized block, every node of a network,
//! every miner's axon and the gateway; and reading snapshots that tolerate a node that is
//! briefly too busy to answer.

use std::time::{Duration, Instant};

use client::{Client, RustensorApiClient};

use super::plan::{Plan, Role};
use super::procs::Procs;
use super::setup::Netuids;
use super::summary::{self, Snapshot};
use super::{Event, Events};
use crate::error::{DevnetError, Result};
use crate::network::InitNode;
use crate::stop::Stop;

/// How long reads of the chain may keep failing before localnet gives up.
const READ_GRACE: Duration = Duration::from_secs(30);

/// Waits for the node's RPC and its first finalized block.
pub(super) async fn wait_node(
    url: &str,
    procs: &mut Procs,
    stop: &mut Stop,
    deadline: Instant,
) -> Result<Client> {
    loop {
        procs.check_alive()?;
        let last_error = match Client::connect(url).await {
            Ok(c) => match c.call(|r| async move { r.head().await }).await {
                Ok(h) if h.finalized.height >= 1 => return Ok(c),
                Ok(_) => "no finalized block yet".to_string(),
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        if Instant::now() >= deadline {
            return Err(DevnetError::ChainNotUp(last_error));
        }
        stop.sleep(Duration::from_millis(100)).await?;
    }
}

/// Waits until every node of the network answers over RPC.
pub(super) async fn wait_network(
    nodes: &[InitNode],
    procs: &mut Procs,
    stop: &mut Stop,
    deadline: Instant,
) -> Result {
    for n in nodes {
        loop {
            procs.check_alive()?;
            let last_error = match Client::connect(&n.rpc).await {
                Ok(c) => match c.call(|r| async move { r.head().await }).await {
                    Ok(_) => break,
                    Err(e) => e.to_string(),
                },
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(DevnetError::NodeNotUp {
                    name: n.name.clone(),
                    reason: last_error,
                });
            }
            stop.sleep(Duration::from_millis(100)).await?;
        }
    }
    Ok(())
}

/// What [`wait_ready`] waits for.
pub(super) struct Readiness<'a> {
    pub client: &'a Client,
    pub plan: &'a Plan,
    pub netuids: Netuids,
    pub gateway: &'a str,
    pub deadline: Instant,
}

/// Waits until every miner's axon is in the metagraph and the gateway lists its models.
pub(super) async fn wait_ready(
    r: Readiness<'_>,
    procs: &mut Procs,
    stop: &mut Stop,
    events: &Events,
) -> Result {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()?;
    let miners = r
        .plan
        .neurons
        .iter()
        .filter(|n| n.role == Role::Miner)
        .count();
    let models = format!("{}/v1/models", r.gateway);
    let mut last = (usize::MAX, false);
    let mut reads = Reads::default();
    loop {
        procs.check_alive()?;
        let Some(snap) = reads.read(r.client, r.plan, r.netuids, events).await? else {
            stop.sleep(Duration::from_millis(250)).await?;
            continue;
        };
        let serving: usize = snap.subnets.iter().map(|s| s.serving_miners()).sum();
        let gateway_up = matches!(
            http.get(&models).send().await,
            Ok(resp) if resp.status().is_success()
        );
        if (serving, gateway_up) != last {
            last = (serving, gateway_up);
            events(&Event::Readiness {
                block: snap.block,
                serving,
                miners,
                gateway_up,
            });
        }
        if serving == miners && gateway_up {
            return Ok(());
        }
        if Instant::now() >= r.deadline {
            return Err(DevnetError::NotReady {
                serving,
                miners,
                gateway_up,
            });
        }
        stop.sleep(Duration::from_millis(250)).await?;
    }
}

/// Snapshots that tolerate a node that is briefly too busy to answer.
#[derive(Default)]
pub(super) struct Reads {
    failing_since: Option<Instant>,
}

impl Reads {
    /// A snapshot, `None` after a failed read (noted once), or an error once reads have failed
    /// for [`READ_GRACE`].
    pub(super) async fn read(
        &mut self,
        client: &Client,
        plan: &Plan,
        netuids: Netuids,
        events: &Events,
    ) -> Result<Option<Snapshot>> {
        match summary::snapshot(client, plan, netuids).await {
            Ok(s) => {
                self.failing_since = None;
                Ok(Some(s))
            }
            Err(e) => {
                let since = *self.failing_since.get_or_insert_with(|| {
                    events(&Event::ReadRetry {
                        error: e.to_string(),
                    });
                    Instant::now()
                });
                if since.elapsed() >= READ_GRACE {
                    return Err(e);
                }
                Ok(None)
            }
        }
    }
}
