//! Test helpers (unit tests, integration tests, benches): a small chain over a memory store
//! with accounts `acct(n)`, sudo `acct(0)`, and a started subnet `NET` when asked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use types::{AccountId, AlphaBalance, NetUid, TaoBalance};

use crate::error::Result;
use crate::hyperparams::HyperparamValue;
use crate::params::{GlobalParam, Params};
use crate::schema::Totals;
use crate::state::{BlockEnv, State};
use crate::store::{MemoryStore, Overlay};
use crate::{balances, coinbase, hyperparams, invariants, params, subnets};

/// The subnet `with_subnet` creates.
pub const NET: NetUid = NetUid(1);

/// A test account: 32 copies of `n`.
pub fn acct(n: u8) -> AccountId {
    AccountId::new([n; 32])
}

/// A chain in memory.
pub struct TestChain {
    pub store: MemoryStore,
    pub block: u64,
    pub author: Option<AccountId>,
}

impl Default for TestChain {
    fn default() -> Self {
        Self::new()
    }
}

impl TestChain {
    /// Reference parameters, sudo acct(0), only the root network.
    pub fn new() -> Self {
        Self::with_params(Params::reference())
    }

    /// Given parameters (sudo is set to acct(0)).
    pub fn with_params(mut p: Params) -> Self {
        p.sudo = Some(acct(0));
        let g = crate::genesis::GenesisConfig {
            params: p,
            balances: vec![],
            root_owner: acct(0),
            subnets: vec![],
        };
        Self {
            store: g.build().unwrap(),
            block: 0,
            author: Some(acct(250)),
        }
    }

    /// `new()` plus a started subnet `NET` with the given pool (owner acct(100), hotkey acct(101)).
    pub fn with_subnet(tao: u64, alpha: u64) -> Self {
        let mut t = Self::new();
        t.add_subnet(NET, tao, alpha);
        t
    }

    /// Adds a started subnet owned by acct(100) with owner hotkey acct(101).
    pub fn add_subnet(&mut self, netuid: NetUid, tao: u64, alpha: u64) {
        self.with(|st| {
            balances::note_minted(st, TaoBalance::from_rao(tao))?;
            let mut s = subnets::create_subnet(
                st,
                netuid,
                &acct(100),
                &acct(101),
                TaoBalance::from_rao(tao),
                AlphaBalance::from_rao(alpha),
            )?;
            s.subtoken_enabled = true;
            s.first_emission_block = Some(st.block().saturating_add(1));
            s.emission_enabled = true;
            st.put_subnet(&s)
        })
        .unwrap();
    }

    pub fn env(&self) -> BlockEnv {
        BlockEnv {
            number: self.block,
            author: self.author,
        }
    }

    /// Runs `f` on the state; its changes are kept only if it succeeds.
    pub fn with<T>(&mut self, f: impl FnOnce(&mut State<'_>) -> Result<T>) -> Result<T> {
        let env = self.env();
        let mut overlay = Overlay::new(&self.store);
        let out = {
            let mut st = State::new(&mut overlay, env);
            f(&mut st)?
        };
        let changes = overlay.into_changes();
        changes.apply_to(&mut self.store)?;
        Ok(out)
    }

    /// Mints `rao` to `who`.
    pub fn fund(&mut self, who: &AccountId, rao: u64) {
        self.with(|st| {
            balances::deposit(st, who, TaoBalance::from_rao(rao))?;
            balances::note_minted(st, TaoBalance::from_rao(rao))
        })
        .unwrap();
    }

    pub fn free(&self, who: &AccountId) -> u64 {
        let mut store = self.store.clone();
        State::new(&mut store, self.env())
            .account(who)
            .unwrap()
            .free
            .rao()
    }

    pub fn totals(&self) -> Totals {
        let mut store = self.store.clone();
        State::new(&mut store, self.env()).totals().unwrap()
    }

    pub fn set_block(&mut self, n: u64) {
        self.block = n;
    }

    pub fn sudo(&mut self, p: GlobalParam) {
        self.with(|st| params::sudo_set_global(st, &acct(0), p))
            .unwrap();
    }

    pub fn set_hparam(&mut self, netuid: NetUid, v: HyperparamValue) {
        self.with(|st| hyperparams::set_hyperparameter(st, &acct(0), netuid, v))
            .unwrap();
    }

    /// Advances a subnet's epoch counter without running an epoch.
    pub fn bump_epoch(&mut self, netuid: NetUid) {
        self.with(|st| {
            let mut s = st.subnet(netuid)?;
            s.epoch_index += 1;
            st.put_subnet(&s)
        })
        .unwrap();
    }

    /// Runs the block hook for the next `n` blocks.
    pub fn run_blocks(&mut self, n: u64) {
        for _ in 0..n {
            self.block += 1;
            self.with(coinbase::on_initialize).unwrap();
        }
    }

    /// Panics if an accounting invariant is broken.
    pub fn assert_conservation(&self) {
        let mut store = self.store.clone();
        let st = State::new(&mut store, self.env());
        if let Some(msg) = invariants::check(&st).unwrap() {
            panic!("{msg}");
        }
    }

    /// Reads through the state.
    pub fn read<T>(&self, f: impl FnOnce(&State<'_>) -> Result<T>) -> T {
        let mut store: MemoryStore = self.store.clone();
        let st = State::new(&mut store, self.env());
        f(&st).unwrap()
    }
}
