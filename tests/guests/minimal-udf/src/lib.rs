#![doc = include_str!("../README.md")]

wit_bindgen::generate!({
    world: "udf",
    path: "../../../wit/operator@0.1.0",
});

/// The exported component.
pub struct MinimalUdf;

impl Guest for MinimalUdf {
    fn open(_config: String) -> Result<(), String> {
        Ok(())
    }

    fn transform(batch: Vec<Record>) -> Result<Vec<Record>, String> {
        Ok(batch.into_iter().map(uppercase).collect())
    }
}

/// Uppercases the ASCII letters of a record's value.
fn uppercase(mut record: Record) -> Record {
    record.value.make_ascii_uppercase();
    record
}

export!(MinimalUdf);

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: Option<&str>, value: &str, timestamp: Option<i64>) -> Record {
        Record {
            key: key.map(|k| k.as_bytes().to_vec()),
            value: value.as_bytes().to_vec(),
            timestamp,
        }
    }

    #[test]
    fn transform_uppercases_values_and_keeps_keys_and_timestamps() {
        let out = MinimalUdf::transform(vec![
            record(Some("k"), "hello, wörld", Some(7)),
            record(None, "", None),
        ])
        .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].key.as_deref(), Some(&b"k"[..]));
        assert_eq!(out[0].value, "HELLO, WöRLD".as_bytes());
        assert_eq!(out[0].timestamp, Some(7));
        assert!(out[1].value.is_empty());
        assert_eq!(out[1].key, None);
    }

    #[test]
    fn open_accepts_any_config() {
        assert_eq!(MinimalUdf::open("{}".into()), Ok(()));
    }
}
