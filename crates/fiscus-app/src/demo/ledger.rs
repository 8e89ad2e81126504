//! Demo indicators for 2026: each region's 总待分 pool entered from its budget source, split
//! into three indicators per unit (基本支出 人员经费 and 公用经费, and for about half of the
//! units a project), and payments against some of them — most posted, some still in flight.
//! Loaded through `fiscus_store::ledger::seed`, so the balances are the reference model's.

use fiscus_core::Fen;
use fiscus_core::code::{AgencyCode, FiscalYear, MofDivCode};
use fiscus_core::ledger::{
    AccountId, AccountKind, BgtId, CtrlLevel, ExeFlag, IndicatorElements, PoolLevel, Reason,
    TransferId, TransferKind, TransferSpec,
};
use fiscus_core::rng::DemoRng;
use fiscus_store::ledger::seed::SeedIndicator;

use crate::demo::{DemoRegion, DemoUnit, hex_id};

/// The demo's budget year.
pub const DEMO_YEAR: i32 = 2026;

/// Function classes (项) the demo's units spend under, by unit index.
const FUNCTIONS: [&str; 10] = [
    "2010101", "2010301", "2010601", "2050201", "2050202", "2080101", "2100101", "2120101",
    "2130101", "2010501",
];

/// Indicators and the transfers that fund and spend them.
pub struct DemoLedger {
    pub indicators: Vec<SeedIndicator>,
    pub transfers: Vec<TransferSpec>,
}

struct Builder {
    indicators: Vec<SeedIndicator>,
    transfers: Vec<TransferSpec>,
}

impl Builder {
    fn transfer(
        &mut self,
        debit: AccountId,
        credit: AccountId,
        amount: i64,
        kind: TransferKind,
        pending: Option<&TransferId>,
        reason: Reason,
    ) -> TransferId {
        let transfer_id = TransferId::generated(format!("demo.{}", self.transfers.len() + 1));
        self.transfers.push(TransferSpec {
            transfer_id: transfer_id.clone(),
            debit,
            credit,
            amount: Fen(amount),
            kind,
            pending_id: pending.cloned(),
            reason,
            ctrl: CtrlLevel::Strict,
        });
        transfer_id
    }
}

fn doc_no(region: &DemoRegion, number: usize) -> String {
    let prefix = match region.level_num {
        1 => "兵财预".to_owned(),
        _ => format!("{}财预", region.short_name),
    };
    format!("{prefix}〔{DEMO_YEAR}〕{number}号")
}

fn elements(region: &DemoRegion, agency: Option<&DemoUnit>) -> Option<IndicatorElements> {
    Some(IndicatorElements {
        mof_div_code: MofDivCode::parse(&region.mof_div_code).ok()?,
        fiscal_year: FiscalYear(DEMO_YEAR),
        agency_code: match agency {
            Some(unit) => Some(AgencyCode::parse(&unit.agency_code).ok()?),
            None => None,
        },
        pro_code: String::new(),
        exp_func_code: String::new(),
        gov_bgt_eco_code: String::new(),
        dep_bgt_eco_code: String::new(),
        fund_type_code: "111".into(),
        bgt_type_code: "12".into(),
        pay_type_code: "1".into(),
        source_type_code: "1".into(),
        cor_bgt_doc_no: doc_no(region, 1),
        bgt_doc_title: format!("{}{DEMO_YEAR}年年初预算", region.short_name),
        doc_date: format!("{DEMO_YEAR}-01-15"),
        bgt_dec: String::new(),
        sup_bgt_doc_no: String::new(),
        ori_bgt_id: None,
        bgt_exe_flag: ExeFlag::Executable,
        pool_level: None,
        is_direct: false,
        is_three_safe: false,
        is_three_public: false,
        is_gov_pur: false,
        is_contrlbyplan: false,
        is_not_control_pay: false,
    })
}

/// Generates the demo ledger. Pure and deterministic.
pub fn generate(regions: &[DemoRegion], units: &[DemoUnit], rng: &mut DemoRng) -> DemoLedger {
    let mut builder = Builder {
        indicators: Vec::new(),
        transfers: Vec::new(),
    };
    for region in regions {
        let region_units: Vec<(usize, &DemoUnit)> = units
            .iter()
            .enumerate()
            .filter(|(_, unit)| unit.mof_div_code == region.mof_div_code)
            .collect();
        let Some(mut pool) = elements(region, None) else {
            continue;
        };
        pool.bgt_exe_flag = ExeFlag::Pool;
        pool.pool_level = Some(PoolLevel::Total);
        pool.bgt_type_code = "13".into();
        pool.bgt_doc_title = format!("{}{DEMO_YEAR}年总待分指标", region.short_name);
        let pool_id = BgtId::generated(hex_id(rng));
        // The children first, so the pool's amount is their sum plus a reserve.
        let mut children = Vec::new();
        for (index, unit) in region_units {
            let Some(base) = elements(region, Some(unit)) else {
                continue;
            };
            let staff = unit.actu_staf_num.max(3);
            let function = FUNCTIONS[index % FUNCTIONS.len()];
            let personnel = IndicatorElements {
                exp_func_code: function.into(),
                gov_bgt_eco_code: "501".into(),
                dep_bgt_eco_code: "301".into(),
                bgt_doc_title: format!("{}人员经费", unit.agency_abbreviation),
                is_three_safe: true,
                ..base.clone()
            };
            children.push((
                personnel,
                staff * 12_000_000 + rng.range(0, 99) as i64 * 100_000,
            ));
            let public = IndicatorElements {
                exp_func_code: function.into(),
                gov_bgt_eco_code: "502".into(),
                dep_bgt_eco_code: "302".into(),
                bgt_doc_title: format!("{}公用经费", unit.agency_abbreviation),
                ..base.clone()
            };
            children.push((public, staff * 2_000_000 + rng.range(0, 49) as i64 * 10_000));
            if rng.range(0, 1) == 0 {
                let project = IndicatorElements {
                    pro_code: format!(
                        "{}{DEMO_YEAR}P{:06}",
                        &unit.agency_code[..9.min(unit.agency_code.len())],
                        index % 1_000_000
                    ),
                    exp_func_code: function.into(),
                    gov_bgt_eco_code: "502".into(),
                    dep_bgt_eco_code: "302".into(),
                    bgt_doc_title: format!("{}业务工作专项", unit.agency_abbreviation),
                    cor_bgt_doc_no: doc_no(region, 2),
                    is_gov_pur: rng.range(0, 3) == 0,
                    ..base
                };
                children.push((project, rng.range(20, 500) as i64 * 1_000_000));
            }
        }
        let children_total: i64 = children.iter().map(|(_, amount)| *amount).sum();
        let pool_amount = children_total + children_total / 20 + 100_000_000;
        let source = AccountId::source(&pool.mof_div_code, pool.fiscal_year);
        builder.transfer(
            source,
            AccountId::of(&pool_id, AccountKind::Avail),
            pool_amount,
            TransferKind::Posted,
            None,
            Reason::Enter,
        );
        builder.indicators.push(SeedIndicator {
            bgt_id: pool_id.clone(),
            elements: pool,
            orig_amount: Fen(pool_amount),
            doc_id: None,
        });
        for (mut child, amount) in children {
            let child_id = BgtId::generated(hex_id(rng));
            child.ori_bgt_id = Some(pool_id.clone());
            builder.transfer(
                AccountId::of(&pool_id, AccountKind::Avail),
                AccountId::of(&child_id, AccountKind::Avail),
                amount,
                TransferKind::Posted,
                None,
                Reason::Split,
            );
            pay_some(&mut builder, rng, &child_id, amount);
            builder.indicators.push(SeedIndicator {
                bgt_id: child_id,
                elements: child,
                orig_amount: Fen(amount),
                doc_id: None,
            });
        }
    }
    DemoLedger {
        indicators: builder.indicators,
        transfers: builder.transfers,
    }
}

/// A few payments against an indicator: reserved, then mostly posted (in full or in part).
fn pay_some(builder: &mut Builder, rng: &mut DemoRng, bgt_id: &BgtId, amount: i64) {
    let avail = AccountId::of(bgt_id, AccountKind::Avail);
    let spent = AccountId::of(bgt_id, AccountKind::Spent);
    let mut left = amount;
    for _ in 0..rng.range(0, 3) {
        let payment = left / 100 * rng.range(5, 30) as i64;
        if payment <= 0 {
            break;
        }
        left -= payment;
        let pending = builder.transfer(
            avail.clone(),
            spent.clone(),
            payment,
            TransferKind::Pending,
            None,
            Reason::Payment,
        );
        match rng.range(0, 9) {
            0 => {} // still in flight
            1 => {
                builder.transfer(
                    avail.clone(),
                    spent.clone(),
                    0,
                    TransferKind::VoidPending,
                    Some(&pending),
                    Reason::Payment,
                );
                left += payment;
            }
            _ => {
                builder.transfer(
                    avail.clone(),
                    spent.clone(),
                    payment,
                    TransferKind::PostPending,
                    Some(&pending),
                    Reason::Payment,
                );
            }
        }
    }
}
