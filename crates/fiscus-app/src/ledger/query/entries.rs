//! The 账页 of one indicator: how each transfer changes its 可用, 冻结, 在途, 已支出 and 已核销
//! (two-phase rules: a reservation moves 可用 to 在途; its post spends part and releases the
//! rest; its void releases all), the counter side, and the running balances in ledger order.

use fiscus_core::ledger::{AccountId, AccountKind, Reason, TransferKind};
use fiscus_store::ledger::TransferRow;

use super::{Counter, EntryLine};

/// How one transfer changes the four figures of the indicator `bgt_id`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Change {
    available: i64,
    frozen: i64,
    reserved: i64,
    spent: i64,
    written_off: i64,
}

fn owner_of(account: &str) -> (Option<AccountKind>, Option<String>) {
    match AccountId::from_stored(account.to_owned()).split() {
        Some((kind, bgt_id)) => (Some(kind), bgt_id.map(str::to_owned)),
        None => (None, None),
    }
}

fn change_of(bgt_id: &str, row: &TransferRow) -> Change {
    let kind = TransferKind::from_code(&row.kind);
    // Posted and pending movements of the debit side, posted movement of the credit side.
    let (debit_posted, debit_pending, credit_posted) = match kind {
        Some(TransferKind::Posted) => (row.amount_fen, 0, row.amount_fen),
        Some(TransferKind::Pending) => (0, row.amount_fen, 0),
        Some(TransferKind::PostPending) => {
            (row.amount_fen, -row.pending_amount_fen, row.amount_fen)
        }
        Some(TransferKind::VoidPending) => (0, -row.pending_amount_fen, 0),
        None => (0, 0, 0),
    };
    let mut change = Change::default();
    let sides = [
        (&row.debit_account_id, -debit_posted, debit_pending),
        (&row.credit_account_id, credit_posted, 0),
    ];
    for (account, posted, pending) in sides {
        let (kind, owner) = owner_of(account);
        if owner.as_deref() != Some(bgt_id) {
            continue;
        }
        match kind {
            Some(AccountKind::Avail) => {
                change.available += posted - pending;
                change.reserved += pending;
            }
            Some(AccountKind::Frozen) => change.frozen += posted,
            Some(AccountKind::Spent) => change.spent += posted,
            Some(AccountKind::WrittenOff) => change.written_off += posted,
            _ => {}
        }
    }
    change
}

fn counter_of(bgt_id: &str, row: &TransferRow) -> Counter {
    let (debit_kind, debit_owner) = owner_of(&row.debit_account_id);
    let (credit_kind, credit_owner) = owner_of(&row.credit_account_id);
    // The side that is not this indicator's; for a move between its own accounts, the side
    // other than 可用 (冻结, 已支出 …).
    let use_credit = if debit_owner.as_deref() != Some(bgt_id) {
        false
    } else if credit_owner.as_deref() != Some(bgt_id) {
        true
    } else {
        debit_kind == Some(AccountKind::Avail)
    };
    let (account, kind, owner) = if use_credit {
        (&row.credit_account_id, credit_kind, credit_owner)
    } else {
        (&row.debit_account_id, debit_kind, debit_owner)
    };
    Counter {
        account_id: account.clone(),
        bgt_id: owner,
        account_label: kind.map_or("", AccountKind::label),
    }
}

/// 账页 lines with running balances, in the order given (ledger order).
pub(super) fn running_lines(bgt_id: &str, rows: &[TransferRow]) -> Vec<EntryLine> {
    let mut balance = Change::default();
    rows.iter()
        .map(|row| {
            let change = change_of(bgt_id, row);
            balance.available += change.available;
            balance.frozen += change.frozen;
            balance.reserved += change.reserved;
            balance.spent += change.spent;
            balance.written_off += change.written_off;
            let reason = Reason::from_code(&row.reason);
            EntryLine {
                seq: row.seq,
                created_at: row.created_at.clone(),
                transfer_id: row.transfer_id.clone(),
                kind: row.kind.clone(),
                reason: row.reason.clone(),
                reason_label: reason.map_or("", Reason::label),
                doc_id: row.doc_id.clone(),
                counter: counter_of(bgt_id, row),
                available_change_fen: change.available,
                frozen_change_fen: change.frozen,
                reserved_change_fen: change.reserved,
                spent_change_fen: change.spent,
                written_off_change_fen: change.written_off,
                available_fen: balance.available,
                frozen_fen: balance.frozen,
                reserved_fen: balance.reserved,
                spent_fen: balance.spent,
                written_off_fen: balance.written_off,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        seq: i64,
        debit: &str,
        credit: &str,
        kind: &str,
        amount: i64,
        pending: i64,
    ) -> TransferRow {
        TransferRow {
            seq,
            transfer_id: format!("t{seq}"),
            batch_id: "b".into(),
            debit_account_id: debit.into(),
            credit_account_id: credit.into(),
            kind: kind.into(),
            amount_fen: amount,
            pending_id: None,
            pending_amount_fen: pending,
            reason: "payment".into(),
            ctrl_level: "strict".into(),
            warned: false,
            doc_id: None,
            actor: "x".into(),
            created_at: String::new(),
        }
    }

    #[test]
    fn running_balances_follow_the_two_phase_rules() {
        let rows = [
            row(1, "src.660100000.2026", "B.a", "posted", 1_000, 0),
            row(2, "B.a", "B.f", "posted", 100, 0),
            row(3, "B.a", "B.s", "pending", 300, 0),
            row(4, "B.a", "B.s", "post_pending", 200, 300),
            row(5, "B.a", "B.s", "pending", 50, 0),
            row(6, "B.a", "B.s", "void_pending", 50, 50),
            row(7, "B.a", "C.a", "posted", 10, 0),
        ];
        let lines = running_lines("B", &rows);
        let last = lines
            .last()
            .map(|l| (l.available_fen, l.frozen_fen, l.reserved_fen, l.spent_fen));
        // 1000 in, 100 frozen, 200 spent (100 released), 10 moved out.
        assert_eq!(last, Some((690, 100, 0, 200)));
        assert_eq!(lines[2].reserved_change_fen, 300);
        assert_eq!(lines[2].available_change_fen, -300);
        assert_eq!(lines[3].available_change_fen, 100);
        assert_eq!(lines[1].counter.account_label, "冻结");
        assert_eq!(lines[6].counter.bgt_id.as_deref(), Some("C"));
        assert_eq!(lines[0].counter.account_label, "预算来源");
    }
}
