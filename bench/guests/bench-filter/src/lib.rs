#![doc = include_str!("../README.md")]

use weir_sdk::prelude::*;

/// The predicate: `v & 7 != 0`.
pub fn keep(v: u64) -> bool {
    v & 7 != 0
}

/// Keeps the records whose value passes [`keep`].
pub struct Filter;

impl Udf for Filter {
    type Config = ();

    fn open(_: ()) -> Result<Self> {
        Ok(Filter)
    }

    fn transform(&mut self, record: RecordRef<'_>, out: &mut UdfOutput) -> Result<()> {
        let bytes: [u8; 8] = record
            .value
            .try_into()
            .map_err(|_| Error::bad_input("expected an 8-byte little-endian u64 value"))?;
        if keep(u64::from_le_bytes(bytes)) {
            out.emit(record);
        }
        Ok(())
    }
}

weir_sdk::export_udf!(Filter);

#[cfg(test)]
mod tests {
    use weir_sdk::testing::UdfHarness;

    use super::*;

    #[test]
    fn keeps_values_not_divisible_by_eight() {
        let mut h = UdfHarness::<Filter>::new(()).unwrap();
        let batch = (0..17u64)
            .map(|v| Record::keyed("k", v.to_le_bytes()).with_timestamp(v as i64))
            .collect();
        let out = h.transform_batch(batch).unwrap();
        let kept: Vec<u64> = out
            .iter()
            .map(|r| u64::from_le_bytes(r.value.as_slice().try_into().unwrap()))
            .collect();
        let expected: Vec<u64> = (0..17).filter(|v| v % 8 != 0).collect();
        assert_eq!(kept, expected);
        assert_eq!(
            out[0],
            Record::keyed("k", 1u64.to_le_bytes()).with_timestamp(1)
        );
    }

    #[test]
    fn rejects_values_that_are_not_eight_bytes() {
        let mut h = UdfHarness::<Filter>::new(()).unwrap();
        assert!(h.transform(Record::new("x")).is_err());
    }
}
