//! The export macros: one call turns an [`Operator`](crate::Operator) or a
//! [`Udf`](crate::Udf) into the exports of its WIT world.
//!
//! On `wasm32` a macro defines the instance slot, implements the generated
//! `Guest` trait by calling the SDK's runtime, and emits wit-bindgen's export
//! glue together with the custom section describing *its* world, so a guest
//! exports exactly the world it implements (see the crate README). On other
//! targets it only checks that the type implements the trait, so a guest
//! crate also builds natively for its harness tests.

/// Exports an [`Operator`](crate::Operator) as the `operator` world:
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
///
/// Call it once per guest crate.
#[macro_export]
macro_rules! export_operator {
    ($ty:ty) => {
        const _: fn() = || {
            fn implements_operator<T: $crate::Operator>() {}
            implements_operator::<$ty>();
        };

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            use $crate::__private::operator_world as __world;

            ::std::thread_local! {
                static __WEIR_INSTANCE: ::core::cell::RefCell<::core::option::Option<$ty>> =
                    const { ::core::cell::RefCell::new(::core::option::Option::None) };
            }

            struct __WeirOperator;

            impl __world::Guest for __WeirOperator {
                fn open(
                    config: ::std::string::String,
                ) -> ::core::result::Result<(), __world::OperatorError> {
                    $crate::__private::export::operator_open(&__WEIR_INSTANCE, config)
                }
                fn process(
                    batch: ::std::vec::Vec<__world::Record>,
                ) -> ::core::result::Result<(), __world::OperatorError> {
                    $crate::__private::export::operator_process(&__WEIR_INSTANCE, batch)
                }
                fn on_timer(
                    timers: ::std::vec::Vec<__world::Timer>,
                ) -> ::core::result::Result<(), __world::OperatorError> {
                    $crate::__private::export::operator_on_timer(&__WEIR_INSTANCE, timers)
                }
                fn close() -> ::core::result::Result<(), __world::OperatorError> {
                    $crate::__private::export::operator_close(&__WEIR_INSTANCE)
                }
            }

            $crate::__private::operator_world::export!(
                __WeirOperator with_types_in $crate::__private::operator_world
            );
        };
    };
}

/// Exports a [`Udf`](crate::Udf) as the `udf` world:
///
/// ```
/// use weir_sdk::prelude::*;
/// struct Echo;
/// impl Udf for Echo {
///     type Config = ();
///     fn open(_: ()) -> Result<Self> { Ok(Echo) }
///     fn transform(&mut self, r: Record, out: &mut Vec<Record>) -> Result<()> {
///         out.push(r);
///         Ok(())
///     }
/// }
/// weir_sdk::export_udf!(Echo);
/// ```
///
/// Call it once per guest crate.
#[macro_export]
macro_rules! export_udf {
    ($ty:ty) => {
        const _: fn() = || {
            fn implements_udf<T: $crate::Udf>() {}
            implements_udf::<$ty>();
        };

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            use $crate::__private::udf_world as __world;

            ::std::thread_local! {
                static __WEIR_INSTANCE: ::core::cell::RefCell<::core::option::Option<$ty>> =
                    const { ::core::cell::RefCell::new(::core::option::Option::None) };
            }

            struct __WeirUdf;

            impl __world::Guest for __WeirUdf {
                fn open(
                    config: ::std::string::String,
                ) -> ::core::result::Result<(), ::std::string::String> {
                    $crate::__private::export::udf_open(&__WEIR_INSTANCE, config)
                }
                fn transform(
                    batch: ::std::vec::Vec<__world::Record>,
                ) -> ::core::result::Result<::std::vec::Vec<__world::Record>, ::std::string::String>
                {
                    $crate::__private::export::udf_transform(&__WEIR_INSTANCE, batch)
                }
            }

            $crate::__private::udf_world::export!(
                __WeirUdf with_types_in $crate::__private::udf_world
            );
        };
    };
}
