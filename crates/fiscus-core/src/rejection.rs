//! The closed set of business rejections. Each variant is named after the rule it enforces,
//! has a stable snake_case code (clients match on it) and a Chinese message (people read it).
//!
//! Order of precedence when several rules fail: authentication, then authorization, then the
//! format of each field in form order, then existence of referenced records, then business
//! rules, then conflicts with existing data. A request reports the first failure only.

use thiserror::Error;

use crate::flow::validate::DefinitionProblem;

/// Field labels are Chinese (`单位名称`), so that a message names the field the user sees.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Rejection {
    // Authentication and sessions.
    #[error("login_failed")]
    LoginFailed,
    #[error("account_locked")]
    AccountLocked { minutes_left: i64 },
    #[error("account_disabled")]
    AccountDisabled,
    #[error("not_authenticated")]
    NotAuthenticated,
    #[error("password_change_required")]
    PasswordChangeRequired,
    #[error("csrf_token_invalid")]
    CsrfTokenInvalid,
    #[error("too_many_requests")]
    TooManyRequests,
    // Authorization.
    #[error("forbidden")]
    Forbidden,
    // Field formats.
    #[error("field_required")]
    FieldRequired { field: &'static str },
    #[error("field_too_long")]
    FieldTooLong {
        field: &'static str,
        length_max: usize,
    },
    #[error("field_invalid")]
    FieldInvalid {
        field: &'static str,
        expected: &'static str,
    },
    #[error("text_has_special_chars")]
    TextHasSpecialChars { field: &'static str },
    #[error("amount_invalid")]
    AmountInvalid { field: &'static str },
    #[error("amount_negative")]
    AmountNegative { field: &'static str },
    #[error("number_out_of_range")]
    NumberOutOfRange {
        field: &'static str,
        min: i64,
        max: i64,
    },
    #[error("mof_div_code_invalid")]
    MofDivCodeInvalid { value: String },
    #[error("agency_code_invalid")]
    AgencyCodeInvalid { value: String },
    #[error("fiscal_year_invalid")]
    FiscalYearInvalid { value: String },
    #[error("uscc_format_invalid")]
    UsccFormatInvalid { value: String },
    #[error("uscc_check_char_wrong")]
    UsccCheckCharWrong { value: String, expected: char },
    #[error("identity_number_invalid")]
    IdentityNumberInvalid,
    #[error("identity_check_char_wrong")]
    IdentityCheckCharWrong,
    #[error("user_name_invalid")]
    UserNameInvalid { value: String },
    #[error("account_no_invalid")]
    AccountNoInvalid { value: String },
    #[error("bank_code_invalid")]
    BankCodeInvalid { value: String },
    #[error("role_unknown")]
    RoleUnknown { value: String },
    #[error("password_too_weak")]
    PasswordTooWeak,
    #[error("password_reused")]
    PasswordReused,
    // Queries.
    #[error("page_size_exceeded")]
    PageSizeExceeded { page_size_max: u32 },
    #[error("sort_field_unknown")]
    SortFieldUnknown { value: String },
    #[error("export_rows_exceeded")]
    ExportRowsExceeded { export_rows_max: u32 },
    // Excel imports: the file as a whole (each row is checked like a single create).
    #[error("import_rows_exceeded")]
    ImportRowsExceeded { import_rows_max: u32 },
    #[error("import_header_unknown")]
    ImportHeaderUnknown { header: String },
    // Existence.
    #[error("not_found")]
    NotFound { what: &'static str },
    #[error("parent_unknown")]
    ParentUnknown { field: &'static str, value: String },
    #[error("code_not_in_year_table")]
    CodeNotInYearTable {
        element_name: String,
        code: String,
        fiscal_year: i32,
    },
    #[error("element_unknown")]
    ElementUnknown { value: String },
    // Business rules.
    #[error("code_not_under_parent")]
    CodeNotUnderParent { code: String, parent_code: String },
    #[error("code_segment_invalid")]
    CodeSegmentInvalid { code: String, segments: String },
    #[error("local_code_needs_national_parent")]
    LocalCodeNeedsNationalParent,
    #[error("national_code_read_only")]
    NationalCodeReadOnly,
    #[error("region_level_invalid")]
    RegionLevelInvalid { detail: &'static str },
    #[error("parent_disabled")]
    ParentDisabled { field: &'static str },
    #[error("agency_parent_cycle")]
    AgencyParentCycle,
    #[error("agency_parent_other_region")]
    AgencyParentOtherRegion,
    #[error("has_enabled_children")]
    HasEnabledChildren { what: &'static str },
    #[error("zero_balance_account_exists")]
    ZeroBalanceAccountExists,
    #[error("role_org_mismatch")]
    RoleOrgMismatch { role: &'static str },
    #[error("cannot_disable_self")]
    CannotDisableSelf,
    #[error("year_already_exists")]
    YearAlreadyExists { fiscal_year: i32 },
    // Indicator ledger (指标账). Amounts first, then the indicator's state, then its elements,
    // then balances, then idempotency.
    #[error("amount_not_positive")]
    AmountNotPositive { field: &'static str },
    #[error("amount_too_large")]
    AmountTooLarge {
        field: &'static str,
        yuan_max: &'static str,
    },
    #[error("indicator_closed")]
    IndicatorClosed { bgt_id: String },
    #[error("indicator_not_executable")]
    IndicatorNotExecutable { bgt_id: String },
    #[error("indicator_year_mismatch")]
    IndicatorYearMismatch,
    #[error("indicator_same_on_both_sides")]
    IndicatorSameOnBothSides,
    #[error("classification_not_refinement")]
    ClassificationNotRefinement { field: &'static str },
    #[error("element_mismatch")]
    ElementMismatch { field: &'static str },
    #[error("exceeds_available_balance")]
    ExceedsAvailableBalance { bgt_id: String, available_fen: i64 },
    #[error("exceeds_frozen_amount")]
    ExceedsFrozenAmount { bgt_id: String, frozen_fen: i64 },
    #[error("exceeds_spent_amount")]
    ExceedsSpentAmount { bgt_id: String, spent_fen: i64 },
    #[error("exceeds_pending_amount")]
    ExceedsPendingAmount { pending_fen: i64 },
    #[error("pending_already_resolved")]
    PendingAlreadyResolved { transfer_id: String },
    #[error("indicator_has_reservations")]
    IndicatorHasReservations { bgt_id: String },
    #[error("not_an_advance")]
    NotAnAdvance { bgt_id: String },
    /// The region close (年终结转) refused: indicators still hold 在途 reservations.
    #[error("year_end_open_reservations")]
    YearEndOpenReservations { n_indicators: i64 },
    /// The region's year was already closed.
    #[error("year_already_closed")]
    YearAlreadyClosed {
        mof_div_code: String,
        fiscal_year: i32,
    },
    /// A ledger write into a region-year that has been closed (read-only).
    #[error("year_closed")]
    YearClosed {
        mof_div_code: String,
        fiscal_year: i32,
    },
    #[error("idempotency_key_reused")]
    IdempotencyKeyReused { key: String },
    // Treasury payment (国库集中支付).
    #[error("payee_blacklisted")]
    PayeeBlacklisted { payee_acct_no: String },
    #[error("procurement_contract_required")]
    ProcurementContractRequired,
    #[error("payment_state_forbids")]
    PaymentStateForbids {
        action: &'static str,
        state: &'static str,
    },
    // Project library.
    #[error("project_state_forbids")]
    ProjectStateForbids {
        action: &'static str,
        state: &'static str,
    },
    #[error("project_calculated_not_editable")]
    ProjectCalculatedNotEditable,
    #[error("basic_calculation_empty")]
    BasicCalculationEmpty { fiscal_year: i32 },
    #[error("attachment_type_not_allowed")]
    AttachmentTypeNotAllowed { file_name: String },
    #[error("attachment_too_large")]
    AttachmentTooLarge { bytes_max: usize },
    #[error("attachments_exceeded")]
    AttachmentsExceeded { n_max: usize },
    // Budget compilation.
    #[error("budget_stage_forbids")]
    BudgetStageForbids { action: &'static str, state: String },
    #[error("budget_checks_failed")]
    BudgetChecksFailed { failed: usize, first: String },
    #[error("control_number_exceeded")]
    ControlNumberExceeded { dept_fen: i64, distributed_fen: i64 },
    #[error("budget_region_not_ready")]
    BudgetRegionNotReady { pending: i64 },
    #[error("adjustment_invalid")]
    AdjustmentInvalid { detail: &'static str },
    // Final accounts (决算).
    #[error("final_accounts_checks_failed")]
    FinalAccountsChecksFailed { failed: usize, first: String },
    #[error("final_accounts_status_forbids")]
    FinalAccountsStatusForbids {
        action: &'static str,
        status: &'static str,
    },
    // Accounting (会计核算).
    #[error("voucher_unbalanced")]
    VoucherUnbalanced { debit_fen: i64, credit_fen: i64 },
    #[error("voucher_invalid")]
    VoucherInvalid { detail: &'static str },
    #[error("account_not_postable")]
    AccountNotPostable { account_code: String },
    #[error("period_closed")]
    PeriodClosed { period: String },
    #[error("period_has_unposted")]
    PeriodHasUnposted { n_unposted: i64 },
    #[error("vouchers_unposted")]
    VouchersUnposted { n_unposted: i64 },
    #[error("accounting_year_closed")]
    AccountingYearClosed { fiscal_year: i32 },
    #[error("voucher_state_forbids")]
    VoucherStateForbids {
        action: &'static str,
        state: &'static str,
    },
    #[error("poster_is_creator")]
    PosterIsCreator,
    #[error("signature_invalid")]
    SignatureInvalid,
    #[error("message_invalid")]
    MessageInvalid { detail: &'static str },
    #[error("message_out_of_order")]
    MessageOutOfOrder,
    #[error("bank_unavailable")]
    BankUnavailable,
    // Conflicts.
    #[error("duplicate_code")]
    DuplicateCode { what: &'static str, value: String },
    #[error("already_disabled")]
    AlreadyDisabled,
    #[error("already_enabled")]
    AlreadyEnabled,
    #[error("stale_version")]
    StaleVersion,
    // Approval flows (流程引擎). Authorization first, then the state, then the flow's rules.
    #[error("not_submitter")]
    NotSubmitter,
    #[error("not_task_assignee")]
    NotTaskAssignee,
    #[error("self_approval_forbidden")]
    SelfApprovalForbidden,
    #[error("not_flow_participant")]
    NotFlowParticipant,
    #[error("not_last_actor")]
    NotLastActor,
    #[error("task_already_handled")]
    TaskAlreadyHandled,
    #[error("flow_status_forbids_action")]
    FlowStatusForbidsAction {
        action: &'static str,
        status: &'static str,
    },
    #[error("flow_version_mismatch")]
    FlowVersionMismatch {
        flow_code: String,
        pinned_version: u32,
        given_version: u32,
    },
    #[error("withdraw_too_late")]
    WithdrawTooLate { node: String },
    #[error("withdraw_not_enabled")]
    WithdrawNotEnabled { node: String },
    #[error("return_target_not_allowed")]
    ReturnTargetNotAllowed { node: String },
    #[error("delegated_task_only_hands_back")]
    DelegatedTaskOnlyHandsBack,
    #[error("handover_target_invalid")]
    HandoverTargetInvalid { user: String },
    #[error("task_not_overdue")]
    TaskNotOverdue { due_hours: Option<u32> },
    #[error("no_candidate_for_node")]
    NoCandidateForNode { node: String },
    #[error("node_candidates_exceeded")]
    NodeCandidatesExceeded { node: String, candidates_max: usize },
    #[error("no_matching_edge")]
    NoMatchingEdge { node: String },
    #[error("flow_definition_invalid")]
    FlowDefinitionInvalid { problems: Vec<DefinitionProblem> },
}

impl Rejection {
    /// The stable code clients match on.
    pub fn code(&self) -> String {
        self.to_string()
    }

    /// The field the rejection is about, when there is one, so a form can highlight it.
    pub fn field(&self) -> Option<&'static str> {
        use Rejection::*;
        match self {
            FieldRequired { field }
            | FieldTooLong { field, .. }
            | FieldInvalid { field, .. }
            | TextHasSpecialChars { field }
            | AmountInvalid { field }
            | AmountNegative { field }
            | AmountNotPositive { field }
            | AmountTooLarge { field, .. }
            | NumberOutOfRange { field, .. }
            | ParentUnknown { field, .. }
            | ParentDisabled { field } => Some(field),
            MofDivCodeInvalid { .. } => Some("财政区划代码"),
            AgencyCodeInvalid { .. } => Some("单位代码"),
            FiscalYearInvalid { .. } => Some("预算年度"),
            UsccFormatInvalid { .. } | UsccCheckCharWrong { .. } => Some("统一社会信用代码"),
            IdentityNumberInvalid | IdentityCheckCharWrong => Some("证件号码"),
            UserNameInvalid { .. } => Some("用户名"),
            AccountNoInvalid { .. } => Some("账号"),
            BankCodeInvalid { .. } => Some("银行行号"),
            _ => None,
        }
    }

    /// The Chinese message shown to people.
    pub fn message(&self) -> String {
        use Rejection::*;
        match self {
            LoginFailed => "用户名或密码错误".into(),
            AccountLocked { minutes_left } => {
                format!("登录失败次数过多，账户已锁定，请 {minutes_left} 分钟后再试")
            }
            AccountDisabled => "账户已停用，请联系系统管理员".into(),
            NotAuthenticated => "请先登录".into(),
            PasswordChangeRequired => "首次登录须先修改密码".into(),
            CsrfTokenInvalid => "页面已过期或来源不明，请刷新页面后重试".into(),
            TooManyRequests => "请求过于频繁，请稍后再试".into(),
            Forbidden => "您没有执行此操作的权限".into(),
            FieldRequired { field } => format!("「{field}」不能为空"),
            FieldTooLong { field, length_max } => {
                format!("「{field}」不能超过 {length_max} 个字符")
            }
            FieldInvalid { field, expected } => format!("「{field}」格式不正确，应为{expected}"),
            TextHasSpecialChars { field } => format!("「{field}」包含不允许的特殊字符"),
            AmountInvalid { field } => format!("「{field}」不是有效金额（元，最多两位小数）"),
            AmountNegative { field } => format!("「{field}」不能为负数"),
            NumberOutOfRange { field, min, max } => format!("「{field}」应在 {min} 到 {max} 之间"),
            MofDivCodeInvalid { value } => {
                format!("财政区划代码「{value}」格式不正确，应为 9 位数字")
            }
            AgencyCodeInvalid { value } => {
                format!("单位代码「{value}」格式不正确，应为 3 至 21 位数字或大写字母")
            }
            FiscalYearInvalid { value } => format!("预算年度「{value}」不正确"),
            UsccFormatInvalid { value } => {
                format!("统一社会信用代码「{value}」格式不正确，应为 18 位（不含 I、O、Z、S、V）")
            }
            UsccCheckCharWrong { value, expected } => {
                format!(
                    "统一社会信用代码「{value}」校验位错误，按前 17 位计算校验位应为 {expected}"
                )
            }
            IdentityNumberInvalid => "身份证号码格式不正确，应为 18 位".into(),
            IdentityCheckCharWrong => "身份证号码校验位错误".into(),
            UserNameInvalid { value } => {
                format!(
                    "用户名「{value}」不正确，应为 3 至 32 位小写字母、数字、下划线、连字符或点"
                )
            }
            AccountNoInvalid { value } => format!("账号「{value}」不正确，应为 6 至 32 位数字"),
            BankCodeInvalid { value } => format!("银行行号「{value}」不正确，应为 12 位数字"),
            RoleUnknown { value } => format!("角色「{value}」不存在"),
            PasswordTooWeak => "密码至少 10 位，且须同时包含字母和数字".into(),
            PasswordReused => "新密码不能与原密码相同".into(),
            PageSizeExceeded { page_size_max } => format!("每页条数不能超过 {page_size_max}"),
            SortFieldUnknown { value } => format!("不能按「{value}」排序"),
            ExportRowsExceeded { export_rows_max } => {
                format!("导出行数超过上限 {export_rows_max}，请先缩小查询范围")
            }
            ImportRowsExceeded { import_rows_max } => {
                format!("导入文件超过 {import_rows_max} 行数据，请分成几个文件分别导入")
            }
            ImportHeaderUnknown { header } => format!(
                "表头「{header}」无法识别：请使用下载的导入模板，每列表头须为字段的中文名称（或字段名），且只出现一次"
            ),
            NotFound { what } => format!("{what}不存在或无权查看"),
            ParentUnknown { field, value } => format!("「{field}」中的上级「{value}」不存在"),
            CodeNotInYearTable {
                element_name,
                code,
                fiscal_year,
            } => {
                format!("{fiscal_year} 年度「{element_name}」中不存在编码 {code}")
            }
            ElementUnknown { value } => format!("要素「{value}」不存在"),
            CodeNotUnderParent { code, parent_code } => {
                format!("编码 {code} 必须以上级编码 {parent_code} 开头")
            }
            CodeSegmentInvalid { code, segments } => {
                format!("编码 {code} 的长度不符合分段规则 {segments}")
            }
            LocalCodeNeedsNationalParent => "地方扩展编码必须挂在国家标准编码之下".into(),
            NationalCodeReadOnly => "国家标准编码由数据文件统一下发，不能修改，只能停用或启用；如需细化请新增地方扩展编码".into(),
            RegionLevelInvalid { detail } => format!("区划层级不正确：{detail}"),
            ParentDisabled { field } => format!("「{field}」已停用，不能在其下新增或启用"),
            AgencyParentCycle => "上级单位不能是本单位或其下级单位".into(),
            AgencyParentOtherRegion => "上级单位必须与本单位属于同一财政区划".into(),
            HasEnabledChildren { what } => format!("仍有启用中的下级{what}，不能停用"),
            ZeroBalanceAccountExists => "该单位已有启用中的零余额账户".into(),
            RoleOrgMismatch { role } => format!("角色「{role}」与用户所属机构类型不符"),
            CannotDisableSelf => "不能停用自己的账户".into(),
            YearAlreadyExists { fiscal_year } => format!("{fiscal_year} 年度的要素已存在"),
            DuplicateCode { what, value } => format!("{what}「{value}」已存在"),
            AlreadyDisabled => "该记录已停用".into(),
            AlreadyEnabled => "该记录已启用".into(),
            StaleVersion => "该记录已被他人修改，请刷新后重试".into(),
            NotSubmitter => "只有送审人本人可以执行此操作".into(),
            NotTaskAssignee => "该待办不是您的，不能办理".into(),
            SelfApprovalForbidden => {
                "不能审核本人送审的单据（不相容岗位分离），也不能把待办交给送审人".into()
            }
            NotFlowParticipant => "只有送审人和参与审核的人员可以抄送".into(),
            NotLastActor => "只有上一步的审核人或送审人可以撤回".into(),
            TaskAlreadyHandled => "该待办已被处理（或已转办、委派、取消），请刷新后查看".into(),
            FlowStatusForbidsAction { action, status } => {
                format!("单据当前状态为「{status}」，不能{action}")
            }
            FlowVersionMismatch {
                flow_code,
                pinned_version,
                given_version,
            } => format!(
                "流程「{flow_code}」的在办单据使用第 {pinned_version} 版，不能按第 {given_version} 版办理"
            ),
            WithdrawTooLate { node } => format!("「{node}」已经办理，不能撤回"),
            WithdrawNotEnabled { node } => format!("「{node}」节点不允许撤回"),
            ReturnTargetNotAllowed { node } => {
                format!("不能退回到「{node}」：它不是本节点允许退回的、本轮已经过的节点")
            }
            DelegatedTaskOnlyHandsBack => {
                "委派的待办只能办理后交回委派人，不能退回、驳回、转办、再委派或加签".into()
            }
            HandoverTargetInvalid { user } => {
                format!("不能交给「{user}」：不能是本人，也不能是本节点正在办理的人员")
            }
            TaskNotOverdue { due_hours } => match due_hours {
                Some(due_hours) => format!("该待办尚未超过办理时限 {due_hours} 小时，不能催办"),
                None => "该节点没有设置办理时限，不能催办".into(),
            },
            NoCandidateForNode { node } => {
                format!("「{node}」没有可以办理的人员，请先为该节点的角色配置用户")
            }
            NodeCandidatesExceeded {
                node,
                candidates_max,
            } => format!("「{node}」的办理人超过 {candidates_max} 人，请收窄节点的办理人规则"),
            NoMatchingEdge { node } => {
                format!("「{node}」之后没有符合条件的流向，请联系管理员修正流程定义")
            }
            AmountNotPositive { field } => format!("{field}必须大于零"),
            AmountTooLarge { field, yuan_max } => format!("{field}超出上限 {yuan_max} 元"),
            IndicatorClosed { bgt_id } => {
                format!("指标 {bgt_id} 已年终结转或结余，不能再使用")
            }
            IndicatorNotExecutable { bgt_id } => {
                format!("指标 {bgt_id} 是待分指标，须先分配到单位后才能支付")
            }
            IndicatorYearMismatch => "所涉指标不属于同一预算年度".into(),
            IndicatorSameOnBothSides => "调出与调入不能是同一指标".into(),
            ClassificationNotRefinement { field } => {
                format!("{field}必须与来源指标相同，或是其下级科目")
            }
            ElementMismatch { field } => format!("{field}与指标不一致"),
            ExceedsAvailableBalance {
                bgt_id,
                available_fen,
            } => format!(
                "超出指标可用余额：指标 {bgt_id} 可用 {} 元",
                crate::money::Fen(*available_fen).to_yuan_string()
            ),
            ExceedsFrozenAmount { bgt_id, frozen_fen } => format!(
                "解冻金额超过指标 {bgt_id} 已冻结的 {} 元",
                crate::money::Fen(*frozen_fen).to_yuan_string()
            ),
            ExceedsSpentAmount { bgt_id, spent_fen } => format!(
                "金额超过指标 {bgt_id} 已支出的 {} 元",
                crate::money::Fen(*spent_fen).to_yuan_string()
            ),
            ExceedsPendingAmount { pending_fen } => format!(
                "过账金额超过预占金额 {} 元",
                crate::money::Fen(*pending_fen).to_yuan_string()
            ),
            PendingAlreadyResolved { transfer_id } => {
                format!("预占 {transfer_id} 已经过账或撤销")
            }
            IndicatorHasReservations { bgt_id } => {
                format!("指标 {bgt_id} 尚有在途支付，请先办结或撤销后再结转")
            }
            NotAnAdvance { bgt_id } => format!("指标 {bgt_id} 不是预拨指标，不能被核销"),
            YearEndOpenReservations { n_indicators } => format!(
                "还有 {n_indicators} 个指标存在在途支付（已申请未支付），请先办结或撤销后再年终结转"
            ),
            YearAlreadyClosed {
                mof_div_code,
                fiscal_year,
            } => format!("区划 {mof_div_code} 的 {fiscal_year} 年度已经年终结转，不能重复结转"),
            YearClosed {
                mof_div_code,
                fiscal_year,
            } => format!(
                "区划 {mof_div_code} 的 {fiscal_year} 年度已经年终结转，该年度指标只能查询，不能再变动"
            ),
            IdempotencyKeyReused { key } => {
                format!("请求编号 {key} 已用于内容不同的请求，请换一个编号")
            }
            PayeeBlacklisted { payee_acct_no } => {
                format!("收款账号 {payee_acct_no} 在收款人黑名单中，不能支付")
            }
            ProcurementContractRequired => "该指标为政府采购指标，须填写采购合同编号".into(),
            PaymentStateForbids { action, state } => format!("{state}的支付单据不能{action}"),
            ProjectStateForbids { action, state } => format!("{state}的项目不能{action}"),
            ProjectCalculatedNotEditable => {
                "一键测算生成的项目不能手工修改：请更正人员信息或支出标准后重新测算".into()
            }
            BasicCalculationEmpty { fiscal_year } => format!(
                "没有可测算的基本支出：单位没有在职人员，或 {fiscal_year} 年度没有适用的支出标准"
            ),
            AttachmentTypeNotAllowed { file_name } => format!(
                "附件「{file_name}」的类型不允许：只能上传 PDF、Word、Excel 或图片（JPG、PNG）"
            ),
            AttachmentTooLarge { bytes_max } => format!(
                "附件不能超过 {} MB",
                bytes_max / (1024 * 1024)
            ),
            AttachmentsExceeded { n_max } => format!("一个项目最多上传 {n_max} 个附件"),
            BudgetStageForbids { action, state } => format!("{state}的预算不能{action}"),
            BudgetChecksFailed { failed, first } => format!(
                "勾稽审核有 {failed} 项未通过，不能报送。第一项：{first}（全部结果见勾稽审核表）"
            ),
            ControlNumberExceeded {
                dept_fen,
                distributed_fen,
            } => format!(
                "分配给所属单位的控制数合计 {} 元，超过部门控制数 {} 元",
                crate::money::Fen(*distributed_fen).to_yuan_string(),
                crate::money::Fen(*dept_fen).to_yuan_string()
            ),
            BudgetRegionNotReady { pending } => format!(
                "本区划还有 {pending} 个单位的二上预算未审核通过，不能批复"
            ),
            AdjustmentInvalid { detail } => format!("调整调剂单据有误：{detail}"),
            FinalAccountsChecksFailed { failed, first } => format!(
                "决算报表有 {failed} 处校验未通过，不能报送。第一处：{first}（全部结果见校验结果）"
            ),
            FinalAccountsStatusForbids { action, status } => {
                format!("决算报表{status}，不能{action}")
            }
            VoucherUnbalanced {
                debit_fen,
                credit_fen,
            } => format!(
                "凭证借贷不平衡：借方合计 {} 元，贷方合计 {} 元",
                crate::Fen(*debit_fen).to_yuan_string(),
                crate::Fen(*credit_fen).to_yuan_string()
            ),
            VoucherInvalid { detail } => format!("会计凭证有误：{detail}"),
            AccountNotPostable { account_code } => {
                format!("会计科目「{account_code}」不存在或不是末级科目，不能记账")
            }
            PeriodClosed { period } => format!("会计期间 {period} 已结账，不能再录入或记账"),
            PeriodHasUnposted { n_unposted } => {
                format!("本期还有 {n_unposted} 张凭证未记账，不能结账")
            }
            VouchersUnposted { n_unposted } => {
                format!("本年度还有 {n_unposted} 张凭证未记账，不能年终结账")
            }
            AccountingYearClosed { fiscal_year } => {
                format!("{fiscal_year} 年度已年终结账，该年度账簿只读")
            }
            VoucherStateForbids { action, state } => format!("{state}的凭证不能{action}"),
            PosterIsCreator => "记账人不能是凭证的制单人".to_owned(),
            SignatureInvalid => "报文签名验证失败，已拒收".into(),
            MessageInvalid { detail } => format!("报文格式有误：{detail}"),
            MessageOutOfOrder => "报文早于其前序报文到达，未处理，请稍后重发".into(),
            BankUnavailable => "代理银行暂时无法连接（或尚未配置银行参数），请稍后重试".into(),
            FlowDefinitionInvalid { problems } => {
                let messages: Vec<String> = problems.iter().map(DefinitionProblem::message).collect();
                format!("流程定义有误：{}", messages.join("；"))
            }
        }
    }

    /// One example of every variant, for the table-driven test that walks them all and for
    /// the error catalogue in the documentation.
    pub fn examples() -> Vec<Rejection> {
        use Rejection::*;
        vec![
            LoginFailed,
            AccountLocked { minutes_left: 15 },
            AccountDisabled,
            NotAuthenticated,
            PasswordChangeRequired,
            CsrfTokenInvalid,
            TooManyRequests,
            Forbidden,
            FieldRequired {
                field: "单位名称"
            },
            FieldTooLong {
                field: "单位名称",
                length_max: 100,
            },
            FieldInvalid {
                field: "邮编",
                expected: "6 位数字",
            },
            TextHasSpecialChars {
                field: "单位名称"
            },
            AmountInvalid {
                field: "标准金额"
            },
            AmountNegative {
                field: "标准金额"
            },
            NumberOutOfRange {
                field: "编制数",
                min: 0,
                max: 100_000,
            },
            MofDivCodeInvalid { value: "66".into() },
            AgencyCodeInvalid { value: "x".into() },
            FiscalYearInvalid {
                value: "1999".into(),
            },
            UsccFormatInvalid { value: "1".into() },
            UsccCheckCharWrong {
                value: "91350100M000100Y44".into(),
                expected: '3',
            },
            IdentityNumberInvalid,
            IdentityCheckCharWrong,
            UserNameInvalid { value: "A".into() },
            AccountNoInvalid {
                value: "abc".into(),
            },
            BankCodeInvalid { value: "1".into() },
            RoleUnknown {
                value: "boss".into(),
            },
            PasswordTooWeak,
            PasswordReused,
            PageSizeExceeded { page_size_max: 200 },
            SortFieldUnknown { value: "x".into() },
            ExportRowsExceeded {
                export_rows_max: 100_000,
            },
            ImportRowsExceeded {
                import_rows_max: 10_000,
            },
            ImportHeaderUnknown {
                header: "备注2".into(),
            },
            NotFound { what: "单位" },
            ParentUnknown {
                field: "上级区划",
                value: "669900000".into(),
            },
            CodeNotInYearTable {
                element_name: "支出功能分类科目".into(),
                code: "2019999".into(),
                fiscal_year: 2026,
            },
            ElementUnknown { value: "x".into() },
            CodeNotUnderParent {
                code: "20201".into(),
                parent_code: "201".into(),
            },
            CodeSegmentInvalid {
                code: "2010".into(),
                segments: "3+2+2".into(),
            },
            LocalCodeNeedsNationalParent,
            NationalCodeReadOnly,
            RegionLevelInvalid {
                detail: "团级区划下不能再设区划",
            },
            ParentDisabled {
                field: "上级单位"
            },
            AgencyParentCycle,
            AgencyParentOtherRegion,
            HasEnabledChildren { what: "单位" },
            ZeroBalanceAccountExists,
            RoleOrgMismatch {
                role: "单位经办"
            },
            CannotDisableSelf,
            YearAlreadyExists { fiscal_year: 2027 },
            AmountNotPositive { field: "金额" },
            AmountTooLarge {
                field: "金额",
                yuan_max: "10,000,000,000,000.00",
            },
            IndicatorClosed {
                bgt_id: "B1".into(),
            },
            IndicatorNotExecutable {
                bgt_id: "B1".into(),
            },
            IndicatorYearMismatch,
            IndicatorSameOnBothSides,
            ClassificationNotRefinement {
                field: "支出功能分类科目",
            },
            ElementMismatch {
                field: "项目代码"
            },
            ExceedsAvailableBalance {
                bgt_id: "B1".into(),
                available_fen: 100,
            },
            ExceedsFrozenAmount {
                bgt_id: "B1".into(),
                frozen_fen: 100,
            },
            ExceedsSpentAmount {
                bgt_id: "B1".into(),
                spent_fen: 100,
            },
            ExceedsPendingAmount { pending_fen: 100 },
            PendingAlreadyResolved {
                transfer_id: "T1".into(),
            },
            IndicatorHasReservations {
                bgt_id: "B1".into(),
            },
            NotAnAdvance {
                bgt_id: "B1".into(),
            },
            YearEndOpenReservations { n_indicators: 3 },
            YearAlreadyClosed {
                mof_div_code: "660100000".into(),
                fiscal_year: 2026,
            },
            YearClosed {
                mof_div_code: "660100000".into(),
                fiscal_year: 2026,
            },
            IdempotencyKeyReused { key: "K1".into() },
            PayeeBlacklisted {
                payee_acct_no: "6222000000000000".into(),
            },
            ProcurementContractRequired,
            PaymentStateForbids {
                action: "撤回",
                state: "已支付",
            },
            ProjectStateForbids {
                action: "修改",
                state: "已入库",
            },
            ProjectCalculatedNotEditable,
            BasicCalculationEmpty { fiscal_year: 2026 },
            AttachmentTypeNotAllowed {
                file_name: "setup.exe".into(),
            },
            AttachmentTooLarge {
                bytes_max: 5 * 1024 * 1024,
            },
            AttachmentsExceeded { n_max: 20 },
            BudgetStageForbids {
                action: "修改",
                state: "二上·审核中".into(),
            },
            BudgetChecksFailed {
                failed: 2,
                first: "支出合计等于控制数：支出合计 120.00 元，控制数 100.00 元，相差 20.00 元"
                    .into(),
            },
            ControlNumberExceeded {
                dept_fen: 10_000_000,
                distributed_fen: 12_000_000,
            },
            BudgetRegionNotReady { pending: 3 },
            AdjustmentInvalid {
                detail: "调剂的调出与调入金额须相等",
            },
            FinalAccountsChecksFailed {
                failed: 1,
                first: "[x01_03_income] 财决01「本年收入合计」行「决算数」列 为 100.00 元，应等于财决03「合计」行「本年收入合计」列 90.00 元，相差 10.00 元".into(),
            },
            FinalAccountsStatusForbids {
                action: "重新生成",
                status: "已报送",
            },
            VoucherUnbalanced {
                debit_fen: 100_000,
                credit_fen: 90_000,
            },
            VoucherInvalid {
                detail: "至少需要两行分录",
            },
            AccountNotPostable {
                account_code: "7101".into(),
            },
            PeriodClosed {
                period: "2026-03".into(),
            },
            PeriodHasUnposted { n_unposted: 2 },
            VouchersUnposted { n_unposted: 3 },
            AccountingYearClosed { fiscal_year: 2026 },
            VoucherStateForbids {
                action: "审核",
                state: "已记账",
            },
            PosterIsCreator,
            SignatureInvalid,
            MessageInvalid {
                detail: "缺少 VoucherNo",
            },
            MessageOutOfOrder,
            BankUnavailable,
            DuplicateCode {
                what: "单位代码",
                value: "660101101".into(),
            },
            AlreadyDisabled,
            AlreadyEnabled,
            StaleVersion,
            NotSubmitter,
            NotTaskAssignee,
            SelfApprovalForbidden,
            NotFlowParticipant,
            NotLastActor,
            TaskAlreadyHandled,
            FlowStatusForbidsAction {
                action: "审核通过",
                status: "已审核",
            },
            FlowVersionMismatch {
                flow_code: "payment_application_default".into(),
                pinned_version: 1,
                given_version: 2,
            },
            WithdrawTooLate {
                node: "主管部门审核".into(),
            },
            WithdrawNotEnabled {
                node: "单位审核".into(),
            },
            ReturnTargetNotAllowed {
                node: "单位审核".into(),
            },
            DelegatedTaskOnlyHandsBack,
            HandoverTargetInvalid {
                user: "zhangsan".into(),
            },
            TaskNotOverdue {
                due_hours: Some(48),
            },
            NoCandidateForNode {
                node: "国库处审核".into(),
            },
            NodeCandidatesExceeded {
                node: "业务处审核".into(),
                candidates_max: 100,
            },
            NoMatchingEdge {
                node: "单位审核".into(),
            },
            FlowDefinitionInvalid {
                problems: vec![DefinitionProblem::NoEnd],
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_variant_has_a_unique_code_and_a_chinese_message() {
        let examples = Rejection::examples();
        let mut codes = HashSet::new();
        for rejection in &examples {
            let code = rejection.code();
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code} is not snake_case"
            );
            assert!(codes.insert(code.clone()), "{code} is used twice");
            let message = rejection.message();
            assert!(
                message
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{code}: {message}"
            );
        }
        // Keep `examples` complete: this count changes only together with the enum.
        assert_eq!(examples.len(), 120);
    }
}
