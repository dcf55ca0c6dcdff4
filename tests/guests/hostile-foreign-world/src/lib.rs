#![doc = include_str!("../README.md")]

wit_bindgen::generate!({
    world: "foreign",
    path: "wit",
});

/// The exported component.
pub struct ForeignWorld;

impl Guest for ForeignWorld {
    fn open(_config: String) -> Result<(), String> {
        Ok(())
    }

    fn process(lines: Vec<String>) -> Result<Vec<String>, String> {
        Ok(lines.into_iter().rev().collect())
    }
}

export!(ForeignWorld);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_reverses_the_lines() {
        let out = ForeignWorld::process(vec!["a".into(), "b".into()]).unwrap();
        assert_eq!(out, ["b", "a"]);
    }
}
