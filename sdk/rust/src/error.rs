//! The SDK's error type and the errors the host reports.

/// Result with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error from operator code. Returned from an export, it fails the task
/// with the operator's id and this message.
///
/// `?` converts strings, host errors and encoding errors into it; see also
/// [`bail!`](crate::bail).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Error {
    /// The operator's configuration is not acceptable. Maps to the WIT
    /// `invalid-config`.
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// An input record could not be understood. Maps to the WIT `bad-input`.
    #[error("bad input: {0}")]
    BadInput(String),
    /// The host refused a call (unknown state, no current key, quota, …).
    #[error("host: {0}")]
    Host(#[from] HostError),
    /// A value could not be encoded or decoded (state values with postcard,
    /// JSON values).
    #[error("codec: {0}")]
    Codec(String),
    /// Any other failure. Maps to the WIT `failed`.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// An [`Error::InvalidConfig`] with this message.
    pub fn invalid_config(message: impl std::fmt::Display) -> Self {
        Error::InvalidConfig(message.to_string())
    }

    /// An [`Error::BadInput`] with this message.
    pub fn bad_input(message: impl std::fmt::Display) -> Self {
        Error::BadInput(message.to_string())
    }

    /// An [`Error::Failed`] with this message.
    pub fn failed(message: impl std::fmt::Display) -> Self {
        Error::Failed(message.to_string())
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error::Failed(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Error::Failed(message.to_owned())
    }
}

impl From<postcard::Error> for Error {
    fn from(e: postcard::Error) -> Self {
        Error::Codec(format!("postcard: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Codec(format!("json: {e}"))
    }
}

/// An error the host reports for one call (the WIT `error` variant). It is
/// not a trap: the operator may handle it or return it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The state id was never registered, or was registered as another kind
    /// or TTL.
    #[error("unknown state: {0}")]
    UnknownState(String),
    /// Keyed state or timers were used where there is no current key.
    #[error("no current key: keyed state and timers need keyed input")]
    NoCurrentKey,
    /// An argument was out of range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A per-operator quota (state size, timers) would be exceeded.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    /// A side output the job does not declare.
    #[error("unknown side output `{0}`")]
    UnknownOutput(String),
}

/// Returns early with an [`Error::Failed`] built from a format string, or
/// with any value that converts into [`Error`].
///
/// ```
/// use weir_sdk::{bail, Error, Result};
/// fn check(n: u64) -> Result<u64> {
///     if n > 10 {
///         bail!("{n} is too large");
///     }
///     if n == 0 {
///         bail!(Error::bad_input("zero"));
///     }
///     Ok(n)
/// }
/// assert_eq!(check(11), Err(Error::Failed("11 is too large".into())));
/// assert_eq!(check(0), Err(Error::BadInput("zero".into())));
/// ```
#[macro_export]
macro_rules! bail {
    ($fmt:literal $($arg:tt)*) => {
        return ::core::result::Result::Err($crate::Error::Failed(::std::format!($fmt $($arg)*)))
    };
    ($err:expr $(,)?) => {
        return ::core::result::Result::Err(::core::convert::From::from($err))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_pick_the_right_variant() {
        assert_eq!(Error::from("boom"), Error::Failed("boom".into()));
        assert_eq!(
            Error::from(HostError::NoCurrentKey),
            Error::Host(HostError::NoCurrentKey)
        );
        let json = serde_json::from_str::<u32>("x").unwrap_err();
        assert!(matches!(Error::from(json), Error::Codec(m) if m.starts_with("json: ")));
        let pc = postcard::from_bytes::<u32>(&[]).unwrap_err();
        assert!(matches!(Error::from(pc), Error::Codec(m) if m.starts_with("postcard: ")));
    }
}
