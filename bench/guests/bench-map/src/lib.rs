#![doc = include_str!("../README.md")]

use weir_sdk::prelude::*;

/// The computation: `3v + 1`, wrapping at `u64::MAX`.
pub fn map_value(v: u64) -> u64 {
    v.wrapping_mul(3).wrapping_add(1)
}

/// Maps each value with [`map_value`].
pub struct Map;

impl Udf for Map {
    type Config = ();

    fn open(_: ()) -> Result<Self> {
        Ok(Map)
    }

    fn transform(&mut self, record: RecordRef<'_>, out: &mut UdfOutput) -> Result<()> {
        let bytes: [u8; 8] = record
            .value
            .try_into()
            .map_err(|_| Error::bad_input("expected an 8-byte little-endian u64 value"))?;
        let value = map_value(u64::from_le_bytes(bytes)).to_le_bytes();
        out.emit(RecordRef {
            value: &value,
            ..record
        });
        Ok(())
    }
}

weir_sdk::export_udf!(Map);

#[cfg(test)]
mod tests {
    use weir_sdk::testing::UdfHarness;

    use super::*;

    #[test]
    fn maps_the_value_and_keeps_key_and_time() {
        let mut h = UdfHarness::<Map>::new(()).unwrap();
        let input = Record::keyed("7", 5u64.to_le_bytes()).with_timestamp(9);
        let out = h.transform(input).unwrap();
        assert_eq!(
            out,
            vec![Record::keyed("7", 16u64.to_le_bytes()).with_timestamp(9)]
        );
        assert_eq!(map_value(u64::MAX), u64::MAX.wrapping_mul(3) + 1);
    }

    #[test]
    fn rejects_values_that_are_not_eight_bytes() {
        let mut h = UdfHarness::<Map>::new(()).unwrap();
        let err = h.transform(Record::new("12")).unwrap_err();
        assert!(matches!(err, Error::BadInput(_)), "{err:?}");
    }
}
