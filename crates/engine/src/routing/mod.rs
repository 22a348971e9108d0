//! The routing engine, one for every channel: agents' states and capacities per channel
//! (`agents`). Facades (GWS `/api/v2`, native `/v1`) call these use cases; nothing here knows
//! a facade or a carrier.

mod agents;
