//! Ledger queries for the pages and the API: indicator lists with totals, one indicator with
//! its 账页, roll-ups and Excel export — each scoped to the viewer.
