//! The CLI's error: a message, a hint of what to do, and an exit code.

use std::fmt;

/// An error as the user sees it.
#[derive(Debug)]
pub struct CliError {
    message: String,
    hint: Option<String>,
    exit_code: u8,
}

impl CliError {
    /// An error with a message and no hint.
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hint: None,
            exit_code: 1,
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        self.exit_code
    }

    /// Prints the error and its hint on stderr.
    pub fn print(&self) {
        eprintln!("Error: {}", self.message);
        if let Some(hint) = &self.hint {
            eprintln!("  hint: {hint}");
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<keys::Error> for CliError {
    fn from(error: keys::Error) -> Self {
        let hint = error.hint().map(str::to_owned);
        CliError {
            message: error.to_string(),
            hint,
            exit_code: 1,
        }
    }
}

impl From<wallet::Error> for CliError {
    fn from(error: wallet::Error) -> Self {
        let hint = error.hint().map(str::to_owned);
        CliError {
            message: error.to_string(),
            hint,
            exit_code: 1,
        }
    }
}

impl From<types::Error> for CliError {
    fn from(error: types::Error) -> Self {
        CliError::new(error.to_string()).with_hint(error.hint())
    }
}

impl From<node::spec::ConfigError> for CliError {
    fn from(error: node::spec::ConfigError) -> Self {
        let hint = error.hint().map(str::to_owned);
        CliError {
            message: error.to_string(),
            hint,
            exit_code: 1,
        }
    }
}

impl From<node::launch::LaunchError> for CliError {
    fn from(error: node::launch::LaunchError) -> Self {
        let hint = error.hint().map(str::to_owned);
        CliError {
            message: error.to_string(),
            hint,
            exit_code: 1,
        }
    }
}

/// Shorthand for the CLI's results.
pub type CliResult<T = ()> = Result<T, CliError>;
