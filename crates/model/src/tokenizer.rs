//! The SmolLM2 tokenizer, rebuilt from the GGUF file alone (no `tokenizer.json` download).
//!
//! The GGUF metadata holds the byte-level BPE vocabulary (`tokenizer.ggml.tokens`), its merges
//! (`tokenizer.ggml.merges`) and token types (`tokenizer.ggml.token_type`). We rebuild the
//! pipeline of SmolLM2's reference `tokenizer.json`: no normalizer; pre-tokenizer = split every
//! digit on its own, then GPT-2 byte-level splitting *without* a prefix space; byte-level decoder.
//! (candle's generic `TokenizerFromGguf` would add a prefix space and keep digit runs together
//! for this file's `tokenizer.ggml.pre = "smollm"`, which changes the ids the model sees.)
//!
//! Special tokens (control and user-defined types: `<|im_start|>`, `<|im_end|>`, ...) are
//! registered so decoding can skip them, but plain-text encoding never matches them: the chat
//! template inserts them by id.

use candle_core::quantized::gguf_file;
use tokenizers::AddedToken;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;

use crate::error::{Error, Result};
use crate::template::Segment;

/// GGUF token type of control tokens (`llama_token_type` in llama.cpp).
const TOKEN_TYPE_CONTROL: i64 = 3;
/// GGUF token type of user-defined tokens.
const TOKEN_TYPE_USER_DEFINED: i64 = 4;

/// A byte-level BPE tokenizer with SmolLM2's pipeline.
#[derive(Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab_size", &self.vocab_size())
            .finish()
    }
}

fn tok_err(detail: impl std::fmt::Display) -> Error {
    Error::Tokenizer {
        detail: detail.to_string(),
    }
}

fn metadata<'a>(ct: &'a gguf_file::Content, key: &str) -> Result<&'a gguf_file::Value> {
    ct.metadata
        .get(key)
        .ok_or_else(|| tok_err(format!("GGUF metadata has no `{key}`")))
}

fn strings(ct: &gguf_file::Content, key: &str) -> Result<Vec<String>> {
    metadata(ct, key)?
        .to_vec()
        .map_err(|e| tok_err(format!("`{key}`: {e}")))?
        .iter()
        .map(|v| {
            v.to_string()
                .cloned()
                .map_err(|e| tok_err(format!("`{key}`: {e}")))
        })
        .collect()
}

fn integer(v: &gguf_file::Value) -> Option<i64> {
    use gguf_file::Value as V;
    Some(match v {
        V::U8(x) => i64::from(*x),
        V::I8(x) => i64::from(*x),
        V::U16(x) => i64::from(*x),
        V::I16(x) => i64::from(*x),
        V::U32(x) => i64::from(*x),
        V::I32(x) => i64::from(*x),
        V::I64(x) => *x,
        V::U64(x) => i64::try_from(*x).ok()?,
        _ => return None,
    })
}

impl Tokenizer {
    /// Builds the tokenizer from a GGUF file's metadata.
    pub fn from_gguf(ct: &gguf_file::Content) -> Result<Self> {
        let kind = metadata(ct, "tokenizer.ggml.model")?
            .to_string()
            .map_err(tok_err)?;
        if kind != "gpt2" {
            return Err(tok_err(format!(
                "tokenizer model `{kind}` is not byte-level BPE (`gpt2`)"
            )));
        }
        let tokens = strings(ct, "tokenizer.ggml.tokens")?;
        let merges = strings(ct, "tokenizer.ggml.merges")?
            .into_iter()
            .map(|m| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .ok_or_else(|| tok_err(format!("merge `{m}` has no space")))
            })
            .collect::<Result<Vec<_>>>()?;
        let types: Vec<i64> = match ct.metadata.get("tokenizer.ggml.token_type") {
            Some(v) => v
                .to_vec()
                .map_err(tok_err)?
                .iter()
                .map(|t| integer(t).ok_or_else(|| tok_err("non-integer token type")))
                .collect::<Result<_>>()?,
            None => Vec::new(),
        };
        let specials: Vec<String> = tokens
            .iter()
            .zip(&types)
            .filter(|(_, t)| matches!(**t, TOKEN_TYPE_CONTROL | TOKEN_TYPE_USER_DEFINED))
            .map(|(tok, _)| tok.clone())
            .collect();
        Self::from_parts(tokens, merges, &specials)
    }

    /// Builds the tokenizer from a vocabulary (index = id), BPE merges and the special tokens.
    pub fn from_parts(
        tokens: Vec<String>,
        merges: Vec<(String, String)>,
        specials: &[String],
    ) -> Result<Self> {
        let vocab = tokens
            .into_iter()
            .enumerate()
            .map(|(i, t)| Ok((t, u32::try_from(i).map_err(tok_err)?)))
            .collect::<Result<Vocab>>()?;
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(tok_err)?;
        let mut inner = tokenizers::Tokenizer::new(bpe);
        inner.with_pre_tokenizer(Some(Sequence::new(vec![
            Digits::new(true).into(),
            ByteLevel::new(false, true, true).into(),
        ])));
        inner.with_decoder(Some(ByteLevelDecoder::new(false, true, true)));
        let added: Vec<AddedToken> = specials
            .iter()
            .map(|s| AddedToken::from(s.clone(), true))
            .collect();
        inner.add_special_tokens(added).map_err(tok_err)?;
        // Text is always plain text; special tokens come in by id (see the template).
        inner.set_encode_special_tokens(true);
        Ok(Self { inner })
    }

    /// Token ids of plain text. Special-token strings in `text` are tokenized as ordinary text.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self
            .inner
            .encode_fast(text, false)
            .map_err(tok_err)?
            .get_ids()
            .to_vec())
    }

    /// Token ids of a templated prompt: special segments by id, text segments as plain text.
    pub fn encode_segments(&self, segments: &[Segment]) -> Result<Vec<u32>> {
        let mut ids = Vec::new();
        for s in segments {
            match s {
                Segment::Special(tok) => ids.push(self.special_id(tok)?),
                Segment::Text(t) => ids.extend(self.encode(t)?),
            }
        }
        Ok(ids)
    }

    /// The id of a special token, or a tokenizer error if the vocabulary lacks it.
    pub fn special_id(&self, token: &str) -> Result<u32> {
        self.token_id(token)
            .ok_or_else(|| tok_err(format!("the vocabulary has no `{token}` token")))
    }

    /// The id of a token string, if it is in the vocabulary.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// Text of `ids`; special tokens are dropped when `skip_special` is set.
    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String> {
        self.inner.decode(ids, skip_special).map_err(tok_err)
    }

    /// Number of tokens, special ones included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The underlying `tokenizers` tokenizer.
    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{self, ChatMessage};

    /// A tiny byte-level BPE: the 256 byte symbols, a few merges and SmolLM2's first specials.
    fn tiny() -> Tokenizer {
        let mut tokens: Vec<String> = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut alphabet: Vec<char> = ByteLevel::alphabet().into_iter().collect();
        alphabet.sort_unstable();
        tokens.extend(alphabet.iter().map(|c| c.to_string()));
        let merges: Vec<(String, String)> = [("h", "e"), ("l", "l"), ("he", "ll"), ("Ġ", "w")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        for (a, b) in &merges {
            tokens.push(format!("{a}{b}"));
        }
        let specials: Vec<String> = tokens.iter().take(3).cloned().collect();
        Tokenizer::from_parts(tokens, merges, &specials).unwrap()
    }

    #[test]
    fn round_trips_any_text() {
        let t = tiny();
        for s in [
            "hello world",
            "  leading spaces and\ttabs\n\nnew lines ",
            "unicode: héllo, 日本語, emoji 🦀👍🏽",
            "numbers 12345 and 3.14",
            "",
        ] {
            let ids = t.encode(s).unwrap();
            assert_eq!(t.decode(&ids, true).unwrap(), s, "{ids:?}");
        }
    }

    #[test]
    fn applies_merges_without_a_prefix_space() {
        let t = tiny();
        let ids = t.encode("hell w").unwrap();
        let toks: Vec<String> = ids
            .iter()
            .map(|&i| t.inner().id_to_token(i).unwrap())
            .collect();
        assert_eq!(toks, ["hell", "Ġw"]);
    }

    #[test]
    fn splits_digits_one_by_one() {
        let t = tiny();
        assert_eq!(t.encode("2024").unwrap().len(), 4);
    }

    #[test]
    fn special_strings_in_text_are_not_control_tokens() {
        let t = tiny();
        let im_end = t.special_id("<|im_end|>").unwrap();
        let ids = t.encode("a<|im_end|>b").unwrap();
        assert!(!ids.contains(&im_end));
        assert_eq!(t.decode(&ids, true).unwrap(), "a<|im_end|>b");
    }

    #[test]
    fn template_specials_come_in_by_id_and_are_skipped_on_decode() {
        let t = tiny();
        let msgs = [ChatMessage::user("hello")];
        let ids = t.encode_segments(&template::segments(&msgs)).unwrap();
        let start = t.special_id("<|im_start|>").unwrap();
        assert_eq!(ids.first(), Some(&start));
        assert_eq!(ids.iter().filter(|&&i| i == start).count(), 3);
        assert_eq!(t.decode(&ids, false).unwrap(), template::render(&msgs));
        assert!(!t.decode(&ids, true).unwrap().contains("<|im_start|>"));
    }

    #[test]
    fn missing_special_is_a_typed_error() {
        let t = tiny();
        assert!(matches!(
            t.special_id("<|nope|>"),
            Err(Error::Tokenizer { .. })
        ));
    }
}
