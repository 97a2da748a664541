//! Replay the captured Python Dendrite → Axon cases (tests/data, from
//! ../shared/vectors/sdk/axon) against our axon, with fresh nonces re-signed by //Alice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;

use common::{Echo, RawRequest, VECTOR_AXON_SS58, echo_forward, vector_hotkey};
use neuron::{Axon, AxonConfig, Blacklist, RouteOptions, RunningAxon, signing};

const EVE: &str = "5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw";

fn alice() -> keys::Keypair {
    keys::Keypair::from_uri("//Alice").unwrap()
}

/// Our axon as the capture's: the vector hotkey, `Echo`, and //Eve blacklisted by the
/// synapse's own blacklist function (both are registered in the stake view).
async fn capture_axon() -> RunningAxon {
    let hotkey = vector_hotkey();
    assert_eq!(hotkey.ss58(), VECTOR_AXON_SS58);
    let eve = keys::Keypair::from_uri("//Eve").unwrap();
    assert_eq!(eve.ss58(), EVE);
    let mut stakes = HashMap::new();
    stakes.insert(alice().account_id(), 1_000_000_000u64);
    stakes.insert(eve.account_id(), 1_000_000_000u64);
    let eve_id = eve.account_id();
    Axon::new(hotkey, AxonConfig::loopback(0))
        .blacklist(Blacklist::new(stakes, 0))
        .attach_with(
            |e: Echo, _| echo_forward(e),
            RouteOptions::new().blacklist(move |c| {
                if c.hotkey == eve_id {
                    Err("Eve is blacklisted".into())
                } else {
                    Ok(())
                }
            }),
        )
        .serve()
        .await
        .unwrap()
}

fn message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body).unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Status and `{"message"}` of the capture's response file.
fn captured(name: &str) -> (u16, String) {
    let raw = std::fs::read_to_string(common::data(name)).unwrap();
    let status: u16 = raw.split(' ').nth(1).unwrap().parse().unwrap();
    (status, message(raw.split_once("\r\n\r\n").unwrap().1))
}

#[tokio::test]
async fn capture_cases_against_our_axon() {
    let axon = capture_axon().await;
    let addr = axon.local_addr().to_string();
    let now = neuron::axon::now_ns;

    // ok: 200, same response body fields as the Python axon's.
    let mut ok = RawRequest::from_file("ok.request.http");
    ok.resign(&alice(), now(), VECTOR_AXON_SS58);
    let (status, headers, body) = ok.send(&addr).await;
    assert_eq!(status, 200, "{body}");
    let ours: serde_json::Value = serde_json::from_str(&body).unwrap();
    let raw = std::fs::read_to_string(common::data("ok.response.http")).unwrap();
    let theirs: serde_json::Value =
        serde_json::from_str(raw.split_once("\r\n\r\n").unwrap().1).unwrap();
    for field in [
        "name",
        "timeout",
        "text",
        "n",
        "values",
        "response",
        "computed_body_hash",
    ] {
        assert_eq!(ours[field], theirs[field], "field {field}");
    }
    for field in ["status_code", "status_message", "ip", "hotkey"] {
        assert_eq!(ours["axon"][field], theirs["axon"][field], "axon.{field}");
    }
    assert_eq!(
        ours["dendrite"]["nonce"].as_u64().unwrap(),
        ok.header("bt_header_dendrite_nonce")
            .unwrap()
            .parse::<u64>()
            .unwrap()
    );
    assert_eq!(headers["bt_header_axon_status_code"], "200");
    assert_eq!(headers["bt_header_axon_status_message"], "Success");
    assert_eq!(
        headers["computed_body_hash"],
        ok.header("computed_body_hash").unwrap()
    );
    // Our deviation: the 200 is signed over the exact body bytes.
    let axon_nonce: u64 = headers["bt_header_axon_nonce"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let msg = signing::response_message(
        axon_nonce,
        &alice().ss58(),
        VECTOR_AXON_SS58,
        ok.header("bt_header_dendrite_uuid").unwrap(),
        ok.header("bt_header_dendrite_nonce")
            .unwrap()
            .parse()
            .unwrap(),
        body.as_bytes(),
    );
    let sig = keys::parse_signature(headers["bt_header_axon_signature"].to_str().unwrap()).unwrap();
    assert!(keys::verify(
        &vector_hotkey().public_key(),
        msg.as_bytes(),
        &sig
    ));

    // replay_same_nonce: the byte-identical request again.
    let (status, headers, body) = ok.send(&addr).await;
    assert_eq!(
        (status, message(&body)),
        captured("replay_same_nonce.response.http")
    );
    assert_eq!(headers["bt_header_axon_status_code"], "401");

    // bad_signature: first signature byte flipped.
    let mut bad = RawRequest::from_file("bad_signature.request.http");
    bad.resign(&alice(), now(), VECTOR_AXON_SS58);
    let sig = bad
        .header("bt_header_dendrite_signature")
        .unwrap()
        .to_string();
    let flipped = format!(
        "0x{:02x}{}",
        u8::from_str_radix(&sig[2..4], 16).unwrap() ^ 1,
        &sig[4..]
    );
    bad.set_header("bt_header_dendrite_signature", &flipped);
    let (status, _, body) = bad.send(&addr).await;
    let expect = format!(
        "Not Verified with error: Signature mismatch with {}.{}.{}.{}.{} and {flipped}",
        bad.header("bt_header_dendrite_nonce").unwrap(),
        alice().ss58(),
        VECTOR_AXON_SS58,
        bad.header("bt_header_dendrite_uuid").unwrap(),
        bad.header("computed_body_hash").unwrap()
    );
    assert_eq!((status, message(&body)), (401, expect));

    // stale_nonce_first_contact: 20.01 s old, timeout 12 s, new uuid.
    let mut stale = RawRequest::from_file("stale_nonce_first_contact.request.http");
    stale.resign(&alice(), now() - 20_010_000_000, VECTOR_AXON_SS58);
    let (status, _, body) = stale.send(&addr).await;
    let (want_status, want_msg) = captured("stale_nonce_first_contact.response.http");
    assert_eq!(status, want_status);
    let prefix = "Not Verified with error: Nonce is too old: acceptable delta is 16.00 seconds but request was 20.0";
    assert!(
        want_msg.starts_with(prefix) && message(&body).starts_with(prefix),
        "{body}"
    );

    // missing_signature (JSON capture only).
    let mut missing = RawRequest::from_capture("missing_signature");
    let n = now();
    let old = missing
        .header("bt_header_dendrite_nonce")
        .unwrap()
        .to_string();
    missing.set_header("bt_header_dendrite_nonce", &n.to_string());
    missing.body = missing.body.replace(&old, &n.to_string());
    let (status, _, body) = missing.send(&addr).await;
    assert_eq!(
        (status, message(&body).as_str()),
        (401, "Not Verified with error: Missing Signature")
    );

    // body_hash_mismatch: Python answers 500; we answer 400 (documented deviation).
    let mut mismatch = RawRequest::from_file("body_hash_mismatch.request.http");
    mismatch.resign(&alice(), now(), VECTOR_AXON_SS58);
    let (status, _, body) = mismatch.send(&addr).await;
    assert_eq!(captured("body_hash_mismatch.response.http").0, 500);
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        message(&body),
        format!(
            "Hash mismatch between header body hash {} and parsed body hash {}",
            mismatch.header("computed_body_hash").unwrap(),
            Echo::new("y", 1, vec![]).body_hash_for_test()
        )
    );

    // unknown_synapse: 404, same message as Python (synapses listed in attach order).
    let mut nope = RawRequest::from_capture("unknown_synapse");
    nope.resign(&alice(), now(), VECTOR_AXON_SS58);
    let (status, _, body) = nope.send(&addr).await;
    assert_eq!(
        (status, message(&body).as_str()),
        (
            404,
            "Synapse name 'Nope' not found. Available synapses ['Synapse', 'Echo']"
        )
    );

    // blacklisted: //Eve, 403 with the reason from the blacklist function.
    let mut eve = RawRequest::from_file("blacklisted.request.http");
    eve.resign(
        &keys::Keypair::from_uri("//Eve").unwrap(),
        now(),
        VECTOR_AXON_SS58,
    );
    let (status, _, body) = eve.send(&addr).await;
    assert_eq!(
        (status, message(&body)),
        captured("blacklisted.response.http")
    );

    // ping_base_synapse: /Synapse echoes, 200.
    let mut ping = RawRequest::from_capture("ping_base_synapse");
    ping.resign(&alice(), now(), VECTOR_AXON_SS58);
    let (status, headers, body) = ping.send(&addr).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        headers["computed_body_hash"],
        neuron::body_hash::EMPTY_BODY_HASH
    );

    axon.shutdown().await;
}

#[tokio::test]
async fn raw_replays_of_the_capture_are_refused() {
    // As captured: the nonces are long past, so a fresh axon refuses them as stale.
    let axon = capture_axon().await;
    let addr = axon.local_addr().to_string();
    for case in ["ok", "blacklisted", "bad_signature", "body_hash_mismatch"] {
        let req = RawRequest::from_file(&format!("{case}.request.http"));
        let (status, _, body) = req.send(&addr).await;
        if case == "bad_signature" {
            assert!(message(&body).contains("Signature mismatch"), "{body}");
        } else {
            assert!(
                message(&body).contains("Nonce is too old"),
                "{case}: {body}"
            );
        }
        assert_eq!(status, 401, "{case}");
    }
    axon.shutdown().await;
}

trait HashForTest {
    fn body_hash_for_test(&self) -> String;
}
impl HashForTest for Echo {
    fn body_hash_for_test(&self) -> String {
        neuron::Synapse::body_hash(self).unwrap()
    }
}
