//! Where output goes: human text, or JSON alone on stdout with `--json`.

use serde::Serialize;

/// Prints either human-readable lines or one JSON document.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
}

impl Output {
    /// Output in JSON mode or not.
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// Whether `--json` was given.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// A line for people (suppressed in JSON mode, which keeps stdout machine-readable).
    pub fn line(&self, text: impl AsRef<str>) {
        if !self.json {
            println!("{}", text.as_ref());
        }
    }

    /// A warning or progress note for people: always on stderr.
    pub fn note(&self, text: impl AsRef<str>) {
        eprintln!("{}", text.as_ref());
    }

    /// The JSON document (printed only in JSON mode).
    pub fn json<T: Serialize>(&self, value: &T) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(text) => println!("{text}"),
                Err(error) => eprintln!("Error: could not encode the output as JSON: {error}"),
            }
        }
    }
}
