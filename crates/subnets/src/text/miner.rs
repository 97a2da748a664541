//! The miner side: answer [`TextGeneration`] and [`TextGenerationStream`] with a [`Backend`].

use std::sync::Arc;

use axum::body::Bytes;
use futures::StreamExt as _;
use neuron::{Axon, ForwardError, RouteOptions};

use crate::text::backend::Backend;
use crate::text::synapse::{TextGeneration, TextGenerationStream};

/// Attach both text synapses to `axon`, answered by `backend`. A streamed request whose
/// backend fails ends its stream at the failure (the status line has already gone out); an
/// empty stream therefore means "no answer".
pub fn attach(axon: Axon, backend: Arc<dyn Backend>) -> Axon {
    let b = backend.clone();
    axon.attach(move |mut s: TextGeneration| {
        let b = b.clone();
        async move {
            let c = b.complete(s.request()).await?;
            s.completion = Some(c.text);
            s.finish_reason = Some(c.finish_reason);
            s.prompt_tokens = Some(c.prompt_tokens);
            s.completion_tokens = Some(c.completion_tokens);
            Ok::<_, ForwardError>(s)
        }
    })
    .attach_stream(
        move |s: TextGenerationStream, _caller: neuron::Caller| {
            backend
                .clone()
                .complete_stream(s.request())
                .take_while(|r| {
                    if let Err(e) = r {
                        tracing::warn!(error = %e, "stream backend failed");
                    }
                    futures::future::ready(r.is_ok())
                })
                .filter_map(|r| futures::future::ready(r.ok().map(Bytes::from)))
        },
        RouteOptions::new(),
    )
}
