//! A `udf` guest: uppercases each record's value.

use weir_sdk::prelude::*;

/// Uppercases values.
pub struct Upper;

impl Udf for Upper {
    type Config = ();

    fn open(_: ()) -> Result<Self> {
        weir_sdk::log::info!("upper opened");
        Ok(Upper)
    }

    fn transform(&mut self, record: RecordRef<'_>, out: &mut UdfOutput) -> Result<()> {
        let upper = record.value_str()?.to_uppercase();
        out.emit(RecordRef {
            value: upper.as_bytes(),
            ..record
        });
        Ok(())
    }
}

weir_sdk::export_udf!(Upper);
