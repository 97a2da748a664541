//! Stopping on request: [`Stop`] is set by Ctrl-C or SIGTERM ([`Stop::on_signals`]), or by the
//! caller ([`Stop::manual`]); long waits check it and end early with
//! [`DevnetError::Interrupted`].

use std::time::Duration;

use tokio::sync::watch;

use crate::error::{DevnetError, Result};

/// Whether stopping was asked for; clones share it.
#[derive(Debug, Clone)]
pub struct Stop(watch::Receiver<bool>);

/// Asks a [`Stop`] to stop.
#[derive(Debug)]
pub struct StopHandle(watch::Sender<bool>);

impl StopHandle {
    /// Asks every clone of the [`Stop`] to stop.
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

impl Stop {
    /// Set by Ctrl-C or SIGTERM; needs a tokio runtime (it spawns the listener on it).
    pub fn on_signals(rt: &tokio::runtime::Handle) -> Self {
        let (tx, rx) = watch::channel(false);
        rt.spawn(async move {
            node::launch::wait_for_stop().await;
            let _ = tx.send(true);
        });
        Stop(rx)
    }

    /// Set by the returned handle (tests, embedding).
    pub fn manual() -> (Self, StopHandle) {
        let (tx, rx) = watch::channel(false);
        (Stop(rx), StopHandle(tx))
    }

    /// Whether stopping was asked for.
    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// [`DevnetError::Interrupted`] once stopping was asked for.
    pub fn check(&self) -> Result {
        if self.requested() {
            Err(DevnetError::Interrupted)
        } else {
            Ok(())
        }
    }

    /// Sleeps, waking early (with an error) when stopping is asked for.
    pub async fn sleep(&mut self, d: Duration) -> Result {
        let asked = async {
            // A dropped handle can no longer ask: then only the sleep ends this.
            if self.0.wait_for(|v| *v).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(d) => self.check(),
            _ = asked => Err(DevnetError::Interrupted),
        }
    }
}

/// Blocks this thread until Ctrl-C or SIGTERM.
pub fn block_until_signal() -> Result {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(DevnetError::Runtime)?;
    runtime.block_on(node::launch::wait_for_stop());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_ends_sleeps_and_a_dropped_handle_does_not() {
        let (mut stop, handle) = Stop::manual();
        assert!(stop.sleep(Duration::from_millis(1)).await.is_ok());
        handle.stop();
        assert!(matches!(
            stop.sleep(Duration::from_secs(60)).await,
            Err(DevnetError::Interrupted)
        ));
        assert!(stop.check().is_err());

        let (mut stop, handle) = Stop::manual();
        drop(handle);
        assert!(stop.sleep(Duration::from_millis(1)).await.is_ok());
    }
}
