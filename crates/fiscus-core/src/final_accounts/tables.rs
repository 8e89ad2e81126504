//! The report set as data (DOMAIN.md §7.1): each table's code, number, title, columns and
//! row layout — fixed rows with their Chinese labels, and the slots where classification
//! rows (支出功能分类 类/款/项, 部门预算支出经济分类 类/款, accounts of the 财务会计 book)
//! go. Layouts follow the published forms in substance, simplified [I]: one amount column
//! (决算数) where the form has budget and final columns, and no 财决06/09/附表 yet.

/// One column: a stable code and its heading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub code: &'static str,
    pub label: &'static str,
}

/// Where a row of a table comes from, in layout order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowSpec {
    /// A fixed row.
    Fixed {
        code: &'static str,
        label: &'static str,
    },
    /// 支出功能分类 rows `f.{code}`, down to `depth` levels (1 类 … 3 项).
    Func { depth: u8 },
    /// 部门预算支出经济分类 rows `e.{code}` (类, 款).
    Eco,
    /// Accounts of one category of the 财务会计 book: `a.` 资产, `l.` 负债, `n.` 净资产.
    Accounts { prefix: &'static str },
}

/// A table of the set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableDef {
    /// Stable code, used in storage, URLs and check codes: `cj01`, `cj01_1`, …, `zcfz`.
    pub code: &'static str,
    /// The number printed on the form: 财决01.
    pub number: &'static str,
    pub title: &'static str,
    pub columns: &'static [Column],
    pub rows: &'static [RowSpec],
}

const fn fixed(code: &'static str, label: &'static str) -> RowSpec {
    RowSpec::Fixed { code, label }
}

const fn col(code: &'static str, label: &'static str) -> Column {
    Column { code, label }
}

/// The total row of the classification tables.
pub const TOTAL_ROW: &str = "total";

/// Income rows of 财决01 in order, each with the fund natures (资金性质 prefixes) that feed
/// it [I: fund-type codes of data/codes/<year>/fund_type.csv; 41 教育收费 and other 财政专户
/// funds count as 事业收入].
pub const INCOME_ROWS: [(&str, &str); 8] = [
    ("in.gpb", "一般公共预算财政拨款收入"),
    ("in.gfb", "政府性基金预算财政拨款收入"),
    ("in.soc", "国有资本经营预算财政拨款收入"),
    ("in.sup", "上级补助收入"),
    ("in.biz", "事业收入"),
    ("in.ops", "经营收入"),
    ("in.aff", "附属单位上缴收入"),
    ("in.oth", "其他收入"),
];

const CJ01_ROWS: [RowSpec; 15] = [
    fixed("in.gpb", "一般公共预算财政拨款收入"),
    fixed("in.gfb", "政府性基金预算财政拨款收入"),
    fixed("in.soc", "国有资本经营预算财政拨款收入"),
    fixed("in.sup", "上级补助收入"),
    fixed("in.biz", "事业收入"),
    fixed("in.ops", "经营收入"),
    fixed("in.aff", "附属单位上缴收入"),
    fixed("in.oth", "其他收入"),
    fixed("in.total", "本年收入合计"),
    fixed("open", "年初结转和结余"),
    fixed("in.grand", "收入总计"),
    RowSpec::Func { depth: 1 },
    fixed("ex.total", "本年支出合计"),
    fixed("close", "年末结转和结余"),
    fixed("ex.grand", "支出总计"),
];

const CJ01_1_ROWS: [RowSpec; 7] = [
    fixed("in", "本年收入"),
    fixed("open", "年初财政拨款结转和结余"),
    fixed("in.grand", "收入总计"),
    RowSpec::Func { depth: 1 },
    fixed("ex.total", "本年支出合计"),
    fixed("close", "年末财政拨款结转和结余"),
    fixed("ex.grand", "支出总计"),
];

const TREE_ROWS: [RowSpec; 2] = [fixed(TOTAL_ROW, "合计"), RowSpec::Func { depth: 3 }];
const ECO_ROWS: [RowSpec; 2] = [fixed(TOTAL_ROW, "合计"), RowSpec::Eco];

const FISCAL_COLUMNS: [Column; 4] = [
    col("total", "合计"),
    col("gpb", "一般公共预算财政拨款"),
    col("gfb", "政府性基金预算财政拨款"),
    col("soc", "国有资本经营预算财政拨款"),
];

const FLOW_COLUMNS: [Column; 4] = [
    col("open", "年初结转和结余"),
    col("income", "本年收入"),
    col("expend", "本年支出"),
    col("close", "年末结转和结余"),
];

const EXPEND_COLUMNS: [Column; 4] = [
    col("total", "本年支出合计"),
    col("basic", "基本支出"),
    col("project", "项目支出"),
    col("ops", "经营支出"),
];

const GPB_FLOW_COLUMNS: [Column; 6] = [
    col("open", "年初结转和结余"),
    col("income", "本年收入"),
    col("expend", "本年支出合计"),
    col("basic", "基本支出"),
    col("project", "项目支出"),
    col("close", "年末结转和结余"),
];

const GPB_EXPEND_COLUMNS: [Column; 3] = [
    col("total", "合计"),
    col("basic", "基本支出"),
    col("project", "项目支出"),
];

const ZCFZ_ROWS: [RowSpec; 8] = [
    RowSpec::Accounts { prefix: "a." },
    fixed("a.total", "资产合计"),
    RowSpec::Accounts { prefix: "l." },
    fixed("l.total", "负债合计"),
    RowSpec::Accounts { prefix: "n." },
    fixed("n.surplus", "本年盈余（收入减费用）"),
    fixed("n.total", "净资产合计"),
    fixed("ln.total", "负债和净资产总计"),
];

/// Every table of a set, in order.
pub const TABLES: [TableDef; 9] = [
    TableDef {
        code: "cj01",
        number: "财决01",
        title: "收入支出决算总表",
        columns: &[col("amount", "决算数")],
        rows: &CJ01_ROWS,
    },
    TableDef {
        code: "cj01_1",
        number: "财决01-1",
        title: "财政拨款收入支出决算总表",
        columns: &FISCAL_COLUMNS,
        rows: &CJ01_1_ROWS,
    },
    TableDef {
        code: "cj02",
        number: "财决02",
        title: "收入支出决算表",
        columns: &FLOW_COLUMNS,
        rows: &TREE_ROWS,
    },
    TableDef {
        code: "cj03",
        number: "财决03",
        title: "收入决算表",
        columns: &[
            col("total", "本年收入合计"),
            col("fiscal", "财政拨款收入"),
            col("sup", "上级补助收入"),
            col("biz", "事业收入"),
            col("ops", "经营收入"),
            col("aff", "附属单位上缴收入"),
            col("oth", "其他收入"),
        ],
        rows: &TREE_ROWS,
    },
    TableDef {
        code: "cj04",
        number: "财决04",
        title: "支出决算表",
        columns: &EXPEND_COLUMNS,
        rows: &TREE_ROWS,
    },
    TableDef {
        code: "cj05",
        number: "财决05",
        title: "支出决算明细表",
        columns: &EXPEND_COLUMNS,
        rows: &ECO_ROWS,
    },
    TableDef {
        code: "cj07",
        number: "财决07",
        title: "一般公共预算财政拨款收入支出决算表",
        columns: &GPB_FLOW_COLUMNS,
        rows: &TREE_ROWS,
    },
    TableDef {
        code: "cj08",
        number: "财决08",
        title: "一般公共预算财政拨款支出决算明细表",
        columns: &GPB_EXPEND_COLUMNS,
        rows: &ECO_ROWS,
    },
    TableDef {
        code: "zcfz",
        number: "资产负债简表",
        title: "资产负债简表",
        columns: &[col("amount", "年末数")],
        rows: &ZCFZ_ROWS,
    },
];

/// The definition of a table code.
pub fn table_def(code: &str) -> Option<&'static TableDef> {
    TABLES.iter().find(|def| def.code == code)
}

/// The position of a column in a table.
pub fn col_index(def: &TableDef, col_code: &str) -> Option<usize> {
    def.columns.iter().position(|c| c.code == col_code)
}

/// The label of a fixed row.
pub fn fixed_label(def: &TableDef, row_code: &str) -> Option<&'static str> {
    def.rows.iter().find_map(|spec| match spec {
        RowSpec::Fixed { code, label } if *code == row_code => Some(*label),
        _ => None,
    })
}

/// The sort key of a row in its table: the layout slot, then the code (classification rows
/// in code order, which is the tree's pre-order; the unclassified row last).
pub fn row_order(def: &TableDef, row_code: &str) -> (usize, String) {
    let slot = def.rows.iter().position(|spec| match spec {
        RowSpec::Fixed { code, .. } => *code == row_code,
        _ => false,
    });
    let slot = slot.or_else(|| {
        def.rows.iter().position(|spec| match spec {
            RowSpec::Func { .. } => row_code.starts_with("f."),
            RowSpec::Eco => row_code.starts_with("e."),
            RowSpec::Accounts { prefix } => row_code.starts_with(prefix),
            RowSpec::Fixed { .. } => false,
        })
    });
    let key = row_code.replace(UNCLASSIFIED, "~");
    (slot.unwrap_or(usize::MAX), key)
}

/// The code part of a classification row that has no class (empty code in the facts).
pub const UNCLASSIFIED: &str = "none";
/// The suffix of a leaf row for a code shorter than the deepest level (`f.20101.0`: money
/// classified only to the 款).
pub const NOT_REFINED: &str = ".0";

/// The parent of a classification row (`f.2010101` → `f.20101`, `f.20101.0` → `f.20101`,
/// `e.30101` → `e.301`); None for a top-level row or a fixed row.
pub fn parent_row(row_code: &str) -> Option<String> {
    let (prefix, code) = row_code.split_at_checked(2)?;
    if prefix != "f." && prefix != "e." {
        return None;
    }
    if let Some(base) = code.strip_suffix(NOT_REFINED) {
        return Some(format!("{prefix}{base}"));
    }
    match code.len() {
        5 | 7 => Some(format!("{prefix}{}", &code[..code.len() - 2])),
        _ => None,
    }
}
