use weir_world::operator::weir::operator::types::Host;

use crate::host::HostState;

impl Host for HostState {}
