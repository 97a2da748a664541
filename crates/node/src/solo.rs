//! A network of one: p2p channels for a single authority, which has nobody to talk to.
//!
//! Consensus handles its own votes locally, so a single authority needs channels that accept
//! sends (to no one) and never receive. This avoids opening sockets for `--dev`.

use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use commonware_actor::{Feedback, Unreliable};
use commonware_cryptography::PublicKey;
use commonware_p2p::{
    BlockedSubscription, CheckedSender, LimitedSender, Message, PeerSetSubscription, PeerSetUpdate,
    Provider, Receiver, Recipients, TrackedPeers,
};
use commonware_runtime::IoBufs;
use commonware_utils::NZUsize;
use commonware_utils::channel::{mpsc, ring};
use commonware_utils::ordered::Set;

/// Sends to nobody.
#[derive(Debug, Clone)]
pub struct SoloSender<P>(std::marker::PhantomData<P>);

impl<P> Default for SoloSender<P> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

/// A checked send to nobody.
#[derive(Debug)]
pub struct SoloChecked<P>(std::marker::PhantomData<P>);

impl<P: PublicKey> CheckedSender for SoloChecked<P> {
    type PublicKey = P;

    fn recipients(&self) -> Vec<P> {
        Vec::new()
    }

    fn send(self, _message: impl Into<IoBufs> + Send, _priority: bool) -> Unreliable<Feedback> {
        Unreliable::new(Feedback::Ok)
    }
}

impl<P: PublicKey> LimitedSender for SoloSender<P> {
    type PublicKey = P;
    type Checked<'a> = SoloChecked<P>;

    fn check(&mut self, _recipients: Recipients<P>) -> Result<SoloChecked<P>, SystemTime> {
        Ok(SoloChecked(std::marker::PhantomData))
    }
}

/// Never receives.
#[derive(Debug)]
pub struct SoloReceiver<P>(std::marker::PhantomData<P>);

impl<P> Default for SoloReceiver<P> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<P: PublicKey> Receiver for SoloReceiver<P> {
    type Error = Infallible;
    type PublicKey = P;

    async fn recv(&mut self) -> Result<Message<P>, Infallible> {
        futures::future::pending().await
    }

    fn capacity(&self) -> NonZeroUsize {
        NZUsize!(1024)
    }
}

/// A (sender, receiver) pair of the network of one.
pub fn channel<P: PublicKey>() -> (SoloSender<P>, SoloReceiver<P>) {
    (SoloSender::default(), SoloReceiver::default())
}

/// The peer set (just this node) and a blocker that blocks nobody.
#[derive(Clone)]
pub struct SoloPeers<P: PublicKey> {
    me: P,
    // Subscription senders are kept so subscriptions stay open for the node's life.
    keep: Arc<Mutex<Vec<Box<dyn std::any::Any + Send>>>>,
}

impl<P: PublicKey> std::fmt::Debug for SoloPeers<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoloPeers").finish_non_exhaustive()
    }
}

impl<P: PublicKey> SoloPeers<P> {
    /// The peer set of `me` alone.
    pub fn new(me: P) -> Self {
        Self {
            me,
            keep: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn peers(&self) -> TrackedPeers<P> {
        TrackedPeers::primary(Set::from_iter_dedup([self.me.clone()]))
    }

    fn keep(&self, v: impl std::any::Any + Send) {
        self.keep
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(v));
    }
}

impl<P: PublicKey> Provider for SoloPeers<P> {
    type PublicKey = P;

    async fn peer_set(&mut self, _id: u64) -> Option<TrackedPeers<P>> {
        Some(self.peers())
    }

    async fn subscribe(&mut self) -> PeerSetSubscription<P> {
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = tx.send(PeerSetUpdate {
            index: 0,
            latest: self.peers(),
            all: self.peers(),
        });
        self.keep(tx);
        rx
    }
}

impl<P: PublicKey> commonware_p2p::Blocker for SoloPeers<P> {
    type PublicKey = P;

    fn block(&mut self, _peer: P) -> Feedback {
        Feedback::Ok
    }

    fn blocked(&mut self) -> BlockedSubscription<P> {
        let (tx, rx) = ring::channel(NZUsize!(1));
        self.keep(tx);
        rx
    }
}
