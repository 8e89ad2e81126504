//! The control table of the ledger (`ledger_control`): levels by indicator type and control
//! point, and the economic-class refinement rule.

use fiscus_core::ledger::{ControlPoint, ControlTable, CtrlLevel, EcoRefinement};

use crate::{Db, StoreError, Tx, on_db, on_tx};

/// The control table: levels by (type, point) and the economic-class refinement rule.
pub async fn controls(tx: &mut Tx) -> Result<ControlTable, StoreError> {
    let rows: Vec<(String, String, String)> = on_tx!(tx, conn => sqlx::query_as("SELECT bgt_type_code, control_point, ctrl_level FROM ledger_control")
        .fetch_all(&mut *conn)
        .await?);
    Ok(control_table(rows))
}

/// The same, outside a transaction.
pub async fn controls_read(db: &Db) -> Result<ControlTable, StoreError> {
    let rows: Vec<(String, String, String)> = on_db!(db, pool => sqlx::query_as("SELECT bgt_type_code, control_point, ctrl_level FROM ledger_control")
        .fetch_all(pool)
        .await?);
    Ok(control_table(rows))
}

/// The control point row that holds the economic-class rule.
pub const ECO_REFINEMENT_POINT: &str = "eco_refinement";

fn control_table(rows: Vec<(String, String, String)>) -> ControlTable {
    let mut table = ControlTable::default();
    for (bgt_type_code, point, level) in rows {
        if point == ECO_REFINEMENT_POINT {
            table.eco_refinement = if level == "exact" {
                EcoRefinement::Exact
            } else {
                EcoRefinement::Prefix
            };
            continue;
        }
        if let (Some(point), Some(level)) = (
            ControlPoint::from_code(&point),
            CtrlLevel::from_code(&level),
        ) {
            table.levels.insert((bgt_type_code, point), level);
        }
    }
    table
}

/// Sets one level (or the refinement rule with `point = "eco_refinement"`).
pub async fn set_control(
    tx: &mut Tx,
    bgt_type_code: &str,
    point: &str,
    level: &str,
    actor: &str,
    at: &str,
) -> Result<(), StoreError> {
    on_tx!(tx, conn => { sqlx::query(
        "INSERT INTO ledger_control (bgt_type_code, control_point, ctrl_level, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (bgt_type_code, control_point) DO UPDATE SET ctrl_level = $3, updated_by = $4, updated_at = $5")
        .bind(bgt_type_code)
        .bind(point)
        .bind(level)
        .bind(actor)
        .bind(at)
        .execute(&mut *conn)
        .await?; });
    Ok(())
}
