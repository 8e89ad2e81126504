//! The project declaration workbook (项目申报): a template and an import that creates one
//! draft project per row of the 「项目」 sheet for the clerk's own unit, through
//! `App::project_create` (the same rules as the form). The multi-year plan, estimation
//! detail and performance targets are rows of their own sheets, tied to their project by
//! the 序号 of its row in 「项目」. Every row is checked, and every project's cross-field
//! rules (`ProjectInput::check`), before the first project is written; a project is then
//! refused only by a database failure.

use std::collections::BTreeMap;

use fiscus_core::project::{
    EstimationLine, PlanLine, ProjectCategory, ProjectInput, TargetLevel1, TargetLine,
};
use fiscus_core::{Action, AgencyCode, Fen, FiscalYear, Principal, Rejection, Resource};
use rust_xlsxwriter::Workbook;

use super::read::{RawRow, cell_row_errors, read_sheets, sort_row_errors};
use super::template::{add_notes_sheet, add_table_sheet};
use super::{Column, ImportReport, SheetDef, SheetRowError, xlsx};
use crate::{App, AppError, RequestCtx};

const SERIAL: &str = "序号";

/// The projects, one per row.
pub const PROJECTS: SheetDef = SheetDef {
    name: "项目",
    columns: &[
        Column::required(
            SERIAL,
            "本文件内的项目序号（正整数，各行不同），其他工作表用它指明所属项目",
        ),
        Column::required("项目名称", "文本，最多 100 个字符"),
        Column::required(
            "项目类别",
            "1 人员类、2 运转类、3 特定目标类（填代码或名称）",
        ),
        Column::required("开始年度", "4 位年度，如 2026"),
        Column::required("结束年度", "4 位年度，不早于开始年度，期限不超过 10 年"),
    ],
};

/// 分年支出计划: one row per project and year.
pub const PLAN: SheetDef = SheetDef {
    name: "分年支出计划",
    columns: &[
        Column::required(SERIAL, "所属项目的序号"),
        Column::required("年度", "项目期限内的年度，同一项目各年不同"),
        Column::required(
            "金额（元）",
            "该年支出计划，单位元，最多两位小数；各年合计须等于测算明细合计",
        ),
    ],
};

/// 测算明细: quantity × unit price = amount.
pub const ESTIMATION: SheetDef = SheetDef {
    name: "测算明细",
    columns: &[
        Column::required(SERIAL, "所属项目的序号"),
        Column::required("测算项目", "文本"),
        Column::required("数量", "正整数"),
        Column::required("单价（元）", "单位元，最多两位小数"),
        Column::required("金额（元）", "= 数量 × 单价"),
        Column::required("测算依据", "文本"),
    ],
};

/// 绩效目标: three-level indicators.
pub const TARGETS: SheetDef = SheetDef {
    name: "绩效目标",
    columns: &[
        Column::required(SERIAL, "所属项目的序号"),
        Column::required(
            "一级指标",
            "产出指标、效益指标或满意度指标；特定目标类项目至少各有一项产出和效益指标",
        ),
        Column::required("二级指标", "如 数量指标"),
        Column::required("三级指标", "如 培训人次"),
        Column::required("指标值", "如 ≥500"),
        Column::optional("计量单位", "如 人次；定性指标可不填"),
    ],
};

const SHEETS: [&SheetDef; 4] = [&PROJECTS, &PLAN, &ESTIMATION, &TARGETS];

type Refusal = (&'static str, Rejection);

fn require_clerk(who: &Principal) -> Result<AgencyCode, AppError> {
    match who.agency_code() {
        Some(code) if who.can(Action::Write, Resource::Project) => Ok(code.clone()),
        _ => Err(Rejection::Forbidden.into()),
    }
}

impl App {
    /// The project declaration template (a clerk of a unit).
    pub fn project_template(&self, who: &Principal) -> Result<Vec<u8>, AppError> {
        require_clerk(who)?;
        let mut workbook = Workbook::new();
        for def in SHEETS {
            add_table_sheet(&mut workbook, def)?;
        }
        let rules = vec![
            "「项目」工作表每行一个项目，序号在本文件内唯一；「分年支出计划」「测算明细」「绩效目标」每行属于一个项目，以序号对应。".to_owned(),
            "导入的项目都是本单位的草稿，导入后在项目库中逐个申报。".to_owned(),
            "金额以元为单位，最多两位小数；各年支出计划合计须等于测算明细合计；测算明细金额须等于数量×单价。".to_owned(),
            "只要有一行或一个项目有错，整个文件都不导入，并列出每个错误的工作表、行号、列和说明。".to_owned(),
        ];
        add_notes_sheet(&mut workbook, "项目申报导入说明", &rules, &SHEETS)?;
        workbook.save_to_buffer().map_err(xlsx)
    }

    /// Creates one draft project per row of 「项目」, all or none (see the module).
    pub async fn project_import(
        &self,
        who: &Principal,
        setup_year: FiscalYear,
        bytes: &[u8],
        ctx: &RequestCtx,
    ) -> Result<ImportReport, AppError> {
        let agency_code = require_clerk(who)?;
        let (sheets, cell_errors) = read_sheets(bytes, &SHEETS)?;
        let n_rows = sheets.iter().map(Vec::len).sum();
        let mut errors = cell_row_errors(&SHEETS, cell_errors);
        let mut refuse = |def: &SheetDef, row: u32, (column, rejection): Refusal| {
            errors.push(SheetRowError {
                sheet: def.name,
                row,
                column: column.to_owned(),
                rejection,
            });
        };
        let mut projects: BTreeMap<i64, (u32, ProjectInput)> = BTreeMap::new();
        for raw in &sheets[0] {
            match project_row(&agency_code, raw) {
                Ok((serial, _)) if projects.contains_key(&serial) => refuse(
                    &PROJECTS,
                    raw.row,
                    (
                        SERIAL,
                        Rejection::DuplicateCode {
                            what: "项目序号",
                            value: serial.to_string(),
                        },
                    ),
                ),
                Ok((serial, input)) => {
                    projects.insert(serial, (raw.row, input));
                }
                Err(refusal) => refuse(&PROJECTS, raw.row, refusal),
            }
        }
        // A project with a refused line is not checked as a whole: its tables are partial.
        let mut partial = std::collections::BTreeSet::new();
        for (def, rows) in SHEETS.iter().zip(&sheets).skip(1) {
            for raw in rows {
                let added = serial_of(def, raw).and_then(|serial| {
                    let (_, input) = projects.get_mut(&serial).ok_or((
                        SERIAL,
                        Rejection::NotFound {
                            what: "该序号的项目",
                        },
                    ))?;
                    add_line(def, raw, input)
                });
                if let Err(refusal) = added {
                    if let Ok(serial) = serial_of(def, raw) {
                        partial.insert(serial);
                    }
                    refuse(def, raw.row, refusal);
                }
            }
        }
        for (serial, (row, input)) in &projects {
            if partial.contains(serial) {
                continue;
            }
            if let Err(rejection) = input.check() {
                refuse(
                    &PROJECTS,
                    *row,
                    (rejection.field().unwrap_or(""), rejection),
                );
            }
        }
        if !errors.is_empty() {
            sort_row_errors(&SHEETS, &mut errors);
            return Ok(ImportReport {
                n_written: 0,
                n_rows,
                errors,
            });
        }
        for (_, input) in projects.values() {
            self.project_create(who, input, setup_year, ctx).await?;
        }
        Ok(ImportReport {
            n_written: projects.len(),
            n_rows,
            errors,
        })
    }
}

fn cell<'r>(def: &SheetDef, raw: &'r RawRow, label: &str) -> &'r str {
    raw.get(def.at(label))
}

fn integer(text: &str, column: &'static str) -> Result<i64, Refusal> {
    if text.is_empty() {
        return Err((column, Rejection::FieldRequired { field: column }));
    }
    text.parse::<i64>().ok().filter(|n| *n > 0).ok_or((
        column,
        Rejection::FieldInvalid {
            field: column,
            expected: "正整数",
        },
    ))
}

fn year(text: &str, column: &'static str) -> Result<FiscalYear, Refusal> {
    FiscalYear::parse(text).map_err(|rejection| (column, rejection))
}

fn money(text: &str, column: &'static str) -> Result<Fen, Refusal> {
    if text.is_empty() {
        return Err((column, Rejection::FieldRequired { field: column }));
    }
    Fen::parse_yuan(text, column).map_err(|rejection| (column, rejection))
}

fn serial_of(def: &SheetDef, raw: &RawRow) -> Result<i64, Refusal> {
    integer(cell(def, raw, SERIAL), SERIAL)
}

fn project_row(agency_code: &AgencyCode, raw: &RawRow) -> Result<(i64, ProjectInput), Refusal> {
    let get = |label| cell(&PROJECTS, raw, label);
    let serial = serial_of(&PROJECTS, raw)?;
    let category_text = get("项目类别");
    let pro_cat_code = ProjectCategory::ALL
        .into_iter()
        .find(|category| category.label() == category_text)
        .map_or_else(|| ProjectCategory::parse(category_text), Ok)
        .map_err(|rejection| ("项目类别", rejection))?;
    let input = ProjectInput {
        pro_name: get("项目名称").to_owned(),
        agency_code: agency_code.clone(),
        pro_cat_code,
        start_year: year(get("开始年度"), "开始年度")?,
        end_year: year(get("结束年度"), "结束年度")?,
        plan: Vec::new(),
        estimation: Vec::new(),
        targets: Vec::new(),
    };
    Ok((serial, input))
}

fn add_line(def: &SheetDef, raw: &RawRow, input: &mut ProjectInput) -> Result<(), Refusal> {
    let get = |label| cell(def, raw, label);
    if def.name == PLAN.name {
        let plan_year = year(get("年度"), "年度")?;
        input.plan.push(PlanLine {
            year: plan_year.0,
            amount_fen: money(get("金额（元）"), "金额（元）")?,
        });
    } else if def.name == ESTIMATION.name {
        input.estimation.push(EstimationLine {
            item: get("测算项目").to_owned(),
            quantity: integer(get("数量"), "数量")?,
            unit_price_fen: money(get("单价（元）"), "单价（元）")?,
            amount_fen: money(get("金额（元）"), "金额（元）")?,
            basis: get("测算依据").to_owned(),
        });
    } else {
        let level1_text = get("一级指标");
        let level1 = [
            TargetLevel1::Output,
            TargetLevel1::Effect,
            TargetLevel1::Satisfaction,
        ]
        .into_iter()
        .find(|level| {
            level.label() == level1_text || level.label().trim_end_matches("指标") == level1_text
        })
        .ok_or((
            "一级指标",
            Rejection::FieldInvalid {
                field: "一级指标",
                expected: "产出指标、效益指标或满意度指标",
            },
        ))?;
        input.targets.push(TargetLine {
            level1,
            level2: get("二级指标").to_owned(),
            level3: get("三级指标").to_owned(),
            target_value: get("指标值").to_owned(),
            unit: get("计量单位").to_owned(),
        });
    }
    Ok(())
}
