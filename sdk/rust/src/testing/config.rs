//! What a harness accepts as an operator's config.

/// A config for a harness: JSON text, a [`serde_json::Value`], or `()` for an
/// absent config (sent as `{}`, as the host does).
pub trait ConfigSource {
    /// The JSON text handed to `open`.
    fn into_config_text(self) -> String;
}

impl ConfigSource for &str {
    fn into_config_text(self) -> String {
        self.to_owned()
    }
}

impl ConfigSource for String {
    fn into_config_text(self) -> String {
        self
    }
}

impl ConfigSource for serde_json::Value {
    fn into_config_text(self) -> String {
        self.to_string()
    }
}

impl ConfigSource for &serde_json::Value {
    fn into_config_text(self) -> String {
        self.to_string()
    }
}

impl ConfigSource for () {
    fn into_config_text(self) -> String {
        "{}".to_owned()
    }
}
