//! The Synapse body hash, and Python's `str()` of serde values that it is built on.
//!
//! Python computes `sha3_256(concat_i sha3_256_hex(str(model_dump()[field_i])))` over the
//! synapse's `required_hash_fields`. To get the same bytes, [`py_str`] renders any
//! `Serialize` value the way CPython's `str()` renders the equivalent `model_dump()` value:
//! `21`, `hello` (top level) / `'hello'` (nested), `[1, 2, 3]`, `{'a': 1}`, `True`, `None`,
//! float `repr` (`0.1`, `1e-05`, `1e+16`), tuples `(1,)`, bytes `b'..'`.
//!
//! Checked against CPython on random values in `tests/python_interop.rs`.
//!
//! Non-ASCII: `repr()` escapes every code point that CPython's `str.isprintable()` rejects; the
//! table in `py_printable` comes from CPython 3.11 (Unicode 14.0).

use std::fmt::Write as _;

use serde::Serialize;
use serde::ser::{self, Impossible};
use sha3::{Digest as _, Sha3_256};

/// SHA3-256 of the empty string: the body hash of a synapse without required hash fields.
pub const EMPTY_BODY_HASH: &str =
    "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a";

/// Why a value could not be rendered or hashed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum BodyHashError {
    /// A serde `Serialize` impl reported an error.
    #[error("cannot render value as Python str(): {0}")]
    Custom(String),
    /// The synapse did not serialize as a struct or map, so it has no named fields.
    #[error("a synapse must serialize as a struct or a map, got {0}")]
    NotAStruct(&'static str),
    /// A required hash field is not among the serialized fields.
    #[error("required hash field `{0}` is not a field of the synapse")]
    MissingField(String),
}

impl ser::Error for BodyHashError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        BodyHashError::Custom(msg.to_string())
    }
}

/// Hex SHA3-256 of `data`.
pub fn sha3_hex(data: &[u8]) -> String {
    hex::encode(Sha3_256::digest(data))
}

/// The body hash of `synapse` over `fields`, in that order, as Python's `Synapse.body_hash`.
pub fn body_hash<T: Serialize + ?Sized>(
    synapse: &T,
    fields: &[&str],
) -> Result<String, BodyHashError> {
    let strings = field_strings(synapse, fields)?;
    let mut concat = String::with_capacity(64 * strings.len());
    for s in &strings {
        concat.push_str(&sha3_hex(s.as_bytes()));
    }
    Ok(sha3_hex(concat.as_bytes()))
}

/// Python `str()` of each named top-level field of `synapse`, in the order of `fields`.
pub fn field_strings<T: Serialize + ?Sized>(
    synapse: &T,
    fields: &[&str],
) -> Result<Vec<String>, BodyHashError> {
    let mut found: Vec<Option<String>> = vec![None; fields.len()];
    synapse.serialize(FieldCollector {
        fields,
        found: &mut found,
    })?;
    fields
        .iter()
        .zip(found)
        .map(|(name, v)| v.ok_or_else(|| BodyHashError::MissingField((*name).to_string())))
        .collect()
}

/// Python `str(value)` for the `model_dump()` equivalent of `value`.
pub fn py_str<T: Serialize + ?Sized>(value: &T) -> Result<String, BodyHashError> {
    let mut out = String::new();
    value.serialize(PyStr {
        out: &mut out,
        top: true,
    })?;
    Ok(out)
}

/// Python `repr()` of a float (shortest round-trip digits, CPython's switch to exponent form).
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format_sci(&shortest_half_even(&format!("{x:e}"), |p| {
        format!("{x:.p$e}")
    }))
}

/// Rust's `{:e}` gives the shortest round-trip digits but breaks a tie between two equally
/// close candidates upwards; CPython's `repr` (David Gay's dtoa) rounds the exact value half
/// to even (1268740937678837.25 → `…837.2`, not `…837.3`). Re-round the exact value to the
/// same number of significant digits; `{:.N e}` rounds exact ties to even.
fn shortest_half_even(short: &str, exact: impl Fn(usize) -> String) -> String {
    let mant = short.split_once('e').map_or(short, |(m, _)| m);
    let n = mant.chars().filter(char::is_ascii_digit).count();
    exact(n.saturating_sub(1))
}

fn py_f32_repr(x: f32) -> String {
    // serde_json writes an f32 with its own shortest digits; Python parses those as a double
    // and prints them back unchanged, so use the f32 digits rather than the widened f64.
    if x.is_nan() || x.is_infinite() {
        return py_float_repr(f64::from(x));
    }
    format_sci(&shortest_half_even(&format!("{x:e}"), |p| {
        format!("{x:.p$e}")
    }))
}

/// Turn Rust's shortest `{:e}` form (`-1.2345e-5`) into CPython's `repr`.
fn format_sci(sci: &str) -> String {
    let (neg, rest) = match sci.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, sci),
    };
    let (mant, exp) = rest.split_once('e').unwrap_or((rest, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = if digits.is_empty() {
        "0".to_string()
    } else {
        digits
    };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        let n = i32::try_from(digits.len()).unwrap_or(i32::MAX);
        let decpt = exp.saturating_add(1);
        if decpt <= 0 {
            out.push_str("0.");
            for _ in 0..decpt.unsigned_abs() {
                out.push('0');
            }
            out.push_str(&digits);
        } else if decpt >= n {
            out.push_str(&digits);
            for _ in 0..(decpt.saturating_sub(n)) {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            let (a, b) = digits.split_at(usize::try_from(decpt).unwrap_or(0));
            out.push_str(a);
            out.push('.');
            out.push_str(b);
        }
    } else {
        let (first, tail) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !tail.is_empty() {
            out.push('.');
            out.push_str(tail);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    }
    out
}

/// Python `repr()` of a `str`.
pub fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len().saturating_add(2));
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if crate::py_printable::is_printable(c) => out.push(c),
            c => {
                let u = u32::from(c);
                let _ = if u < 0x100 {
                    write!(out, "\\x{u:02x}")
                } else if u < 0x10000 {
                    write!(out, "\\u{u:04x}")
                } else {
                    write!(out, "\\U{u:08x}")
                };
            }
        }
    }
    out.push(quote);
    out
}

/// Python `repr()` of `bytes`.
fn py_bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::from("b");
    out.push(char::from(quote));
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(char::from(c));
            }
            0x20..=0x7e => out.push(char::from(c)),
            c => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push(char::from(quote));
    out
}

/// Collects `py_str` of selected top-level fields of a struct or map.
struct FieldCollector<'a> {
    fields: &'a [&'a str],
    found: &'a mut Vec<Option<String>>,
}

impl FieldCollector<'_> {
    fn record<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), BodyHashError> {
        for (i, f) in self.fields.iter().enumerate() {
            if *f == key
                && let Some(slot) = self.found.get_mut(i)
            {
                *slot = Some(py_str(value)?);
            }
        }
        Ok(())
    }
}

macro_rules! not_struct {
    ($($name:ident($($arg:ty),*) => $what:literal;)*) => {
        $(fn $name(self, $(_: $arg),*) -> Result<(), BodyHashError> {
            Err(BodyHashError::NotAStruct($what))
        })*
    };
}

impl<'a> ser::Serializer for FieldCollector<'a> {
    type Ok = ();
    type Error = BodyHashError;
    type SerializeSeq = Impossible<(), BodyHashError>;
    type SerializeTuple = Impossible<(), BodyHashError>;
    type SerializeTupleStruct = Impossible<(), BodyHashError>;
    type SerializeTupleVariant = Impossible<(), BodyHashError>;
    type SerializeMap = FieldMap<'a>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), BodyHashError>;

    not_struct! {
        serialize_bool(bool) => "a bool";
        serialize_i8(i8) => "an integer";
        serialize_i16(i16) => "an integer";
        serialize_i32(i32) => "an integer";
        serialize_i64(i64) => "an integer";
        serialize_u8(u8) => "an integer";
        serialize_u16(u16) => "an integer";
        serialize_u32(u32) => "an integer";
        serialize_u64(u64) => "an integer";
        serialize_f32(f32) => "a float";
        serialize_f64(f64) => "a float";
        serialize_char(char) => "a char";
        serialize_str(&str) => "a string";
        serialize_bytes(&[u8]) => "bytes";
        serialize_none() => "None";
        serialize_unit() => "unit";
        serialize_unit_struct(&'static str) => "a unit struct";
        serialize_unit_variant(&'static str, u32, &'static str) => "an enum";
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), BodyHashError> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), BodyHashError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), BodyHashError> {
        Err(BodyHashError::NotAStruct("an enum"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, BodyHashError> {
        Err(BodyHashError::NotAStruct("a sequence"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, BodyHashError> {
        Err(BodyHashError::NotAStruct("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, BodyHashError> {
        Err(BodyHashError::NotAStruct("a tuple struct"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, BodyHashError> {
        Err(BodyHashError::NotAStruct("an enum"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, BodyHashError> {
        Ok(FieldMap {
            inner: self,
            key: None,
        })
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, BodyHashError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, BodyHashError> {
        Err(BodyHashError::NotAStruct("an enum"))
    }
}

impl ser::SerializeStruct for FieldCollector<'_> {
    type Ok = ();
    type Error = BodyHashError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), BodyHashError> {
        self.record(key, value)
    }
    fn end(self) -> Result<(), BodyHashError> {
        Ok(())
    }
}

/// Map form of [`FieldCollector`] (used by serde for `#[serde(flatten)]`).
struct FieldMap<'a> {
    inner: FieldCollector<'a>,
    key: Option<String>,
}

impl ser::SerializeMap for FieldMap<'_> {
    type Ok = ();
    type Error = BodyHashError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), BodyHashError> {
        self.key = Some(py_str(key)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), BodyHashError> {
        match self.key.take() {
            Some(k) => self.inner.record(&k, value),
            None => Err(BodyHashError::Custom("map value without a key".into())),
        }
    }
    fn end(self) -> Result<(), BodyHashError> {
        Ok(())
    }
}

/// Writes Python `str()` (when `top`) or `repr()` (nested) of a value.
struct PyStr<'a> {
    out: &'a mut String,
    top: bool,
}

impl<'a> PyStr<'a> {
    fn nested(&mut self) -> PyStr<'_> {
        PyStr {
            out: self.out,
            top: false,
        }
    }
    fn int(self, v: impl std::fmt::Display) -> Result<(), BodyHashError> {
        let _ = write!(self.out, "{v}");
        Ok(())
    }
}

/// A Python container being written: `[..]`, `(..)` or `{..}`.
struct PyContainer<'a> {
    out: &'a mut String,
    first: bool,
    close: &'static str,
    /// Tuples of one element need the trailing comma: `(1,)`.
    count: usize,
    tuple: bool,
}

impl<'a> PyContainer<'a> {
    fn open(out: &'a mut String, open: &str, close: &'static str, tuple: bool) -> Self {
        out.push_str(open);
        PyContainer {
            out,
            first: true,
            close,
            count: 0,
            tuple,
        }
    }
    fn sep(&mut self) {
        if !self.first {
            self.out.push_str(", ");
        }
        self.first = false;
        self.count = self.count.saturating_add(1);
    }
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BodyHashError> {
        self.sep();
        v.serialize(PyStr {
            out: self.out,
            top: false,
        })
    }
    fn entry<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) -> Result<(), BodyHashError> {
        self.sep();
        self.out.push_str(&py_str_repr(key));
        self.out.push_str(": ");
        v.serialize(PyStr {
            out: self.out,
            top: false,
        })
    }
    fn finish(self) -> Result<(), BodyHashError> {
        if self.tuple && self.count == 1 {
            self.out.push(',');
        }
        self.out.push_str(self.close);
        Ok(())
    }
}

impl<'a> ser::Serializer for PyStr<'a> {
    type Ok = ();
    type Error = BodyHashError;
    type SerializeSeq = PyContainer<'a>;
    type SerializeTuple = PyContainer<'a>;
    type SerializeTupleStruct = PyContainer<'a>;
    type SerializeTupleVariant = PyContainer<'a>;
    type SerializeMap = PyContainer<'a>;
    type SerializeStruct = PyContainer<'a>;
    type SerializeStructVariant = PyContainer<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), BodyHashError> {
        self.out.push_str(if v { "True" } else { "False" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), BodyHashError> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), BodyHashError> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), BodyHashError> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), BodyHashError> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), BodyHashError> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), BodyHashError> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), BodyHashError> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), BodyHashError> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), BodyHashError> {
        self.int(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), BodyHashError> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), BodyHashError> {
        self.out.push_str(&py_f32_repr(v));
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), BodyHashError> {
        self.out.push_str(&py_float_repr(v));
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), BodyHashError> {
        self.serialize_str(v.encode_utf8(&mut [0u8; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), BodyHashError> {
        if self.top {
            self.out.push_str(v);
        } else {
            self.out.push_str(&py_str_repr(v));
        }
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), BodyHashError> {
        self.out.push_str(&py_bytes_repr(v));
        Ok(())
    }
    fn serialize_none(self) -> Result<(), BodyHashError> {
        self.out.push_str("None");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), BodyHashError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), BodyHashError> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), BodyHashError> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), BodyHashError> {
        // On the wire a unit variant is its name, which Python reads as a str (or str enum).
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), BodyHashError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), BodyHashError> {
        let mut c = PyContainer::open(self.nested().out, "{", "}", false);
        c.entry(variant, value)?;
        c.finish()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<PyContainer<'a>, BodyHashError> {
        Ok(PyContainer::open(self.out, "[", "]", false))
    }
    fn serialize_tuple(self, _: usize) -> Result<PyContainer<'a>, BodyHashError> {
        Ok(PyContainer::open(self.out, "(", ")", true))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<PyContainer<'a>, BodyHashError> {
        Ok(PyContainer::open(self.out, "(", ")", true))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<PyContainer<'a>, BodyHashError> {
        self.out.push('{');
        self.out.push_str(&py_str_repr(variant));
        self.out.push_str(": ");
        Ok(PyContainer::open(self.out, "[", "]}", false))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<PyContainer<'a>, BodyHashError> {
        Ok(PyContainer::open(self.out, "{", "}", false))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<PyContainer<'a>, BodyHashError> {
        // A nested pydantic model is a dict in `model_dump()`.
        Ok(PyContainer::open(self.out, "{", "}", false))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<PyContainer<'a>, BodyHashError> {
        self.out.push('{');
        self.out.push_str(&py_str_repr(variant));
        self.out.push_str(": ");
        Ok(PyContainer::open(self.out, "{", "}}", false))
    }
}

impl ser::SerializeSeq for PyContainer<'_> {
    type Ok = ();
    type Error = BodyHashError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BodyHashError> {
        self.element(v)
    }
    fn end(self) -> Result<(), BodyHashError> {
        self.finish()
    }
}

impl ser::SerializeTuple for PyContainer<'_> {
    type Ok = ();
    type Error = BodyHashError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BodyHashError> {
        self.element(v)
    }
    fn end(self) -> Result<(), BodyHashError> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for PyContainer<'_> {
    type Ok = ();
    type Error = BodyHashError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BodyHashError> {
        self.element(v)
    }
    fn end(self) -> Result<(), BodyHashError> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for PyContainer<'_> {
    type Ok = ();
    type Error = BodyHashError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BodyHashError> {
        self.element(v)
    }
    fn end(self) -> Result<(), BodyHashError> {
        self.finish()
    }
}

impl ser::SerializeMap for PyContainer<'_> {
    type Ok = ();
    type Error = BodyHashError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), BodyHashError> {
        self.sep();
        key.serialize(PyStr {
            out: self.out,
            top: false,
        })?;
        self.out.push_str(": ");
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BodyHashError> {
        v.serialize(PyStr {
            out: self.out,
            top: false,
        })
    }
    fn end(self) -> Result<(), BodyHashError> {
        self.finish()
    }
}

impl ser::SerializeStruct for PyContainer<'_> {
    type Ok = ();
    type Error = BodyHashError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), BodyHashError> {
        self.entry(key, v)
    }
    fn end(self) -> Result<(), BodyHashError> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for PyContainer<'_> {
    type Ok = ();
    type Error = BodyHashError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), BodyHashError> {
        self.entry(key, v)
    }
    fn end(self) -> Result<(), BodyHashError> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Echo {
        text: String,
        n: i64,
        values: Vec<i64>,
        response: Option<String>,
    }

    #[test]
    fn capture_body_hash() {
        let e = Echo {
            text: "hello".into(),
            n: 21,
            values: vec![1, 2, 3],
            response: None,
        };
        let f = ["text", "n", "values"];
        assert_eq!(
            field_strings(&e, &f).unwrap(),
            vec!["hello", "21", "[1, 2, 3]"]
        );
        assert_eq!(
            body_hash(&e, &f).unwrap(),
            "3528c7d0eb5a721cc51df7d1d139591cf3a6e9033b77e343aabb95eaca80086d"
        );
        assert_eq!(
            sha3_hex(b"hello"),
            "3338be694f50c5f338814986cdf0686453a888b84f424d792af4b9202398f392"
        );
        assert_eq!(body_hash(&e, &[]).unwrap(), EMPTY_BODY_HASH);
        let x = Echo {
            text: "x".into(),
            n: 1,
            values: vec![],
            response: None,
        };
        // The hash in the capture's error cases (text "x", n 1, values []).
        assert_eq!(
            body_hash(&x, &f).unwrap(),
            "157e48c3e0f28047f23941f88cb5fe30e7d581219dcf4fca7efc2b621265d5d2"
        );
        assert_eq!(
            body_hash(&e, &["nope"]),
            Err(BodyHashError::MissingField("nope".into()))
        );
    }

    #[test]
    fn python_str_of_values() {
        assert_eq!(py_str(&true).unwrap(), "True");
        assert_eq!(py_str(&Option::<u8>::None).unwrap(), "None");
        assert_eq!(
            py_str(&vec!["a", "b'c", "d\"e'"]).unwrap(),
            r#"['a', "b'c", 'd"e\'']"#
        );
        assert_eq!(py_str(&vec![true, false]).unwrap(), "[True, False]");
        let mut m = BTreeMap::new();
        m.insert("a", vec![1.5f64]);
        m.insert("b", vec![]);
        assert_eq!(py_str(&m).unwrap(), "{'a': [1.5], 'b': []}");
        assert_eq!(py_str(&(1, "x")).unwrap(), "(1, 'x')");
        assert_eq!(py_str(&(1,)).unwrap(), "(1,)");
        assert_eq!(
            py_str(&vec!["tab\there\n\\ \u{7f} é \u{a0}"]).unwrap(),
            r"['tab\there\n\\ \x7f é \xa0']"
        );
        assert_eq!(py_str(&vec!['\u{2028}']).unwrap(), r"['\u2028']");
        assert_eq!(py_str("top level 'str'").unwrap(), "top level 'str'");
        assert_eq!(py_str(&u64::MAX).unwrap(), "18446744073709551615");
        assert_eq!(py_str(&-7i32).unwrap(), "-7");
        #[derive(Serialize)]
        struct Inner {
            k: u8,
            s: &'static str,
        }
        assert_eq!(
            py_str(&vec![Inner { k: 1, s: "v" }]).unwrap(),
            "[{'k': 1, 's': 'v'}]"
        );
    }

    #[test]
    fn python_float_repr() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (12.0, "12.0"),
            (0.1, "0.1"),
            (1.5, "1.5"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000012345, "1.2345e-05"),
            (123456789.125, "123456789.125"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e100, "1e+100"),
            (1e-100, "1e-100"),
            (2.5e-320, "2.5e-320"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.00010895729064941406, "0.00010895729064941406"),
            (6.318092346191406e-05, "6.318092346191406e-05"),
            (1268740937678837.2, "1268740937678837.2"),
            (1614877392386633.2, "1614877392386633.2"),
            (f64::INFINITY, "inf"),
            (f64::NAN, "nan"),
        ];
        for (x, want) in cases {
            assert_eq!(py_float_repr(*x), *want, "{x:e}");
        }
        assert_eq!(py_str(&0.1f32).unwrap(), "0.1");
        assert_eq!(py_str(&vec![1.0f64, -2.5]).unwrap(), "[1.0, -2.5]");
    }

    #[test]
    fn bytes_repr() {
        assert_eq!(py_bytes_repr(b"a'\x00\xff"), r#"b"a'\x00\xff""#);
    }
}
