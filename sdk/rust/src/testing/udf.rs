//! Runs a [`Udf`] natively.

use std::cell::RefCell;
use std::rc::Rc;

use super::ConfigSource;
use super::host::{LogLine, NativeHost, enter};
use crate::{Record, Result, Udf, runtime};

/// Runs a UDF natively, through the same code as its Wasm export.
///
/// ```
/// use weir_sdk::prelude::*;
/// use weir_sdk::testing::UdfHarness;
///
/// struct Upper;
/// impl Udf for Upper {
///     type Config = ();
///     fn open(_: ()) -> Result<Self> { Ok(Upper) }
///     fn transform(&mut self, r: RecordRef<'_>, out: &mut UdfOutput) -> Result<()> {
///         out.emit(RecordRef::new(r.value_str()?.to_uppercase().as_bytes()));
///         Ok(())
///     }
/// }
///
/// let mut h = UdfHarness::<Upper>::new(()).unwrap();
/// let out = h.transform(Record::new("hi").with_timestamp(3)).unwrap();
/// assert_eq!(out, vec![Record::new("HI").with_timestamp(3)]);
/// ```
pub struct UdfHarness<U: Udf> {
    host: Rc<RefCell<NativeHost>>,
    udf: U,
}

impl<U: Udf> std::fmt::Debug for UdfHarness<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdfHarness").finish_non_exhaustive()
    }
}

impl<U: Udf> UdfHarness<U> {
    /// Opens the UDF with `config` (JSON text, a JSON value, or `()`).
    pub fn new(config: impl ConfigSource) -> Result<Self> {
        let host = Rc::new(RefCell::new(NativeHost::default()));
        let udf = {
            let _entered = enter(&host);
            runtime::udf_open::<U>(&config.into_config_text())?
        };
        Ok(UdfHarness { host, udf })
    }

    /// Transforms one record, as a batch of one.
    pub fn transform(&mut self, record: Record) -> Result<Vec<Record>> {
        self.transform_batch(vec![record])
    }

    /// Transforms a batch, as the host does: packed in, packed out.
    pub fn transform_batch(&mut self, batch: Vec<Record>) -> Result<Vec<Record>> {
        let _entered = enter(&self.host);
        let out = runtime::udf_transform_packed(&mut self.udf, &runtime::pack(&batch))?;
        runtime::unpack_records(&out)
    }

    /// The lines logged so far.
    pub fn logs(&self) -> Vec<LogLine> {
        self.host.borrow().logs.clone()
    }

    /// The UDF instance.
    pub fn udf(&self) -> &U {
        &self.udf
    }
}
