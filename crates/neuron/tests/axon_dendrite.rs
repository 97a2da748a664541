//! Our dendrite against our axon: success, signed responses, each rejection with its status
//! code, Epistula, bursts, priority under load, and hostile input that must not panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Echo, echo_forward};
use neuron::{
    Axon, AxonConfig, AxonInfo, Blacklist, Dendrite, DendriteConfig, ForwardError, RequestOutcome,
    ResponseAuth, RouteOptions, RunningAxon, SignatureScheme, Synapse,
};
use serde::{Deserialize, Serialize};

const T: Duration = Duration::from_secs(5);

fn key(uri: &str) -> keys::Keypair {
    keys::Keypair::from_uri(uri).unwrap()
}

fn dendrite(uri: &str) -> Dendrite {
    Dendrite::new(key(uri)).unwrap()
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Work {
    #[serde(default)]
    mode: String,
    #[serde(default)]
    blob: String,
}
impl Synapse for Work {
    const NAME: &'static str = "Work";
    const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["mode", "blob"];
}

async fn axon_with(config: AxonConfig) -> RunningAxon {
    Axon::new(key("//Bob"), config)
        .attach(echo_forward)
        .attach(|w: Work| async move {
            match w.mode.as_str() {
                "fail" => Err(ForwardError::with_status(422, "bad input")),
                "panic" => panic!("handler bug"),
                "sleep" => {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    Ok(w)
                }
                _ => Ok(w),
            }
        })
        .serve()
        .await
        .unwrap()
}

#[tokio::test]
async fn call_success_and_signed_response() {
    let axon = axon_with(AxonConfig::loopback(0)).await;
    let info = axon.info();
    assert_eq!(info.hotkey, key("//Bob").account_id());
    let d = Dendrite::with_config(
        key("//Alice"),
        DendriteConfig {
            require_signed_responses: true,
            ..DendriteConfig::default()
        },
    )
    .unwrap();
    let r = d
        .call(&info, Echo::new("hello", 21, vec![1, 2, 3]), T)
        .await;
    assert!(r.is_success(), "{:?}", r.dendrite);
    assert_eq!(r.synapse.response.as_deref(), Some("HELLO|42|6"));
    assert_eq!(r.auth, ResponseAuth::Verified);
    assert_eq!(r.axon.hotkey, Some(key("//Bob").ss58()));
    assert_eq!(r.axon.status_message.as_deref(), Some("Success"));
    assert!(r.dendrite.process_time.unwrap() > 0.0);

    // Errors are signed too.
    let r = d
        .call(
            &info,
            Work {
                mode: "fail".into(),
                blob: String::new(),
            },
            T,
        )
        .await;
    assert_eq!(r.status_code(), 422);
    assert_eq!(r.dendrite.status_message.as_deref(), Some("bad input"));
    assert_eq!(r.auth, ResponseAuth::Verified);

    // A response signed by Bob is not accepted as Charlie's.
    let wrong = AxonInfo::new(info.ip.clone(), info.port, key("//Charlie").account_id());
    let r = d.call(&wrong, Echo::default(), T).await;
    assert_eq!(r.auth, ResponseAuth::Invalid);
    assert_eq!(r.status_code(), 502);

    // Unsigned responses are refused when required.
    let quiet = axon_with(AxonConfig {
        sign_responses: false,
        ..AxonConfig::loopback(0)
    })
    .await;
    let r = d.call(&quiet.info(), Echo::default(), T).await;
    assert_eq!((r.status_code(), r.auth), (502, ResponseAuth::Absent));
    assert!(
        dendrite("//Alice")
            .call(&quiet.info(), Echo::default(), T)
            .await
            .is_success()
    );
    quiet.shutdown().await;
    axon.shutdown().await;
}

#[tokio::test]
async fn rejections_carry_reference_codes() {
    let axon = axon_with(AxonConfig {
        max_body_bytes: 1024,
        ..AxonConfig::loopback(0)
    })
    .await;
    let info = axon.info();
    let d = dendrite("//Alice");

    let r = d
        .call(
            &info,
            Work {
                mode: "panic".into(),
                blob: String::new(),
            },
            T,
        )
        .await;
    assert_eq!(r.status_code(), 500);
    assert!(
        r.dendrite
            .status_message
            .unwrap()
            .starts_with("Internal Server Error #")
    );

    let r = d
        .call(
            &info,
            Work {
                mode: "sleep".into(),
                blob: String::new(),
            },
            Duration::from_secs(1),
        )
        .await;
    assert!(r.is_timeout(), "{:?}", r.dendrite);

    let r = d
        .call(
            &info,
            Work {
                mode: String::new(),
                blob: "x".repeat(4096),
            },
            T,
        )
        .await;
    assert_eq!(r.status_code(), 413);
    assert_eq!(
        r.dendrite.status_message.as_deref(),
        Some("Request body too large: limit is 1024 bytes")
    );

    #[derive(Clone, Debug, Default, Serialize, Deserialize)]
    struct Unknown {}
    impl Synapse for Unknown {
        const NAME: &'static str = "Unknown";
    }
    let r = d.call(&info, Unknown {}, T).await;
    assert_eq!(r.status_code(), 404);
    assert_eq!(
        r.dendrite.status_message.as_deref(),
        Some("Synapse name 'Unknown' not found. Available synapses ['Synapse', 'Echo', 'Work']")
    );

    // Nothing listens on the axon's port once it is gone.
    axon.shutdown().await;
    let r = d.call(&info, Echo::default(), T).await;
    assert_eq!(r.status_code(), 503);
    assert_eq!(
        r.dendrite.status_message,
        Some(format!(
            "Service unavailable at 127.0.0.1:{}/Echo",
            info.port
        ))
    );
}

#[tokio::test]
async fn stake_blacklist() {
    let stakes: HashMap<_, _> = [
        (key("//Alice").account_id(), 10_000u64),
        (key("//Dave").account_id(), 10),
    ]
    .into_iter()
    .collect();
    let view = Arc::new(std::sync::RwLock::new(stakes));
    let axon = Axon::new(key("//Bob"), AxonConfig::loopback(0))
        .blacklist(Blacklist::new(view.clone(), 1_000))
        .attach(echo_forward)
        .serve()
        .await
        .unwrap();
    let info = axon.info();
    assert!(
        dendrite("//Alice")
            .call(&info, Echo::default(), T)
            .await
            .is_success()
    );
    let r = dendrite("//Dave").call(&info, Echo::default(), T).await;
    assert!(r.is_blacklist());
    assert!(
        r.dendrite
            .status_message
            .unwrap()
            .ends_with("has stake 10 rao, below the minimum 1000 rao.")
    );
    let r = dendrite("//Ferdie").call(&info, Echo::default(), T).await;
    assert!(r.is_blacklist());
    assert!(
        r.dendrite
            .status_message
            .unwrap()
            .contains("Unrecognized hotkey")
    );
    // The metagraph view is live: Dave stakes more and gets in.
    view.write()
        .unwrap()
        .insert(key("//Dave").account_id(), 5_000);
    assert!(
        dendrite("//Dave")
            .call(&info, Echo::default(), T)
            .await
            .is_success()
    );
    // Blacklist runs after verification: a request claiming Ferdie's hotkey but signed by
    // someone else is a 401 (Python would answer 403 from the unverified hotkey).
    let ferdie = key("//Ferdie").ss58();
    let n = neuron::axon::now_ns();
    let h = Echo::default().body_hash().unwrap();
    let msg = neuron::signing::request_message(n, &ferdie, &key("//Bob").ss58(), "u", &h);
    let forged = neuron::signing::sig_hex(&key("//Alice").sign(msg.as_bytes()));
    let resp = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("http://{}/Echo", axon.local_addr()))
        .header("bt_header_dendrite_nonce", n.to_string())
        .header("bt_header_dendrite_hotkey", ferdie)
        .header("bt_header_dendrite_uuid", "u")
        .header("computed_body_hash", h)
        .header("bt_header_dendrite_signature", forged)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    // The counters saw each outcome (recorded before the response leaves).
    let stats = axon.stats();
    assert_eq!(stats.served(), 2);
    assert_eq!(stats.count(RequestOutcome::Blacklisted), 2);
    assert_eq!(stats.count(RequestOutcome::NotVerified), 1);
    assert_eq!(stats.rejected(), 3);
    assert!(stats.time(RequestOutcome::Served) > Duration::ZERO);
    assert_eq!(stats.time(RequestOutcome::Overloaded), Duration::ZERO);
    axon.shutdown().await;
}

#[tokio::test]
async fn epistula_requests() {
    let axon = axon_with(AxonConfig::loopback(0)).await;
    let d = Dendrite::with_config(
        key("//Alice"),
        DendriteConfig {
            scheme: SignatureScheme::Epistula,
            ..DendriteConfig::default()
        },
    )
    .unwrap();
    let r = d.call(&axon.info(), Echo::new("epi", 1, vec![2]), T).await;
    assert!(r.is_success(), "{:?}", r.dendrite);
    assert_eq!(r.synapse.response.as_deref(), Some("EPI|2|2"));

    // Hand-made Epistula request: tampered body, then a replay of the same uuid.
    let body = br#"{"text":"a","n":1,"values":[]}"#.to_vec();
    let alice = key("//Alice");
    let bob = key("//Bob").ss58();
    let ts = neuron::axon::now_ns() / 1_000_000;
    let headers = neuron::signing::epistula::headers(
        &alice,
        &body,
        Some(&bob),
        "11111111-2222-4333-8444-555555555555",
        ts,
    );
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let send = |b: Vec<u8>| {
        let mut req = client.post(format!("http://{}/Echo", axon.local_addr()));
        for (k, v) in &headers {
            req = req.header(k.as_str(), v.as_str());
        }
        req.body(b).send()
    };
    let mut tampered = body.clone();
    tampered[10] = b'b';
    assert_eq!(send(tampered).await.unwrap().status().as_u16(), 401);
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let v: serde_json::Value = first.json().await.unwrap();
    assert_eq!(v["response"], "A|2|0");
    let again = send(body).await.unwrap();
    assert_eq!(again.status().as_u16(), 401);
    axon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_burst_from_one_dendrite_is_accepted() {
    let axon = axon_with(AxonConfig::loopback(0)).await;
    let d = dendrite("//Alice");
    let axons = vec![axon.info(); 128];
    let rs = d.query(&axons, Echo::new("b", 1, vec![1]), T).await;
    assert!(
        rs.iter().all(|r| r.is_success()),
        "{:?}",
        rs.iter().map(|r| r.status_code()).collect::<Vec<_>>()
    );
    axon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_by_stake_under_load() {
    let stakes: HashMap<_, _> = [
        (key("//Alice").account_id(), 1u64),
        (key("//Charlie").account_id(), 100),
        (key("//Dave").account_id(), 10_000),
    ]
    .into_iter()
    .collect();
    let order = Arc::new(Mutex::new(Vec::new()));
    let o = order.clone();
    let axon = Axon::new(
        key("//Bob"),
        AxonConfig {
            max_in_flight: 1,
            ..AxonConfig::loopback(0)
        },
    )
    .blacklist(Blacklist::new(stakes, 0))
    .attach(move |e: Echo| {
        let o = o.clone();
        async move {
            o.lock().unwrap().push(e.text.clone());
            tokio::time::sleep(Duration::from_millis(600)).await;
            e
        }
    })
    .serve()
    .await
    .unwrap();
    let info = axon.info();
    // Alice occupies the only slot; Charlie then Dave queue; Dave (more stake) goes first.
    let mut tasks = Vec::new();
    for who in ["Alice", "Charlie", "Dave"] {
        let info = info.clone();
        tasks.push(tokio::spawn(async move {
            dendrite(&format!("//{who}"))
                .call(&info, Echo::new(who, 0, vec![]), T)
                .await
        }));
        // Generous spacing so arrival order is certain even on a loaded machine.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    for t in tasks {
        assert!(t.await.unwrap().is_success());
    }
    assert_eq!(*order.lock().unwrap(), vec!["Alice", "Dave", "Charlie"]);
    axon.shutdown().await;
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Tokens {
    #[serde(default)]
    prompt: String,
    #[serde(default)]
    completion: String,
}
impl Synapse for Tokens {
    const NAME: &'static str = "Tokens";
    const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["prompt"];
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_synapse() {
    use futures::StreamExt as _;
    let axon = Axon::new(key("//Bob"), AxonConfig::loopback(0))
        .attach_stream(
            |t: Tokens, _| {
                let words: Vec<String> = t.prompt.split(' ').map(|w| format!("{w} ")).collect();
                let forever = t.prompt == "hang";
                futures::stream::iter(words).chain(futures::stream::unfold(
                    forever,
                    |f| async move {
                        if f {
                            futures::future::pending::<()>().await;
                        }
                        None::<(String, bool)>
                    },
                ))
            },
            RouteOptions::new(),
        )
        .serve()
        .await
        .unwrap();
    let d = Dendrite::with_config(
        key("//Alice"),
        DendriteConfig {
            require_signed_responses: true,
            ..DendriteConfig::default()
        },
    )
    .unwrap();
    let r = d
        .call_stream(
            &axon.info(),
            Tokens {
                prompt: "a b c".into(),
                completion: String::new(),
            },
            T,
        )
        .await;
    assert!(r.is_success(), "{:?}", r.dendrite);
    assert_eq!(r.auth, ResponseAuth::HeadersOnly);
    let chunks: Vec<_> = r.chunks.unwrap().collect().await;
    let text: String = chunks
        .into_iter()
        .map(|c| String::from_utf8(c.unwrap().to_vec()).unwrap())
        .collect();
    assert_eq!(text, "a b c ");

    // A stream that never ends is cut at the timeout.
    let t0 = std::time::Instant::now();
    let r = d
        .call_stream(
            &axon.info(),
            Tokens {
                prompt: "hang".into(),
                completion: String::new(),
            },
            Duration::from_secs(1),
        )
        .await;
    let chunks: Vec<_> = r.chunks.unwrap().collect().await;
    assert_eq!(chunks[0].as_ref().unwrap().as_ref(), b"hang ");
    assert!(t0.elapsed() < Duration::from_secs(3));

    // Errors come back as statuses, without chunks.
    let r = dendrite("//Alice")
        .call_stream(&axon.info(), Echo::default(), T)
        .await;
    assert_eq!(r.dendrite.status_code, Some(404));
    assert!(r.chunks.is_none());
    axon.shutdown().await;
}

#[tokio::test]
async fn hostile_input_gets_status_codes_not_panics() {
    let axon = axon_with(AxonConfig::loopback(0)).await;
    let url = format!("http://{}/Echo", axon.local_addr());
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let alice = key("//Alice");
    let bob = key("//Bob").ss58();
    let signed = |nonce: u64, uuid: &str, hash: &str| {
        let msg = neuron::signing::request_message(nonce, &alice.ss58(), &bob, uuid, hash);
        neuron::signing::sig_hex(&alice.sign(msg.as_bytes()))
    };
    type Case = (Vec<(&'static str, String)>, Vec<u8>, u16);
    let cases: Vec<Case> = vec![
        (vec![], b"{}".to_vec(), 401),
        (
            vec![
                ("bt_header_dendrite_signature", "0xzz".into()),
                ("bt_header_dendrite_nonce", "nan".into()),
            ],
            vec![],
            401,
        ),
        (
            vec![
                ("bt_header_dendrite_signature", "0x00".into()),
                ("bt_header_dendrite_nonce", "1".into()),
                ("bt_header_dendrite_hotkey", "not-ss58".into()),
            ],
            vec![],
            401,
        ),
        (
            vec![
                (
                    "bt_header_dendrite_nonce",
                    neuron::axon::now_ns().to_string(),
                ),
                ("bt_header_dendrite_hotkey", alice.ss58()),
                ("bt_header_dendrite_uuid", "u".repeat(500)),
                ("bt_header_dendrite_signature", "0x00".into()),
                ("timeout", "inf".into()),
            ],
            vec![],
            400,
        ),
        {
            let n = neuron::axon::now_ns();
            let h = neuron::body_hash::EMPTY_BODY_HASH;
            (
                vec![
                    ("bt_header_dendrite_nonce", n.to_string()),
                    ("bt_header_dendrite_hotkey", alice.ss58()),
                    ("bt_header_dendrite_uuid", "x".into()),
                    ("computed_body_hash", h.into()),
                    ("bt_header_dendrite_signature", signed(n, "x", h)),
                    ("timeout", "-3".into()),
                ],
                b"\xff\xfe not json".to_vec(),
                400,
            )
        },
        {
            let n = neuron::axon::now_ns() + 1;
            let h = Echo::new("a", 1, vec![]).body_hash().unwrap();
            (
                vec![
                    ("bt_header_dendrite_nonce", n.to_string()),
                    ("bt_header_dendrite_hotkey", alice.ss58()),
                    ("bt_header_dendrite_uuid", "x".into()),
                    ("computed_body_hash", h.clone()),
                    ("bt_header_dendrite_signature", signed(n, "x", &h)),
                ],
                br#"{"text": 5, "n": "a"}"#.to_vec(),
                400,
            )
        },
    ];
    for (i, (headers, body, want)) in cases.into_iter().enumerate() {
        let mut req = client.post(&url);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let resp = req.body(body).send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert_eq!(status, want, "case {i}: {text}");
        assert!(serde_json::from_str::<serde_json::Value>(&text).unwrap()["message"].is_string());
    }
    // The axon is still serving.
    assert!(
        dendrite("//Alice")
            .call(&axon.info(), Echo::default(), T)
            .await
            .is_success()
    );
    axon.shutdown().await;
}
