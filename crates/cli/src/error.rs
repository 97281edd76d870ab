//! Error classification: user errors exit with 2, everything else with 1.

use std::fmt;

/// Marks an error as the user's to fix (bad input file, flag, scenario value, missing data).
#[derive(Debug)]
pub struct UserError(pub String);

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// Build a user error from a message.
pub fn user(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UserError(msg.into()))
}

/// Turn any error into a user error, keeping its message chain.
pub trait UserContext<T> {
    /// Classify the error as the user's, prefixed with `context`.
    fn user_err(self, context: impl FnOnce() -> String) -> anyhow::Result<T>;
}

impl<T, E: fmt::Display> UserContext<T> for Result<T, E> {
    fn user_err(self, context: impl FnOnce() -> String) -> anyhow::Result<T> {
        self.map_err(|e| {
            let c = context();
            if c.is_empty() {
                user(e.to_string())
            } else {
                user(format!("{c}: {e}"))
            }
        })
    }
}

/// 2 when any error in the chain is a [`UserError`] or a clap usage error, else 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|e| e.is::<UserError>()) {
        2
    } else {
        1
    }
}
