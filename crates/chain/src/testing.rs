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
            stakes: vec![],
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
        self.add_subnet_with_owner_hotkey(netuid, &acct(101), tao, alpha);
    }

    /// Adds a started subnet owned by acct(100) with the given owner hotkey (uid 0).
    pub fn add_subnet_with_owner_hotkey(
        &mut self,
        netuid: NetUid,
        owner_hotkey: &AccountId,
        tao: u64,
        alpha: u64,
    ) {
        self.with(|st| {
            balances::note_minted(st, TaoBalance::from_rao(tao))?;
            let mut s = subnets::create_subnet(
                st,
                netuid,
                &acct(100),
                owner_hotkey,
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
        self.read(|st| st.account(who)).free.rao()
    }

    pub fn totals(&self) -> Totals {
        self.read(|st| st.totals())
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
        if let Some(msg) = self.read(invariants::check) {
            panic!("{msg}");
        }
    }

    /// Reads through the state.
    pub fn read<T>(&self, f: impl FnOnce(&State<'_>) -> Result<T>) -> T {
        let mut overlay = Overlay::new(&self.store);
        let st = State::new(&mut overlay, self.env());
        f(&st).unwrap()
    }
}

/// A single-node block producer over a memory store: sign calls, produce blocks.
pub struct Sim {
    pub store: MemoryStore,
    pub chain: crate::transaction::ChainId,
    pub block: u64,
    pub author: AccountId,
    pending: Vec<crate::transaction::Transaction>,
    next_nonce: std::collections::BTreeMap<AccountId, u64>,
}

impl Sim {
    /// Starts from `genesis`; blocks are authored by acct(250).
    pub fn new(genesis: &crate::genesis::GenesisConfig) -> Self {
        let store = genesis.build().unwrap();
        let chain = crate::genesis::chain_id(&store);
        Self {
            store,
            chain,
            block: 0,
            author: acct(250),
            pending: Vec::new(),
            next_nonce: Default::default(),
        }
    }

    /// Signs `call` with the signer's next nonce and queues it for the next block.
    pub fn submit(&mut self, who: &keys::Keypair, call: crate::call::Call) {
        let id = who.account_id();
        let nonce = match self.next_nonce.get(&id) {
            Some(n) => *n,
            None => self.read(|st| Ok(st.account(&id)?.nonce)),
        };
        self.next_nonce.insert(id, nonce + 1);
        let tx =
            crate::transaction::Transaction::sign(who, nonce, TaoBalance::ZERO, call, &self.chain);
        self.pending.push(tx);
    }

    /// Applies the next block with the queued transactions and commits it.
    pub fn produce_block(&mut self) -> crate::runtime::BlockOutcome {
        self.block += 1;
        let env = BlockEnv {
            number: self.block,
            author: Some(self.author),
        };
        let txs = std::mem::take(&mut self.pending);
        let out = crate::runtime::apply_block(&self.store, &self.chain, &env, &txs).unwrap();
        out.changes.clone().apply_to(&mut self.store).unwrap();
        // Resync nonces with the state (invalid transactions did not use theirs).
        self.next_nonce.clear();
        out
    }

    /// Produces `n` empty blocks.
    pub fn run_blocks(&mut self, n: u64) {
        for _ in 0..n {
            self.produce_block();
        }
    }

    /// Reads through the state.
    pub fn read<T>(&self, f: impl FnOnce(&State<'_>) -> Result<T>) -> T {
        let mut overlay = Overlay::new(&self.store);
        let st = State::new(
            &mut overlay,
            BlockEnv {
                number: self.block,
                author: Some(self.author),
            },
        );
        f(&st).unwrap()
    }
}
