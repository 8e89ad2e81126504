//! The ledger checks of `fiscus verify`: every balance recomputed from its entries and the
//! invariants of the ledger, as read-only SQL aggregates.
