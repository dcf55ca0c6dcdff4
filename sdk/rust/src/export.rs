//! The export macros: one call turns an [`Operator`](crate::Operator) or a
//! [`Udf`](crate::Udf) into the exports of its WIT world.
//!
//! On `wasm32` a macro generates, in a hidden module of the guest crate, the
//! bindings of its world's exports (all imported interfaces are taken from
//! the SDK with wit-bindgen's `with`), implements the generated `Guest` trait
//! by calling the SDK's runtime, and exports it. The world's custom section
//! is thus emitted by the guest crate and names exactly the world it
//! implements (see the crate README). On other targets the macro only checks
//! that the type implements the trait, so a guest crate also builds natively
//! for its harness tests.
//!
//! The macros name the SDK `weir_sdk` in generated code: depend on it under
//! that name, and call the macro once per guest crate, at module level.

/// Exports an [`Operator`](crate::Operator) as the `operator` world of
/// `weir:operator@0.2.0`, whose records, timers and output cross the
/// boundary packed:
///
/// ```
/// use weir_sdk::prelude::*;
/// struct Nop;
/// impl Operator for Nop {
///     type Config = ();
///     fn open(_: &mut OpenContext, _: ()) -> Result<Self> { Ok(Nop) }
///     fn process(&mut self, _: &mut Context, _: Record) -> Result<()> { Ok(()) }
/// }
/// weir_sdk::export_operator!(Nop);
/// ```
#[macro_export]
macro_rules! export_operator {
    ($ty:ty) => {
        #[doc(hidden)]
        type __WeirExportedOperator = $ty;

        const _: fn() = || {
            fn implements_operator<T: $crate::Operator>() {}
            implements_operator::<__WeirExportedOperator>();
        };

        #[cfg(target_arch = "wasm32")]
        #[doc(hidden)]
        mod __weir_operator_export {
            $crate::__weir_generate!(
                world: "weir:operator/operator@0.2.0",
                with: {
                    "weir:operator/types@0.1.0": weir_sdk::__private::wit::types,
                    "weir:operator/state@0.1.0": weir_sdk::__private::wit::state,
                    "weir:operator/timers@0.1.0": weir_sdk::__private::wit::timers,
                    "weir:operator/context@0.1.0": weir_sdk::__private::wit::context,
                    "weir:operator/log@0.1.0": weir_sdk::__private::wit::log,
                    "weir:operator/metrics@0.1.0": weir_sdk::__private::wit::metrics,
                    "weir:operator/output@0.2.0": weir_sdk::__private::wit::output,
                    "weir:operator/packed@0.2.0": weir_sdk::__private::wit::packed,
                },
            );

            type Instance = super::__WeirExportedOperator;

            ::std::thread_local! {
                static INSTANCE: ::core::cell::RefCell<::core::option::Option<Instance>> =
                    const { ::core::cell::RefCell::new(::core::option::Option::None) };
            }

            struct Exports;

            impl Guest for Exports {
                fn open(config: ::std::string::String) -> ::core::result::Result<(), OperatorError> {
                    $crate::__private::export::operator_open(&INSTANCE, config)
                }
                fn process(
                    batch: ::std::vec::Vec<u8>,
                ) -> ::core::result::Result<(), OperatorError> {
                    $crate::__private::export::operator_process(&INSTANCE, batch)
                }
                fn on_timer(
                    timers: ::std::vec::Vec<u8>,
                ) -> ::core::result::Result<(), OperatorError> {
                    $crate::__private::export::operator_on_timer(&INSTANCE, timers)
                }
                fn close() -> ::core::result::Result<(), OperatorError> {
                    $crate::__private::export::operator_close(&INSTANCE)
                }
            }

            export!(Exports);
        }
    };
}

/// Exports a [`Udf`](crate::Udf) as the `udf` world of
/// `weir:operator@0.2.0`, whose batches cross the boundary packed (one
/// buffer each way):
///
/// ```
/// use weir_sdk::prelude::*;
/// struct Echo;
/// impl Udf for Echo {
///     type Config = ();
///     fn open(_: ()) -> Result<Self> { Ok(Echo) }
///     fn transform(&mut self, r: RecordRef<'_>, out: &mut UdfOutput) -> Result<()> {
///         out.emit(r);
///         Ok(())
///     }
/// }
/// weir_sdk::export_udf!(Echo);
/// ```
#[macro_export]
macro_rules! export_udf {
    ($ty:ty) => {
        #[doc(hidden)]
        type __WeirExportedUdf = $ty;

        const _: fn() = || {
            fn implements_udf<T: $crate::Udf>() {}
            implements_udf::<__WeirExportedUdf>();
        };

        #[cfg(target_arch = "wasm32")]
        #[doc(hidden)]
        mod __weir_udf_export {
            $crate::__weir_generate!(
                world: "weir:operator/udf@0.2.0",
                with: {
                    "weir:operator/log@0.1.0": weir_sdk::__private::wit::log,
                    "weir:operator/packed@0.2.0": weir_sdk::__private::wit::packed,
                },
            );

            type Instance = super::__WeirExportedUdf;

            ::std::thread_local! {
                static INSTANCE: ::core::cell::RefCell<::core::option::Option<Instance>> =
                    const { ::core::cell::RefCell::new(::core::option::Option::None) };
            }

            struct Exports;

            impl Guest for Exports {
                fn open(config: ::std::string::String) -> ::core::result::Result<(), ::std::string::String> {
                    $crate::__private::export::udf_open(&INSTANCE, config)
                }
                fn transform(
                    batch: ::std::vec::Vec<u8>,
                ) -> ::core::result::Result<::std::vec::Vec<u8>, ::std::string::String> {
                    $crate::__private::export::udf_transform_packed(&INSTANCE, batch)
                }
            }

            export!(Exports);
        }
    };
}
