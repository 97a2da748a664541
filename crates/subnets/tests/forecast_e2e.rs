//! Forecasting subnet end to end on loopback: three miner axons (naive, moving average,
//! fitted seasonal regression), a validator querying them through the real dendrite for many rounds, and the
//! weights it sets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use neuron::{Axon, AxonConfig, Dendrite};
use subnets::forecast::{
    self, ForecastConfig, ForecastSubnet, Forecaster, MovingAverage, Naive, Seasonal,
};
use subnets::{
    CancellationToken, InMemoryMetagraph, InMemoryWeightSink, NeuronInfo, Validator,
    ValidatorConfig, WeightsOutcome,
};

fn key(uri: &str) -> keys::Keypair {
    keys::Keypair::from_uri(uri).unwrap()
}

#[tokio::test]
async fn validator_ranks_fitted_over_moving_average_over_naive() {
    let models: Vec<(&str, Arc<dyn Forecaster>)> = vec![
        ("//Naive", Arc::new(Naive)),
        ("//MovingAverage", Arc::new(MovingAverage { window: 8 })),
        ("//Fitted", Arc::new(Seasonal::default())),
    ];
    let mut axons = Vec::new();
    let mut neurons = Vec::new();
    for (uid, (uri, model)) in models.into_iter().enumerate() {
        let axon = forecast::attach(Axon::new(key(uri), AxonConfig::loopback(0)), model)
            .serve()
            .await
            .unwrap();
        neurons.push(NeuronInfo::miner(uid as u16, axon.info()));
        axons.push(axon);
    }
    // The validator is registered too (uid 3, no axon): it must not query itself.
    let mut me = NeuronInfo::miner(3, axons[0].info());
    me.hotkey = key("//Validator").account_id();
    me.axon = None;
    me.validator_permit = true;
    neurons.push(me);
    let metagraph = Arc::new(InMemoryMetagraph::new(2, neurons));
    let sink = Arc::new(InMemoryWeightSink::new());
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
        tempo_rounds: 50,
        min_weights_interval: Duration::from_secs(3600),
        seed: Some(1),
    };
    let mut v = Validator::new(
        subnet,
        metagraph,
        sink.clone(),
        Dendrite::new(key("//Validator")).unwrap(),
        config,
    )
    .unwrap();

    let first = v.run_round().await.unwrap();
    assert_eq!(first.queried, vec![0, 1, 2]);
    assert!(
        first.scores.is_empty(),
        "truth not revealed yet: {:?}",
        first.scores
    );
    for _ in 1..300 {
        let r = v.run_round().await.unwrap();
        assert_eq!(r.failures, 0);
        assert_eq!(r.scores.len(), 3);
    }
    let s = |uid| v.scores().get(uid);
    eprintln!("EMA naive {:.4} ma {:.4} ar {:.4}", s(0), s(1), s(2));
    assert!(s(2) > s(1) && s(1) > s(0));

    let WeightsOutcome::Set { uids, weights } = v.set_weights().await.unwrap() else {
        panic!("weights not set")
    };
    assert_eq!(uids, vec![0, 1, 2]);
    assert!(
        weights[2] == u16::MAX && weights[2] > weights[1] && weights[1] > weights[0],
        "{weights:?}"
    );
    assert_eq!(sink.last().unwrap().weights, weights);
    // The rate limit holds the next submission back.
    assert!(matches!(
        v.set_weights().await.unwrap(),
        WeightsOutcome::RateLimited { .. }
    ));
    let m = v.metrics().render("t");
    assert!(m.contains("t_rounds_total 300"), "{m}");
    assert!(m.contains("t_weight_sets_total 1"), "{m}");

    // The run loop stops on cancellation.
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    let handle = tokio::spawn(v.run(c2));
    tokio::time::sleep(Duration::from_millis(200)).await;
    cancel.cancel();
    let v = tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .unwrap()
        .unwrap();
    assert!(v.round() > 300);
    for a in axons {
        a.shutdown().await;
    }
}
