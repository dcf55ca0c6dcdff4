//! `packed` of `weir:operator@0.2.0` declares only a type (the packed
//! batch); its host side has nothing to do.

use weir_world::packed_udf::weir::operator0_2_0::packed::Host;

use crate::host::HostState;

impl Host for HostState {}
