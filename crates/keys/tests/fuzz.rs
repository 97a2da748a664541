//! Property tests: untrusted input (URIs, signatures) never panics, and round trips hold for
//! arbitrary keys. The keyfile properties are in `rustensor-wallet`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keys::{Keypair, verify};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_uris_never_panic(s in "[a-z0-9 /x]{0,40}") {
        let _ = Keypair::from_uri(&s);
        let _ = keys::SecretUri::parse(&s);
    }

    #[test]
    fn random_signatures_never_panic(
        pk in prop::array::uniform32(any::<u8>()),
        sig in prop::collection::vec(any::<u8>(), 64),
        msg in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let sig: [u8; 64] = sig.try_into().unwrap();
        let _ = verify(&pk, &msg, &sig);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_seed_round_trips_through_the_private_key(seed in prop::array::uniform32(any::<u8>())) {
        let p = Keypair::from_seed(&seed).unwrap();
        prop_assert_eq!(p.mini_secret(), Some(&seed));
        let sk = Keypair::from_private_key(&p.private_key()).unwrap();
        prop_assert_eq!(&sk, &p);
        let sig = p.sign(b"m");
        prop_assert!(verify(&sk.public_key(), b"m", &sig));
    }
}
