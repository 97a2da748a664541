//! The forecasting subnet's realistic models on a real dev node: naive, moving-average and
//! fitted-seasonal miners serve their axons (published with `serve_axon`), a staked validator
//! scores them over many rounds through the chain metagraph and sets weights on chain, and
//! Yuma Consensus pays the fitted model the most incentive and the naive one the least.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chain::Call;
use client::RustensorApiClient as _;
use common::*;
use neuron::{Axon, AxonConfig, Dendrite};
use subnets::forecast::{
    self, ForecastConfig, ForecastSubnet, Forecaster, MovingAverage, Naive, Seasonal,
};
use subnets::onchain::{ChainMetagraph, ChainWeightSink, serve_axon};
use subnets::{MetagraphView as _, Validator, ValidatorConfig, WeightsOutcome};
use types::{NetUid, TaoBalance};

const NET: u16 = 1;

async fn metagraph(c: &client::Client) -> rpc::views::MetagraphView {
    c.call(|r| async move { r.metagraph(NetUid(NET)).await })
        .await
        .unwrap()
        .unwrap()
}

async fn height(c: &client::Client) -> u64 {
    c.call(|r| async move { r.head().await })
        .await
        .unwrap()
        .finalized
        .height
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yuma_pays_fitted_over_moving_average_over_naive() {
    let node = DevNode::start();
    let c = connect(&node).await;
    let validator = pair("//ForecastValidator");
    register(&c, NET, &validator).await;
    // Enough stake for the validator's weights to decide consensus: alpha on the subnet, and
    // root stake (counted at tao_weight) above the owner hotkey's 10,000 TAO, which sets no
    // weights here.
    for (netuid, tao) in [(NET, 100u64), (0, 30_000)] {
        send(
            &c,
            &alice(),
            Call::AddStake {
                hotkey: validator.account_id(),
                netuid: NetUid(netuid),
                amount_staked: TaoBalance::from_rao(tao * 1_000_000_000),
            },
        )
        .await;
    }

    let models: Vec<(&str, Arc<dyn Forecaster>)> = vec![
        ("//Naive", Arc::new(Naive)),
        ("//MovingAverage", Arc::new(MovingAverage { window: 8 })),
        ("//Fitted", Arc::new(Seasonal::default())),
    ];
    let mut axons = Vec::new();
    let mut hotkeys = Vec::new();
    for (uri, model) in models {
        let key = pair(uri);
        register(&c, NET, &key).await;
        let axon = forecast::attach(Axon::new(key.clone(), AxonConfig::loopback(0)), model)
            .serve()
            .await
            .unwrap();
        serve_axon(
            &c,
            &key,
            NET,
            "127.0.0.1".parse().unwrap(),
            axon.local_addr().port(),
        )
        .await
        .unwrap();
        hotkeys.push(key.account_id());
        axons.push(axon);
    }
    let mg = ChainMetagraph::start(c.clone(), NET).await.unwrap();
    assert!(
        mg.wait_for(Duration::from_secs(20), |ns| hotkeys
            .iter()
            .all(|h| ns.iter().any(|n| n.hotkey == *h && n.axon.is_some())))
            .await,
        "the miners' axons never showed up"
    );
    let uids: Vec<u16> = hotkeys.iter().map(|h| mg.uid_of(h).unwrap()).collect();

    let sink = Arc::new(ChainWeightSink::with_options(
        c.clone(),
        validator.clone(),
        0,
        Duration::from_millis(200),
    ));
    let subnet = Arc::new(
        ForecastSubnet::new(ForecastConfig {
            seed: 42,
            ..ForecastConfig::default()
        })
        .unwrap(),
    );
    let config = ValidatorConfig {
        sample_size: 0,
        query_timeout: Duration::from_secs(5),
        alpha: 0.02,
        round_interval: Duration::ZERO,
        tempo_rounds: 1_000,
        min_weights_interval: Duration::ZERO,
        seed: Some(1),
    };
    let mut v = Validator::new(
        subnet,
        mg.clone(),
        sink,
        Dendrite::new(validator.clone()).unwrap(),
        config,
    )
    .unwrap();
    // The series advances one horizon per round, not with the clock: rounds run back to back.
    for _ in 0..300 {
        let r = v.run_round().await.unwrap();
        assert_eq!(r.failures, 0, "{r:?}");
    }
    let ema: Vec<f64> = uids.iter().map(|u| v.scores().get(*u)).collect();
    println!(
        "validator EMA: naive {:.4}, moving average {:.4}, fitted {:.4}",
        ema[0], ema[1], ema[2]
    );

    // The validator's permit comes with the first epoch after its stake.
    let deadline = Instant::now() + Duration::from_secs(60);
    let outcome = loop {
        match v.set_weights().await {
            Ok(o @ WeightsOutcome::Set { .. }) => break o,
            other => {
                assert!(Instant::now() < deadline, "weights never set: {other:?}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    };
    println!("weights: {outcome:?}");
    let set_at = height(&c).await;
    let tempo = u64::from(metagraph(&c).await.subnet.hyperparams.tempo);

    // Two epochs later the incentive follows the weights.
    let deadline = Instant::now() + Duration::from_secs(60);
    while height(&c).await < set_at + 2 * tempo + 2 {
        assert!(Instant::now() < deadline, "the chain stalled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let m = metagraph(&c).await;
    let incentive: Vec<u16> = uids
        .iter()
        .map(|u| m.neurons.iter().find(|n| n.uid.0 == *u).unwrap().incentive)
        .collect();
    for n in &m.neurons {
        println!(
            "uid {} alpha {} root {} active {} permit {} consensus {} incentive {} dividends {} vtrust {} weights {:?}",
            n.uid.0,
            n.alpha_stake,
            n.root_stake,
            n.active,
            n.validator_permit,
            n.consensus,
            n.incentive,
            n.dividends,
            n.validator_trust,
            n.weights
        );
    }
    println!(
        "incentive (u16): naive {}, moving average {}, fitted {}",
        incentive[0], incentive[1], incentive[2]
    );
    assert!(
        incentive[2] > incentive[1] && incentive[1] > incentive[0],
        "Yuma must pay fitted > moving average > naive: {incentive:?}"
    );
    let me = m
        .neurons
        .iter()
        .find(|n| n.hotkey == validator.account_id())
        .unwrap();
    assert!(me.dividends > 0, "the validator earns dividends: {me:?}");
    for a in axons {
        a.shutdown().await;
    }
}
