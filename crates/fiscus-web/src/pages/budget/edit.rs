//! The 填报 form of a unit's budget and its two posts: 保存 (the five tables posted whole to
//! `budget_save`) and 报送 (`budget_submit`). The form is plain table rows — the stored lines,
//! then blank rows; a small script adds rows in place, and without it a save gives new blank
//! rows. Money is read with `Fen::parse_yuan`; a refusal names the table and row and redraws
//! the form with what was typed.

use std::collections::BTreeSet;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect};
use fiscus_app::AppError;
use fiscus_core::budget::{
    AssetLine, BudgetTables, ExpenseLine, IncomeKind, IncomeLine, LineKey, NonTaxLine,
    ProcurementLine,
};
use fiscus_core::{Fen, Rejection};
use maud::{Markup, PreEscaped, html};

use super::sheet::{ELEMENTS, Loaded, load, render, year_of};
use super::{Pairs, Refusal, form_pairs, sheet_href, value};
use crate::context::{CurrentUser, PageUser, RequestInfo};
use crate::pages::PageResult;
use crate::state::AppState;

/// Blank rows under the stored ones, per table.
const BLANK_ROWS: [(&str, usize); 5] = [("exp", 5), ("inc", 3), ("nt", 2), ("pur", 2), ("ast", 2)];

/// Adds a row to a table of the form (the buttons stay hidden without the script).
pub(super) const ADD_ROW_JS: &str = r#"
(function () {
  "use strict";
  document.querySelectorAll("[data-add-row]").forEach(function (button) { button.hidden = false; });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (!button) return;
    event.preventDefault();
    var body = document.getElementById(button.getAttribute("data-add-row"));
    if (!body || !body.rows.length) return;
    var copy = body.rows[body.rows.length - 1].cloneNode(true);
    var next = body.rows.length;
    copy.querySelectorAll("input, select").forEach(function (field) {
      field.name = field.name.replace(/_\d+$/, "_" + next);
      if (field.type === "checkbox") field.checked = false;
      else if (field.tagName === "SELECT") field.selectedIndex = 0;
      else field.value = "";
    });
    body.appendChild(copy);
    var first = copy.querySelector("input");
    if (first) first.focus();
  });
})();
"#;

/// The form's fields of stored tables.
fn pairs_of(tables: &BudgetTables) -> Pairs {
    let mut pairs = Pairs::new();
    let mut push = |name: String, value: String| pairs.push((name, value));
    let yuan = |fen: Fen| fen.to_yuan_string();
    for (i, line) in tables.expenses.iter().enumerate() {
        push(format!("exp_pro_{i}"), line.key.pro_code.clone());
        push(format!("exp_func_{i}"), line.key.exp_func_code.clone());
        push(format!("exp_gov_{i}"), line.key.gov_bgt_eco_code.clone());
        push(format!("exp_dep_{i}"), line.key.dep_bgt_eco_code.clone());
        push(format!("exp_fund_{i}"), line.key.fund_type_code.clone());
        if line.is_gov_pur {
            push(format!("exp_pur_{i}"), "1".into());
        }
        push(format!("exp_amt_{i}"), yuan(line.amount));
        push(format!("exp_remark_{i}"), line.remark.clone());
    }
    for (i, line) in tables.incomes.iter().enumerate() {
        push(format!("inc_kind_{i}"), line.kind.code().into());
        push(format!("inc_fund_{i}"), line.fund_type_code.clone());
        push(format!("inc_amt_{i}"), yuan(line.amount));
        push(format!("inc_remark_{i}"), line.remark.clone());
    }
    for (i, line) in tables.non_tax.iter().enumerate() {
        push(format!("nt_code_{i}"), line.item_code.clone());
        push(format!("nt_name_{i}"), line.item_name.clone());
        push(format!("nt_amt_{i}"), yuan(line.amount));
    }
    for (i, line) in tables.procurement.iter().enumerate() {
        push(format!("pur_pro_{i}"), line.pro_code.clone());
        push(format!("pur_item_{i}"), line.item_code.clone());
        push(format!("pur_name_{i}"), line.item_name.clone());
        push(format!("pur_qty_{i}"), line.quantity.to_string());
        push(format!("pur_amt_{i}"), yuan(line.amount));
    }
    for (i, line) in tables.assets.iter().enumerate() {
        push(format!("ast_pro_{i}"), line.pro_code.clone());
        push(format!("ast_class_{i}"), line.asset_class.clone());
        push(format!("ast_name_{i}"), line.asset_name.clone());
        push(format!("ast_qty_{i}"), line.quantity.to_string());
        push(format!("ast_price_{i}"), yuan(line.unit_price));
        push(format!("ast_amt_{i}"), yuan(line.amount));
    }
    pairs
}

/// The row numbers of a table that hold any typed text (`fields` are the text fields).
fn filled_rows(pairs: &Pairs, table: &str, fields: &[&str]) -> BTreeSet<usize> {
    pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .filter_map(|(key, _)| {
            let rest = key.strip_prefix(table)?.strip_prefix('_')?;
            let (field, index) = rest.rsplit_once('_')?;
            fields.contains(&field).then_some(())?;
            index.parse::<usize>().ok()
        })
        .collect()
}

/// How many rows a table of the form shows: every row up to the last typed one, then blanks.
fn n_rows(pairs: &Pairs, table: &str, fields: &[&str]) -> usize {
    let blank = BLANK_ROWS
        .iter()
        .find(|(t, _)| *t == table)
        .map_or(2, |(_, n)| *n);
    let used = filled_rows(pairs, table, fields)
        .last()
        .map_or(0, |last| last + 1)
        .min(fiscus_core::budget::TABLE_LINES_MAX);
    used + blank
}

const EXP_FIELDS: [&str; 7] = ["pro", "func", "gov", "dep", "fund", "amt", "remark"];
const INC_FIELDS: [&str; 3] = ["fund", "amt", "remark"];
const NT_FIELDS: [&str; 3] = ["code", "name", "amt"];
const PUR_FIELDS: [&str; 5] = ["pro", "item", "name", "qty", "amt"];
const AST_FIELDS: [&str; 6] = ["pro", "class", "name", "qty", "price", "amt"];

fn amount(text: &str, field: &'static str) -> Result<Fen, Rejection> {
    if text.trim().is_empty() {
        return Err(Rejection::FieldRequired { field });
    }
    Fen::parse_yuan(text, field)
}

fn quantity(text: &str, field: &'static str) -> Result<i64, Rejection> {
    if text.trim().is_empty() {
        return Err(Rejection::FieldRequired { field });
    }
    text.trim()
        .parse::<i64>()
        .map_err(|_| Rejection::FieldInvalid {
            field,
            expected: "整数",
        })
}

/// Reads the five tables from the form; blank rows are left out. A refusal says where.
fn tables_of(pairs: &Pairs) -> Result<BudgetTables, (String, Rejection)> {
    let v = |table: &str, field: &str, i: usize| value(pairs, &format!("{table}_{field}_{i}"));
    let at = |name: &'static str, i: usize| {
        move |rejection: Rejection| (format!("{name}第 {} 行", i + 1), rejection)
    };
    let mut tables = BudgetTables::default();
    for i in filled_rows(pairs, "exp", &EXP_FIELDS) {
        tables.expenses.push(ExpenseLine {
            key: LineKey {
                pro_code: v("exp", "pro", i),
                exp_func_code: v("exp", "func", i),
                gov_bgt_eco_code: v("exp", "gov", i),
                dep_bgt_eco_code: v("exp", "dep", i),
                fund_type_code: v("exp", "fund", i),
            },
            amount: amount(&v("exp", "amt", i), "预算金额").map_err(at("支出预算", i))?,
            is_gov_pur: !v("exp", "pur", i).is_empty(),
            remark: v("exp", "remark", i),
        });
    }
    for i in filled_rows(pairs, "inc", &INC_FIELDS) {
        tables.incomes.push(IncomeLine {
            kind: IncomeKind::parse(&v("inc", "kind", i)).map_err(at("收入预算", i))?,
            fund_type_code: v("inc", "fund", i),
            amount: amount(&v("inc", "amt", i), "收入金额").map_err(at("收入预算", i))?,
            remark: v("inc", "remark", i),
        });
    }
    for i in filled_rows(pairs, "nt", &NT_FIELDS) {
        tables.non_tax.push(NonTaxLine {
            item_code: v("nt", "code", i),
            item_name: v("nt", "name", i),
            amount: amount(&v("nt", "amt", i), "征收计划金额").map_err(at("非税征收计划", i))?,
        });
    }
    for i in filled_rows(pairs, "pur", &PUR_FIELDS) {
        tables.procurement.push(ProcurementLine {
            pro_code: v("pur", "pro", i),
            item_code: v("pur", "item", i),
            item_name: v("pur", "name", i),
            quantity: quantity(&v("pur", "qty", i), "采购数量").map_err(at("政府采购预算", i))?,
            amount: amount(&v("pur", "amt", i), "采购金额").map_err(at("政府采购预算", i))?,
        });
    }
    for i in filled_rows(pairs, "ast", &AST_FIELDS) {
        let place = at("资产购置计划", i);
        let n = quantity(&v("ast", "qty", i), "购置数量").map_err(place)?;
        let unit_price = amount(&v("ast", "price", i), "单价").map_err(place)?;
        let typed = v("ast", "amt", i);
        // 金额 left blank is 数量×单价, as the form says.
        let total = if typed.trim().is_empty() {
            unit_price.checked_mul(n).ok_or(Rejection::AmountTooLarge {
                field: "购置金额",
                yuan_max: "100亿",
            })
        } else {
            Fen::parse_yuan(&typed, "购置金额")
        }
        .map_err(place)?;
        tables.assets.push(AssetLine {
            pro_code: v("ast", "pro", i),
            asset_class: v("ast", "class", i),
            asset_name: v("ast", "name", i),
            quantity: n,
            unit_price,
            amount: total,
        });
    }
    Ok(tables)
}

fn input(pairs: &Pairs, name: String, hint: &str, class: &str, list: Option<&str>) -> Markup {
    html! {
        td { input type="text" class=(class) name=(name.clone()) value=(value(pairs, &name)) placeholder=(hint) aria-label=(hint) list=[list]; }
    }
}

fn add_row_button(body_id: &str) -> Markup {
    html! { p class="add-row" { button type="button" class="button small" data-add-row=(body_id) hidden { "＋ 添加一行" } } }
}

/// The 填报 form; `typed` redraws what was posted after a refusal.
pub(super) fn form(user: &CurrentUser, loaded: &Loaded, typed: Option<&Pairs>) -> Markup {
    let stored;
    let pairs = match typed {
        Some(pairs) => pairs,
        None => {
            stored = loaded
                .view
                .as_ref()
                .map(|view| pairs_of(&view.tables))
                .unwrap_or_default();
            &stored
        }
    };
    let action = format!("{}/save", sheet_href(loaded.year, &loaded.agency_code));
    let fund_options = loaded.codes.get("fund_type").cloned().unwrap_or_default();
    let n_exp = n_rows(pairs, "exp", &EXP_FIELDS);
    let n_inc = n_rows(pairs, "inc", &INC_FIELDS);
    let n_nt = n_rows(pairs, "nt", &NT_FIELDS);
    let n_pur = n_rows(pairs, "pur", &PUR_FIELDS);
    let n_ast = n_rows(pairs, "ast", &AST_FIELDS);
    let fund_select = |name: String| {
        let current = value(pairs, &name);
        html! {
            td {
                select name=(name) aria-label="资金性质" {
                    option value="" { "（选择）" }
                    @for (code, label) in &fund_options {
                        option value=(code) selected[*code == current] { (code) " " (label) }
                    }
                }
            }
        }
    };
    html! {
        form method="post" action=(action) class="record-form budget-form" id="budget-form" {
            (csrf_field_of(user))
            p class="muted small" {
                "每张表一行一条，金额以元为单位（最多两位小数）。空行不保存；保存时整表覆盖。"
                "代码可从下拉提示中选择。保存后请查看勾稽审核表。"
            }
            @for (element, label) in ELEMENTS {
                datalist id=(format!("dl-{element}")) aria-label=(label) {
                    @for (code, name) in loaded.codes.get(element).into_iter().flatten() {
                        option value=(code) { (name) }
                    }
                }
            }
            datalist id="dl-projects" {
                @for (code, name) in &loaded.projects { option value=(code) { (name) } }
            }
            h2 { "① 支出预算" }
            @if loaded.projects.is_empty() {
                p class="notice warn" { "本单位还没有已入库的项目。支出预算的每一行须对应一个已入库的项目，请先到「项目库」申报项目。" }
            }
            div class="table-wrap" {
                table class="data edit-rows" {
                    thead { tr {
                        th { "项目代码" } th { "支出功能分类" } th { "政府经济分类" } th { "部门经济分类" } th { "资金性质" } th { "政府采购" } th { "金额（元）" } th { "备注" }
                    } }
                    tbody id="rows-exp" {
                        @for i in 0..n_exp {
                            tr {
                                (input(pairs, format!("exp_pro_{i}"), "项目代码", "", Some("dl-projects")))
                                (input(pairs, format!("exp_func_{i}"), "如 2050201", "", Some("dl-exp_func")))
                                (input(pairs, format!("exp_gov_{i}"), "如 50502", "short", Some("dl-gov_bgt_eco")))
                                (input(pairs, format!("exp_dep_{i}"), "如 30201", "short", Some("dl-dep_bgt_eco")))
                                (fund_select(format!("exp_fund_{i}")))
                                td { input type="checkbox" name=(format!("exp_pur_{i}")) value="1" checked[!value(pairs, &format!("exp_pur_{i}")).is_empty()] aria-label="政府采购"; }
                                (input(pairs, format!("exp_amt_{i}"), "金额（元）", "num", None))
                                (input(pairs, format!("exp_remark_{i}"), "备注", "", None))
                            }
                        }
                    }
                }
            }
            (add_row_button("rows-exp"))
            h2 { "② 收入预算" }
            div class="table-wrap" {
                table class="data edit-rows" {
                    thead { tr { th { "收入类型" } th { "资金性质" } th { "金额（元）" } th { "备注" } } }
                    tbody id="rows-inc" {
                        @for i in 0..n_inc {
                            @let kind = value(pairs, &format!("inc_kind_{i}"));
                            tr {
                                td {
                                    select name=(format!("inc_kind_{i}")) aria-label="收入类型" {
                                        @for option in IncomeKind::ALL {
                                            option value=(option.code()) selected[option.code() == kind] { (option.label()) }
                                        }
                                    }
                                }
                                (fund_select(format!("inc_fund_{i}")))
                                (input(pairs, format!("inc_amt_{i}"), "金额（元）", "num", None))
                                (input(pairs, format!("inc_remark_{i}"), "备注", "", None))
                            }
                        }
                    }
                }
            }
            (add_row_button("rows-inc"))
            h2 { "③ 非税征收计划" }
            p class="muted small" { "合计须等于收入预算中「非税收入」的金额。" }
            div class="table-wrap" {
                table class="data edit-rows" {
                    thead { tr { th { "非税收入项目代码" } th { "项目名称" } th { "征收计划（元）" } } }
                    tbody id="rows-nt" {
                        @for i in 0..n_nt {
                            tr {
                                (input(pairs, format!("nt_code_{i}"), "项目代码", "short", None))
                                (input(pairs, format!("nt_name_{i}"), "项目名称", "", None))
                                (input(pairs, format!("nt_amt_{i}"), "金额（元）", "num", None))
                            }
                        }
                    }
                }
            }
            (add_row_button("rows-nt"))
            h2 { "④ 政府采购预算" }
            p class="muted small" { "每个项目的采购金额不能超过该项目勾选了「政府采购」的支出。" }
            div class="table-wrap" {
                table class="data edit-rows" {
                    thead { tr { th { "项目代码" } th { "采购品目" } th { "品目名称" } th { "数量" } th { "金额（元）" } } }
                    tbody id="rows-pur" {
                        @for i in 0..n_pur {
                            tr {
                                (input(pairs, format!("pur_pro_{i}"), "项目代码", "", Some("dl-projects")))
                                (input(pairs, format!("pur_item_{i}"), "如 A02010104", "short", None))
                                (input(pairs, format!("pur_name_{i}"), "品目名称", "", None))
                                (input(pairs, format!("pur_qty_{i}"), "数量", "short num", None))
                                (input(pairs, format!("pur_amt_{i}"), "金额（元）", "num", None))
                            }
                        }
                    }
                }
            }
            (add_row_button("rows-pur"))
            h2 { "⑤ 资产购置计划" }
            p class="muted small" { "数量×单价=金额；金额不填时按数量×单价计算。须有对应的资本性支出（经济分类 309、310）。" }
            div class="table-wrap" {
                table class="data edit-rows" {
                    thead { tr { th { "项目代码" } th { "资产分类" } th { "资产名称" } th { "数量" } th { "单价（元）" } th { "金额（元）" } } }
                    tbody id="rows-ast" {
                        @for i in 0..n_ast {
                            tr {
                                (input(pairs, format!("ast_pro_{i}"), "项目代码", "", Some("dl-projects")))
                                (input(pairs, format!("ast_class_{i}"), "资产分类", "short", None))
                                (input(pairs, format!("ast_name_{i}"), "资产名称", "", None))
                                (input(pairs, format!("ast_qty_{i}"), "数量", "short num", None))
                                (input(pairs, format!("ast_price_{i}"), "单价（元）", "num", None))
                                (input(pairs, format!("ast_amt_{i}"), "金额（元）", "num", None))
                            }
                        }
                    }
                }
            }
            (add_row_button("rows-ast"))
            p class="muted small" { "没有「添加一行」按钮时：先保存，保存后每张表会再给出空行。" }
            div class="form-actions" {
                button type="submit" class="button primary" { "保存预算表" }
                " "
                a class="button ghost" href=(sheet_href(loaded.year, &loaded.agency_code)) { "放弃修改" }
            }
        }
        script { (PreEscaped(ADD_ROW_JS)) }
    }
}

fn csrf_field_of(user: &CurrentUser) -> Markup {
    crate::pages::layout::csrf_field(user)
}

pub async fn save(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((year_text, agency_code)): Path<(String, String)>,
    form: Result<Form<Pairs>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let year = year_of(&year_text, rid)?;
    let pairs = form_pairs(form, rid)?;
    let refusal = match tables_of(&pairs) {
        Err((place, rejection)) => Refusal::at(&place, rejection, rid),
        Ok(tables) => match state
            .app
            .budget_save(&user.principal, year, &agency_code, &tables, &info.ctx())
            .await
        {
            Ok(_) => {
                let to = format!("{}?tab=checks&ok=saved", sheet_href(year, &agency_code));
                return Ok(Redirect::to(&to).into_response());
            }
            Err(error @ AppError::Rejected(_)) => Refusal::of(&error, rid),
            Err(error) => return Err(crate::pages::PageError::new(error, rid)),
        },
    };
    let loaded = load(&state, &user, year, &agency_code, 1, rid).await?;
    Ok(render(
        &user,
        &loaded,
        "edit",
        &Vec::new(),
        Some(&pairs),
        Some((&refusal, "预算表未保存，请修改后重新保存")),
    ))
}

pub async fn submit(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((year_text, agency_code)): Path<(String, String)>,
) -> PageResult {
    let rid = &info.request_id;
    let year = year_of(&year_text, rid)?;
    let refusal = match state
        .app
        .budget_submit(&user.principal, year, &agency_code, &info.ctx())
        .await
    {
        Ok(_) => {
            let to = format!("{}?ok=submitted", sheet_href(year, &agency_code));
            return Ok(Redirect::to(&to).into_response());
        }
        Err(error @ AppError::Rejected(_)) => Refusal::of(&error, rid),
        Err(error) => return Err(crate::pages::PageError::new(error, rid)),
    };
    let loaded = load(&state, &user, year, &agency_code, 1, rid).await?;
    Ok(render(
        &user,
        &loaded,
        "checks",
        &Vec::new(),
        None,
        Some((&refusal, "预算未报送")),
    ))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Pairs {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn blank_rows_are_left_out_and_money_is_read_as_fen() {
        let form = pairs(&[
            ("exp_pro_0", "P1"),
            ("exp_func_0", "2050201"),
            ("exp_gov_0", "50502"),
            ("exp_dep_0", "30201"),
            ("exp_fund_0", "111"),
            ("exp_amt_0", "1,234.50"),
            ("exp_pro_1", ""),
            ("exp_fund_1", ""),
            ("inc_kind_0", "appropriation"),
            ("inc_kind_1", "appropriation"),
            ("inc_fund_0", "111"),
            ("inc_amt_0", "1234.5"),
            ("ast_pro_0", "P1"),
            ("ast_class_0", "A01"),
            ("ast_name_0", "电脑"),
            ("ast_qty_0", "2"),
            ("ast_price_0", "3000"),
        ]);
        let tables = tables_of(&form).expect("reads");
        assert_eq!(tables.expenses.len(), 1);
        assert_eq!(tables.expenses[0].amount, Fen(123_450));
        assert_eq!(tables.incomes.len(), 1, "a kind alone is a blank row");
        assert_eq!(tables.assets[0].amount, Fen(600_000), "数量×单价");
        assert_eq!(pairs_of(&tables).len(), 7 + 4 + 6);
    }

    #[test]
    fn a_refusal_names_the_table_and_row() {
        let form = pairs(&[("exp_pro_2", "P1"), ("exp_amt_2", "12.345")]);
        let (place, rejection) = tables_of(&form).expect_err("refused");
        assert_eq!(place, "支出预算第 3 行");
        assert_eq!(rejection.code(), "amount_invalid");
        let form = pairs(&[("pur_pro_0", "P1"), ("pur_qty_0", "两台")]);
        assert_eq!(
            tables_of(&form).expect_err("refused").0,
            "政府采购预算第 1 行"
        );
    }
}
