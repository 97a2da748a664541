//! The framework against a real dev node on loopback: the metagraph sync sees registrations
//! and axons, skips blocks that change nothing, survives a node restart; the weight sink sets
//! weights, reports the rate limit typed, and commits then reveals on commit-reveal subnets;
//! serve_axon publishes once and skips when unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chain::hyperparams::HyperparamValue;
use client::RustensorApiClient as _;
use common::*;
use subnets::onchain::{ChainMetagraph, ChainWeightSink, ServeOutcome, WeightsReceipt, serve_axon};
use subnets::{Error, MetagraphView as _, WeightSink as _};

const NET: u16 = 1;

async fn weights_of(c: &client::Client, uid: u16) -> Vec<(u16, u16)> {
    let mg = c
        .call(|r| async move { r.metagraph(types::NetUid(NET)).await })
        .await
        .unwrap()
        .unwrap();
    mg.neurons
        .iter()
        .find(|n| n.uid.0 == uid)
        .map(|n| n.weights.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metagraph_sync_serve_axon_and_weights_on_a_dev_node() {
    let node = DevNode::start();
    let c = connect(&node).await;
    let mg = ChainMetagraph::start(c.clone(), NET).await.unwrap();
    assert_eq!(mg.netuid(), NET);
    let owner = owner_hotkey();
    assert_eq!(mg.uid_of(&owner.account_id()), Some(0));
    assert!(matches!(
        ChainMetagraph::start(c.clone(), 77).await,
        Err(Error::SubnetNotFound(77))
    ));

    // A registration shows up, and quickly.
    let miner = pair("//Miner1");
    let at = register(&c, NET, &miner).await;
    let seen = Instant::now();
    assert!(
        mg.wait_for(Duration::from_secs(10), |ns| ns
            .iter()
            .any(|n| n.hotkey == miner.account_id()))
            .await,
        "registration not seen"
    );
    let latency = seen.elapsed();
    println!(
        "registration finalized at #{at}, in the metagraph {latency:?} after finality (fetch {} µs)",
        mg.stats().last_fetch_us
    );
    let uid = mg.uid_of(&miner.account_id()).unwrap();

    // Unregistered hotkeys cannot serve.
    let stranger = pair("//Nobody");
    let e = serve_axon(&c, &stranger, NET, "127.0.0.1".parse().unwrap(), 9000)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotRegistered { netuid: NET, .. }), "{e}");
    assert!(e.hint().unwrap().contains("subnet register --netuid 1"));

    // serve_axon publishes loopback as "this machine"; the metagraph reads it back.
    let out = serve_axon(&c, &miner, NET, "127.0.0.1".parse().unwrap(), 45_678)
        .await
        .unwrap();
    assert!(
        matches!(out, ServeOutcome::Served { uid: u, .. } if u == uid),
        "{out:?}"
    );
    assert!(
        mg.wait_for(Duration::from_secs(10), |ns| ns.iter().any(|n| n.uid
            == uid
            && n.axon
                .as_ref()
                .is_some_and(|a| a.ip == "127.0.0.1" && a.port == 45_678)))
            .await,
        "axon not seen: {:?}",
        mg.neurons()
    );
    let again = serve_axon(&c, &miner, NET, "127.0.0.1".parse().unwrap(), 45_678)
        .await
        .unwrap();
    assert_eq!(again, ServeOutcome::Unchanged { uid });

    // Blocks with nothing for this subnet are skipped, not refetched.
    let before = mg.stats();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = mg.stats();
    println!("sync stats: {after:?}");
    assert!(after.skipped > before.skipped, "{before:?} {after:?}");
    assert!(mg.block() > 0);

    // Weights: direct set by the owner hotkey (exempt from stake and permit).
    let sink =
        ChainWeightSink::with_options(c.clone(), owner.clone(), 0, Duration::from_millis(200));
    let r = sink.submit(NET, &[uid], &[65_535]).await.unwrap();
    assert!(matches!(r, WeightsReceipt::Set { .. }), "{r:?}");
    assert_eq!(weights_of(&c, 0).await, vec![(uid, 65_535)]);

    // Rate limit: typed, nothing sent, with the block it can next submit.
    set_hparam(&c, NET, HyperparamValue::WeightsSetRateLimit(1_000)).await;
    let e = sink.set_weights(NET, &[uid], &[100]).await.unwrap_err();
    match &e {
        Error::WeightsTooSoon {
            next_block, now, ..
        } => assert!(next_block > now, "{e}"),
        other => panic!("expected WeightsTooSoon, got {other}"),
    }
    println!("{e} (hint: {:?})", e.hint());
    // Other refusals carry the chain's explanation.
    set_hparam(&c, NET, HyperparamValue::WeightsSetRateLimit(0)).await;
    let e = sink.submit(NET, &[uid, 99], &[1, 1]).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Rejected {
                call: "set_weights",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.hint().is_some());

    // Commit-reveal: commit now, reveal in the reveal epoch (tempo 10 blocks here).
    set_hparam(&c, NET, HyperparamValue::CommitRevealEnabled(true)).await;
    let r = sink
        .submit(NET, &[0, uid], &[30_000, 65_535])
        .await
        .unwrap();
    assert!(matches!(r, WeightsReceipt::Committed { .. }), "{r:?}");
    assert_eq!(sink.pending_reveals(), 1);
    // Not revealed yet: the old weights stand.
    assert_eq!(weights_of(&c, 0).await, vec![(uid, 65_535)]);
    let start = Instant::now();
    while sink.revealed() == 0 && start.elapsed() < Duration::from_secs(40) {
        assert_eq!(sink.failed_reveals(), 0);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(sink.revealed(), 1, "reveal did not land");
    println!("revealed {:?} after the commit", start.elapsed());
    assert_eq!(weights_of(&c, 0).await, vec![(0, 30_000), (uid, 65_535)]);
    assert_eq!(sink.pending_reveals(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metagraph_survives_a_node_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let mut node = DevNode::start_at(tmp.path().to_path_buf(), "127.0.0.1:0".parse().unwrap());
    let addr = node.addr;
    let c = connect(&node).await;
    let mg: Arc<ChainMetagraph> = ChainMetagraph::start(c.clone(), NET).await.unwrap();
    let block = mg.block();
    node.stop();
    // The view stays readable while the node is away.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!mg.neurons().is_empty());
    let _node = DevNode::start_at(tmp.path().to_path_buf(), addr);
    let miner = pair("//Miner2");
    register(&c, NET, &miner).await;
    assert!(
        mg.wait_for(Duration::from_secs(20), |ns| ns
            .iter()
            .any(|n| n.hotkey == miner.account_id()))
            .await,
        "not seen after the restart: {:?}",
        mg.stats()
    );
    assert!(mg.block() > block);
    // And it keeps following the restarted node. (Whether the event subscription had to be
    // renewed depends on how the in-process node's old connections wound down, so the count
    // is only reported.)
    let seen = mg.block();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while mg.block() <= seen {
        assert!(
            std::time::Instant::now() < deadline,
            "stopped following after the restart: {:?}",
            mg.stats()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("after the restart: {:?}", mg.stats());
}
