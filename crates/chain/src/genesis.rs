//! Genesis: the initial state. Dev accounts //Alice to //Ferdie funded (Alice is sudo), the
//! root network, a configurable set of subnets, and a parameter preset: the reference chain's
//! defaults or a fast local-development preset.

use parity_scale_codec::Encode;
use types::{AccountId, AlphaBalance, NetUid, RAO_PER_TAO, TaoBalance};

use crate::error::{ChainError, Result};
use crate::hotkeys;
use crate::hyperparams::Hyperparams;
use crate::params::Params;
use crate::state::{BlockEnv, State};
use crate::storage::{STORAGE_VERSION, Version};
use crate::store::{MemoryStore, StateStore};
use crate::transaction::{ChainId, SPEC_VERSION, blake2_256};
use crate::{balances, registration, staking, subnets};

/// A parameter preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// The reference chain's defaults (tempo 360, 1000 TAO lock, rate limits).
    Reference,
    /// Local development: tempo 10, 1 TAO lock, low burn, no rate-limit waits.
    Fast,
}

impl Preset {
    /// The parameters of this preset.
    pub fn params(self) -> Params {
        match self {
            Preset::Reference => Params::reference(),
            Preset::Fast => Params::fast(),
        }
    }
}

/// A subnet that exists at genesis.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GenesisSubnet {
    /// Its netuid (≥ 1).
    pub netuid: NetUid,
    /// Owner coldkey.
    pub owner: AccountId,
    /// Owner hotkey (uid 0).
    pub owner_hotkey: AccountId,
    /// TAO in its pool (minted at genesis).
    pub tao: TaoBalance,
    /// Alpha in its pool.
    pub alpha: AlphaBalance,
    /// Whether start_call already happened.
    pub started: bool,
    /// Hyperparameters (default: the preset's new-subnet ones).
    pub hyperparams: Option<Hyperparams>,
}

/// Everything genesis needs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GenesisConfig {
    /// Chain parameters (including the sudo key).
    pub params: Params,
    /// Funded accounts.
    pub balances: Vec<(AccountId, TaoBalance)>,
    /// Owner of the root network.
    pub root_owner: AccountId,
    /// Subnets besides root.
    pub subnets: Vec<GenesisSubnet>,
    /// Stakes at genesis (the TAO is minted and staked; root stakes make the hotkey a root
    /// validator). Root stake matters: it sets each subnet's root proportion, which caps
    /// alpha injection (chain.md §4.3).
    pub stakes: Vec<GenesisStake>,
}

/// A stake that exists at genesis.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GenesisStake {
    /// The staking coldkey (also the hotkey's owner if the hotkey is new).
    pub coldkey: AccountId,
    /// The hotkey.
    pub hotkey: AccountId,
    /// The subnet.
    pub netuid: NetUid,
    /// TAO staked.
    pub tao: TaoBalance,
}

/// The dev account names, in order.
pub const DEV_NAMES: [&str; 6] = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];

/// The dev account `//Name`.
pub fn dev_account(name: &str) -> Result<AccountId> {
    keys::Keypair::from_uri(&format!("//{name}"))
        .map(|k| k.account_id())
        .map_err(|e| ChainError::Corrupt(format!("dev key {name}: {e}")))
}

fn tao(whole: u64) -> TaoBalance {
    TaoBalance::from_rao(whole.saturating_mul(RAO_PER_TAO))
}

impl GenesisConfig {
    /// Dev genesis: Alice, Bob, Charlie with 1,000,000 TAO; Dave, Eve, Ferdie with 2,000 TAO;
    /// Alice is sudo and root owner; subnet 1 owned by Alice with a 10 TAO / 10 α pool
    /// (started in the fast preset).
    pub fn dev(preset: Preset) -> Result<Self> {
        let mut params = preset.params();
        let alice = dev_account("Alice")?;
        params.sudo = Some(alice);
        let mut balances = Vec::new();
        for (i, name) in DEV_NAMES.iter().enumerate() {
            let amount = if i < 3 { tao(1_000_000) } else { tao(2_000) };
            balances.push((dev_account(name)?, amount));
        }
        let subnet = GenesisSubnet {
            netuid: NetUid(1),
            owner: alice,
            owner_hotkey: dev_account("Alice//hot")?,
            tao: tao(10),
            alpha: AlphaBalance::from_rao(10u64.saturating_mul(RAO_PER_TAO)),
            started: preset == Preset::Fast,
            hyperparams: None,
        };
        let stakes = vec![GenesisStake {
            coldkey: alice,
            hotkey: subnet.owner_hotkey,
            netuid: NetUid::ROOT,
            tao: tao(10_000),
        }];
        Ok(Self {
            params,
            balances,
            root_owner: alice,
            subnets: vec![subnet],
            stakes,
        })
    }

    /// Writes the genesis state into `store` (which should be empty).
    pub fn build_into(&self, store: &mut dyn StateStore) -> Result<()> {
        let mut st = State::new(
            store,
            BlockEnv {
                number: 0,
                author: None,
            },
        );
        st.put::<Version>(&(), &STORAGE_VERSION)?;
        st.put_params(&self.params)?;
        for (who, amount) in &self.balances {
            balances::deposit(&mut st, who, *amount)?;
            balances::note_minted(&mut st, *amount)?;
        }
        subnets::create_root(&mut st, &self.root_owner)?;
        for g in &self.subnets {
            if g.netuid.is_root() || st.subnet_exists(g.netuid)? {
                return Err(ChainError::Corrupt(format!(
                    "genesis subnet {} duplicated or root",
                    g.netuid
                )));
            }
            balances::note_minted(&mut st, g.tao)?;
            let mut s = subnets::create_subnet(
                &mut st,
                g.netuid,
                &g.owner,
                &g.owner_hotkey,
                g.tao,
                g.alpha,
            )?;
            s.locked = g.tao;
            if let Some(hp) = &g.hyperparams {
                s.hp = hp.clone();
            }
            if g.started {
                s.first_emission_block = Some(1);
                s.subtoken_enabled = true;
            }
            st.put_subnet(&s)?;
        }
        for g in &self.stakes {
            balances::deposit(&mut st, &g.coldkey, g.tao)?;
            balances::note_minted(&mut st, g.tao)?;
            hotkeys::ensure_hotkey(&mut st, &g.coldkey, &g.hotkey)?;
            if g.netuid.is_root() && registration::uid_of(&st, NetUid::ROOT, &g.hotkey)?.is_none() {
                registration::append_neuron(&mut st, NetUid::ROOT, &g.hotkey)?;
            }
            // Genesis stakes may go into subnets that have not started yet.
            let mut s = st.subnet(g.netuid)?;
            let was = s.subtoken_enabled;
            s.subtoken_enabled = true;
            st.put_subnet(&s)?;
            staking::add_stake(&mut st, &g.coldkey, &g.hotkey, g.netuid, g.tao, None)?;
            let mut s = st.subnet(g.netuid)?;
            s.subtoken_enabled = was;
            st.put_subnet(&s)?;
        }
        Ok(())
    }

    /// The genesis state in memory.
    pub fn build(&self) -> Result<MemoryStore> {
        let mut store = MemoryStore::new();
        self.build_into(&mut store)?;
        Ok(store)
    }
}

/// A hash of a store's whole content (Blake2-256 over the SCALE list of entries); the node may
/// use its state root instead.
pub fn state_hash(store: &MemoryStore) -> [u8; 32] {
    let entries: Vec<(&Vec<u8>, &Vec<u8>)> = store.iter().collect();
    blake2_256(&entries.encode())
}

/// The chain id of a genesis store at this runtime's spec version.
pub fn chain_id(genesis: &MemoryStore) -> ChainId {
    ChainId {
        genesis_hash: state_hash(genesis),
        spec_version: SPEC_VERSION,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_configs_round_trip_through_json() {
        let g = GenesisConfig::dev(Preset::Reference).unwrap();
        let json = serde_json::to_string_pretty(&g).unwrap();
        let back: GenesisConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, g);
        assert_eq!(
            state_hash(&back.build().unwrap()),
            state_hash(&g.build().unwrap())
        );
    }

    #[test]
    fn dev_accounts_are_the_well_known_keys() {
        assert_eq!(
            dev_account("Alice").unwrap().to_string(),
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
        );
        assert_eq!(
            dev_account("Bob").unwrap().to_string(),
            "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
        );
    }

    #[test]
    fn dev_genesis_builds_deterministically() {
        let g = GenesisConfig::dev(Preset::Fast).unwrap();
        let a = g.build().unwrap();
        let b = g.build().unwrap();
        assert_eq!(state_hash(&a), state_hash(&b));
        let r = GenesisConfig::dev(Preset::Reference)
            .unwrap()
            .build()
            .unwrap();
        assert_ne!(state_hash(&a), state_hash(&r));
        let mut store = a.clone();
        let st = State::new(&mut store, BlockEnv::default());
        assert_eq!(st.get::<Version>(&()).unwrap(), Some(STORAGE_VERSION));
        assert_eq!(
            st.params().unwrap().sudo,
            Some(dev_account("Alice").unwrap())
        );
        let s1 = st.subnet(NetUid(1)).unwrap();
        assert!(s1.subtoken_enabled);
        assert_eq!(s1.pool.tao, tao(10));
        let t = st.totals().unwrap();
        assert_eq!(t.total_issuance, tao(3_000_000 + 6_000 + 10 + 10_000));
        let hot = dev_account("Alice//hot").unwrap();
        assert_eq!(
            crate::shares::hotkey_alpha(&st, &hot, NetUid::ROOT).unwrap(),
            AlphaBalance::from_rao(10_000 * RAO_PER_TAO)
        );
        assert_eq!(crate::invariants::check(&st).unwrap(), None);
    }
}
