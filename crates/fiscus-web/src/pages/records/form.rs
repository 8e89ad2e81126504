//! The create and edit forms of any record kind, generated from its `EntitySpec`: codes as
//! pickers of `code 名称`, flags as checkboxes, money in 元, roles as checkboxes. A refused
//! submission comes back with the user's input kept and the reason at the top and beside
//! the field; the status is the rejection's (400, 409, 422), never a 500.

use std::collections::{BTreeMap, HashMap};

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use fiscus_app::AppError;
use fiscus_core::masterdata::{Input, Record, Value};
use fiscus_core::schema::{Edit, EntitySpec, FieldKind, FieldSpec};
use fiscus_core::{Fen, Rejection, Role};
use maud::{Markup, html};

use super::{can_write, module_of, record_title};
use crate::context::{CSRF_FIELD, CurrentUser, PageUser, RequestInfo};
use crate::error::describe;
use crate::pages::format::{Names, cell};
use crate::pages::layout::{self, csrf_field, heading, notice_error, record_href, url};
use crate::pages::{PageError, PageResult, spec_of};
use crate::state::AppState;

/// Create or edit, with what the edit needs: the key, the stored record and its version.
enum Target<'a> {
    Create,
    Edit { key: &'a str, record: &'a Record },
}

/// Fields shown as inputs: on create all that may be written, on edit those that may change
/// (the identity number only as an optional replacement; passwords are reset elsewhere).
fn input_fields(
    spec: &EntitySpec,
    creating: bool,
) -> impl Iterator<Item = &'static FieldSpec> + '_ {
    spec.fields
        .iter()
        .filter(move |field| match (creating, field.edit) {
            (_, Edit::Never) => false,
            (true, _) => true,
            (false, Edit::Always) => field.name != "password",
            (false, Edit::CreateOnly) => false,
        })
}

/// The form's text of a stored value.
fn form_text(field: &FieldSpec, value: &Value) -> String {
    match (field.kind, value) {
        (FieldKind::Money, Value::Int(fen)) => Fen(*fen).to_yuan_string().replace(',', ""),
        (_, Value::Bool(true)) => "1".into(),
        (_, Value::Bool(false)) => String::new(),
        _ => value.display(),
    }
}

/// Sensible starting values of a new record: the user's own region and unit, this year.
fn defaults(user: &CurrentUser, spec: &EntitySpec) -> BTreeMap<String, String> {
    let principal = &user.principal;
    let year = fiscus_app::codes::SHIPPED_YEAR;
    let mut values = BTreeMap::new();
    let mut set = |name: &str, value: String| {
        if spec.field(name).is_some() {
            values.insert(name.to_owned(), value);
        }
    };
    set("mof_div_code", principal.mof_div_code().to_string());
    if spec.name == "regions" {
        set("parent_mof_div_code", principal.mof_div_code().to_string());
    }
    if spec.name != "agencies"
        && let Some(agency_code) = principal.agency_code()
    {
        set("agency_code", agency_code.to_string());
    }
    set("fiscal_year", year.to_string());
    set("from_year", year.to_string());
    set("to_year", (year + 1).to_string());
    set(
        "iden_type_code",
        fiscus_core::masterdata::IDEN_TYPE_RESIDENT.to_owned(),
    );
    set("is_auth", "1".into());
    set("is_uni_sala", "1".into());
    values
}

/// A submitted form as input: repeated `roles` joined with commas, the CSRF field dropped,
/// and — on edit — an unticked checkbox sent as empty so that unticking is a change.
fn input_of(
    spec: &EntitySpec,
    pairs: Vec<(String, String)>,
    creating: bool,
) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in pairs {
        if name == CSRF_FIELD {
            continue;
        }
        match values.get_mut(&name) {
            Some(existing) if name == "roles" => {
                existing.push(',');
                existing.push_str(&value);
            }
            _ => {
                values.insert(name, value);
            }
        }
    }
    if !creating {
        for field in input_fields(spec, false)
            .filter(|f| matches!(f.kind, FieldKind::Bool | FieldKind::Roles))
        {
            values.entry(field.name.to_owned()).or_default();
        }
    }
    values
}

/// The field a rejection is about, by its Chinese label (`财政区划代码` names `财政区划`).
fn error_field(spec: &EntitySpec, label: Option<&str>, creating: bool) -> Option<&'static str> {
    let label = label?;
    let shown: Vec<&FieldSpec> = input_fields(spec, creating).collect();
    shown
        .iter()
        .find(|field| field.label == label)
        .or_else(|| {
            shown
                .iter()
                .find(|field| label.contains(field.label) || field.label.contains(label))
        })
        .map(|field| field.name)
}

struct FormView<'a> {
    user: &'a CurrentUser,
    spec: &'static EntitySpec,
    target: Target<'a>,
    values: BTreeMap<String, String>,
    /// (message, field name) of a refused submission.
    error: Option<(String, Option<&'static str>)>,
    /// The record changed since the form was drawn (`stale_version`).
    stale: bool,
    options: HashMap<&'static str, Vec<(String, String)>>,
    regions: Vec<(String, String)>,
    names: Names,
}

impl FormView<'_> {
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    fn render(&self) -> Markup {
        let spec = self.spec;
        let creating = matches!(self.target, Target::Create);
        let (title, action, cancel, trail_record) = match &self.target {
            Target::Create => (
                format!("新增{}", spec.label),
                format!("/{}/new", spec.name),
                format!("/{}", spec.name),
                None,
            ),
            Target::Edit { key, record } => {
                let href = record_href(spec, key);
                (
                    format!("编辑{}", spec.label),
                    format!("{href}/edit"),
                    href.clone(),
                    Some((href, record_title(spec, record, key))),
                )
            }
        };
        let list_href = format!("/{}", spec.name);
        let mut trail: Vec<(&str, &str)> = vec![("", module_of(spec)), (&list_href, spec.label)];
        if let Some((href, name)) = &trail_record {
            trail.push((href, name));
        }
        html! {
            (heading(&trail, &title, html! {}))
            @if let Some((message, _)) = &self.error { (notice_error(message)) }
            @if self.stale {
                p class="notice warn" {
                    "他人已修改此记录。请 " a href=(format!("{cancel}/edit")) { "重新打开编辑页" }
                    "，在最新内容上重新填写您的修改（下方是您本次填写的内容，可供参照）。"
                }
            }
            form method="post" action=(action) class="card record-form" novalidate {
                (csrf_field(self.user))
                @if let Target::Edit { record, .. } = &self.target {
                    input type="hidden" name="_version" value=(self.values.get("_version").cloned().unwrap_or_else(|| record.get("updated_at").map(Value::display).unwrap_or_default()));
                    @if spec.fields.iter().any(|f| f.edit == Edit::CreateOnly) {
                        div class="form-grid readonly" {
                            @for field in spec.fields.iter().filter(|f| f.edit == Edit::CreateOnly) {
                                div class="field" {
                                    span class="label" { (field.label) }
                                    div class="readonly-value" { (cell(field, record.get(field.name).unwrap_or(&Value::Null), &self.names)) }
                                }
                            }
                        }
                    }
                }
                div class="form-grid" {
                    @for field in input_fields(spec, creating) { (self.field(field, creating)) }
                }
                p class="hint" { span class="req" { "*" } " 为必填项。" }
                div class="form-actions" {
                    button type="submit" class="button primary" { "保存" }
                    " "
                    a class="button ghost" href=(cancel) { "取消" }
                }
            }
            @if !self.regions.is_empty() {
                datalist id="regions-list" { @for (code, name) in &self.regions { option value=(code) { (name) } } }
            }
        }
    }

    fn field(&self, field: &'static FieldSpec, creating: bool) -> Markup {
        let error = self
            .error
            .as_ref()
            .filter(|(_, name)| *name == Some(field.name))
            .map(|(message, _)| message.as_str());
        // A flag is never "missing", and on edit a write-only field may be left as it is.
        let optional_on_edit = field.kind == FieldKind::Secret && !creating;
        let required = field.required && field.kind != FieldKind::Bool && !optional_on_edit;
        let wide = matches!(field.kind, FieldKind::Roles)
            || (field.kind == FieldKind::Text && field.length_max >= 200);
        html! {
            div class={ "field" @if error.is_some() { " has-error" } @if wide { " wide" } } {
                label class="label" for=(format!("f-{}", field.name)) {
                    (field.label)
                    @if required { span class="req" { "*" } }
                }
                (self.widget(field, required, creating))
                @if let Some(hint) = hint(field, creating) { span class="hint" { (hint) } }
                @if matches!(field.kind, FieldKind::Region | FieldKind::Agency) && let Some(name) = self.names.name_of(field, self.value(field.name)) {
                    span class="hint current" { "当前：" (name) }
                }
                @if let Some(error) = error { span class="field-error" { (error) } }
            }
        }
    }

    fn widget(&self, field: &'static FieldSpec, required: bool, creating: bool) -> Markup {
        let id = format!("f-{}", field.name);
        let value = self.value(field.name);
        match field.kind {
            FieldKind::Code(element) => {
                let options = self
                    .options
                    .get(element)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let known = options.iter().any(|(code, _)| code == value);
                html! {
                    select id=(id) name=(field.name) {
                        @if !required || value.is_empty() { option value="" { @if required { "请选择" } @else { "（不填）" } } }
                        @if !known && !value.is_empty() { option value=(value) selected { (value) "（已停用或不在本年度）" } }
                        @for (code, name) in options { option value=(code) selected[code == value] { (code) " " (name) } }
                    }
                }
            }
            _ if field.name == "element_code" => html! {
                select id=(id) name=(field.name) {
                    option value="" { "请选择" }
                    @for element in fiscus_app::codes::elements() {
                        option value=(element.element_code) selected[element.element_code == value] { (element.element_name) "（" (element.element_code) "）" }
                    }
                }
            },
            FieldKind::Bool => html! {
                label class="check" { input type="checkbox" id=(id) name=(field.name) value="1" checked[!value.is_empty() && value != "0"]; " 是" }
            },
            FieldKind::Roles => html! {
                div class="checks" {
                    @for role in Role::ALL {
                        label class="check" {
                            input type="checkbox" name="roles" value=(role.code()) checked[value.split(',').any(|v| v.trim() == role.code())];
                            " " (role.name_zh())
                        }
                    }
                }
            },
            FieldKind::Money => html! {
                span class="with-unit" {
                    input type="text" id=(id) name=(field.name) value=(value) inputmode="decimal" autocomplete="off";
                    span class="unit" { "元" }
                }
            },
            FieldKind::Secret if field.name == "password" => html! {
                input type="password" id=(id) name=(field.name) autocomplete="new-password" maxlength=(field.length_max);
            },
            FieldKind::Secret => html! {
                input type="text" id=(id) name=(field.name) value=(value) autocomplete="off" maxlength=(field.length_max) placeholder=[(!creating).then_some("不修改请留空")];
            },
            FieldKind::Region => html! {
                input type="text" id=(id) name=(field.name) value=(value) inputmode="numeric" maxlength="9" list="regions-list" autocomplete="off";
            },
            FieldKind::Int | FieldKind::Year => html! {
                input type="text" id=(id) name=(field.name) value=(value) inputmode="numeric" autocomplete="off";
            },
            FieldKind::Text if field.length_max >= 200 => html! {
                textarea id=(id) name=(field.name) rows="2" maxlength=(field.length_max) { (value) }
            },
            _ => {
                html! { input type="text" id=(id) name=(field.name) value=(value) maxlength=(field.length_max) autocomplete="off"; }
            }
        }
    }
}

/// A short help line under an input, where the format is not obvious.
fn hint(field: &FieldSpec, creating: bool) -> Option<&'static str> {
    Some(match (field.kind, field.name) {
        (_, "parent_agency_code") => "上级单位的单位代码；一级预算单位（主管部门）留空",
        (_, "parent_mof_div_code") => "上级区划的 9 位代码",
        (_, "parent_code") => "新增地方扩展编码时填写其上级国家标准编码",
        (_, "unifsoc_cred_code") => "18 位，末位为校验位",
        (_, "iden_no") if !creating => "不修改请留空；修改后只显示脱敏号码",
        (_, "iden_no") => "居民身份证为 18 位；保存后只显示脱敏号码",
        (_, "password") => "至少 10 位，须同时包含字母和数字；用户首次登录时须修改",
        (_, "account_no") | (_, "sala_card_no") => "6 至 32 位数字",
        (_, "bank_code") => "12 位数字",
        (_, "agency_code") if field.edit == Edit::CreateOnly => {
            "3 至 21 位数字或大写字母，保存后不能修改"
        }
        (FieldKind::Region, _) => "9 位数字，如 660100000",
        (FieldKind::Roles, _) => {
            "财政部门用户（不填所属单位）选预算处、国库处、业务处或系统管理员；单位用户选单位经办、单位审核或主管部门审核"
        }
        _ => return None,
    })
}

async fn view<'a>(
    state: &AppState,
    user: &'a CurrentUser,
    spec: &'static EntitySpec,
    target: Target<'a>,
    values: BTreeMap<String, String>,
) -> FormView<'a> {
    let year = values
        .get("fiscal_year")
        .and_then(|y| y.trim().parse::<i64>().ok());
    let mut options = HashMap::new();
    let mut names = Names::default();
    for field in spec.fields {
        if let FieldKind::Code(element) = field.kind
            && !options.contains_key(element)
        {
            options.insert(
                element,
                state
                    .app
                    .code_names(element, year)
                    .await
                    .unwrap_or_default(),
            );
        }
    }
    let mut regions = Vec::new();
    if input_fields(spec, matches!(target, Target::Create)).any(|f| f.kind == FieldKind::Region)
        && let Ok(nodes) = state.app.region_tree(&user.principal).await
    {
        regions = nodes
            .into_iter()
            .map(|node| (node.mof_div_code, node.mof_div_name))
            .collect();
    }
    if let Target::Edit { record, .. } = &target {
        names.want_record(
            spec.fields.iter().filter(|f| f.edit == Edit::CreateOnly),
            record,
        );
    }
    for field in spec
        .fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::Region | FieldKind::Agency))
    {
        if let Some(value) = values.get(field.name) {
            names.want(field, value.trim());
        }
    }
    names.fetch(&state.app, &user.principal).await;
    FormView {
        user,
        spec,
        target,
        values,
        error: None,
        stale: false,
        options,
        regions,
        names,
    }
}

fn require_write(user: &CurrentUser, spec: &EntitySpec, request_id: &str) -> Result<(), PageError> {
    if can_write(&user.principal, spec) {
        Ok(())
    } else {
        Err(PageError::new(Rejection::Forbidden, request_id))
    }
}

fn page_of(form: &FormView<'_>) -> Markup {
    let title = match form.target {
        Target::Create => format!("新增{}", form.spec.label),
        Target::Edit { .. } => format!("编辑{}", form.spec.label),
    };
    layout::page(
        form.user,
        &title,
        &format!("/{}", form.spec.name),
        form.render(),
    )
}

/// The form again, with the user's input and the reason it was refused.
fn refused(mut form: FormView<'_>, error: AppError, request_id: &str) -> PageResult {
    let (status, _, message, label) = describe(&error, request_id);
    if !status.is_client_error() {
        return Err(PageError::new(error, request_id));
    }
    let creating = matches!(form.target, Target::Create);
    form.values.remove("password");
    form.stale = matches!(error, AppError::Rejected(Rejection::StaleVersion));
    form.error = Some((message, error_field(form.spec, label, creating)));
    Ok((status, page_of(&form)).into_response())
}

fn body_of(
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
    request_id: &str,
) -> Result<Vec<(String, String)>, PageError> {
    form.map(|Form(pairs)| pairs).map_err(|_| {
        PageError::new(
            Rejection::FieldInvalid {
                field: "表单",
                expected: "网页表单提交的内容",
            },
            request_id,
        )
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(entity): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let spec = spec_of(&entity, &info.request_id)?;
    require_write(&user, spec, &info.request_id)?;
    let mut values = defaults(&user, spec);
    // Links such as 「为本单位新增人员」 fill fields through the query string.
    for (name, value) in params {
        if input_fields(spec, true).any(|f| f.name == name) && prefill_acceptable(&value) {
            values.insert(name, value);
        }
    }
    let form = view(&state, &user, spec, Target::Create, values).await;
    Ok(page_of(&form).into_response())
}

fn prefill_acceptable(value: &str) -> bool {
    value.chars().count() <= 200 && !value.chars().any(char::is_control)
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(entity): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    require_write(&user, spec, rid)?;
    let values = input_of(spec, body_of(form, rid)?, true);
    match state
        .app
        .create_record(&user.principal, spec, &Input(values.clone()), &info.ctx())
        .await
    {
        Ok(key) => Ok(redirect_to_record(spec, &key, "created")),
        Err(error) => refused(
            view(&state, &user, spec, Target::Create, values).await,
            error,
            rid,
        ),
    }
}

fn redirect_to_record(spec: &EntitySpec, key: &str, ok: &str) -> Response {
    Redirect::to(&url(&record_href(spec, key), &[("ok", ok)])).into_response()
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((entity, key)): Path<(String, String)>,
) -> PageResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    require_write(&user, spec, rid)?;
    let record = state
        .app
        .get_record(&user.principal, spec, &key)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let values = input_fields(spec, false)
        .map(|field| {
            (
                field.name.to_owned(),
                record
                    .get(field.name)
                    .map(|v| form_text(field, v))
                    .unwrap_or_default(),
            )
        })
        .collect();
    let form = view(
        &state,
        &user,
        spec,
        Target::Edit {
            key: &key,
            record: &record,
        },
        values,
    )
    .await;
    Ok(page_of(&form).into_response())
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path((entity, key)): Path<(String, String)>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let rid = &info.request_id;
    let spec = spec_of(&entity, rid)?;
    require_write(&user, spec, rid)?;
    let values = input_of(spec, body_of(form, rid)?, false);
    match state
        .app
        .update_record(
            &user.principal,
            spec,
            &key,
            &Input(values.clone()),
            &info.ctx(),
        )
        .await
    {
        Ok(()) => Ok(redirect_to_record(spec, &key, "updated")),
        Err(error) => {
            let record = state
                .app
                .get_record(&user.principal, spec, &key)
                .await
                .map_err(|e| PageError::new(e, rid))?;
            refused(
                view(
                    &state,
                    &user,
                    spec,
                    Target::Edit {
                        key: &key,
                        record: &record,
                    },
                    values,
                )
                .await,
                error,
                rid,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use fiscus_core::schema::{AGENCY, PERSON, USER};

    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn submitted_roles_are_joined_and_the_csrf_field_dropped() {
        let values = input_of(
            &USER,
            pairs(&[
                ("_csrf", "t"),
                ("roles", "unit_clerk"),
                ("roles", "unit_approver"),
                ("display_name", "张三"),
            ]),
            true,
        );
        assert_eq!(
            values.get("roles").map(String::as_str),
            Some("unit_clerk,unit_approver")
        );
        assert!(!values.contains_key("_csrf"));
    }

    #[test]
    fn an_unticked_box_on_edit_is_sent_as_empty() {
        let values = input_of(
            &PERSON,
            pairs(&[("per_name", "张三"), ("is_auth", "1")]),
            false,
        );
        assert_eq!(values.get("is_auth").map(String::as_str), Some("1"));
        assert_eq!(values.get("is_uni_sala").map(String::as_str), Some(""));
        let created = input_of(&PERSON, pairs(&[("per_name", "张三")]), true);
        assert!(!created.contains_key("is_uni_sala"));
    }

    #[test]
    fn rejections_point_at_the_field_by_label() {
        assert_eq!(
            error_field(&AGENCY, Some("统一社会信用代码"), true),
            Some("unifsoc_cred_code")
        );
        assert_eq!(
            error_field(&AGENCY, Some("财政区划代码"), true),
            Some("mof_div_code")
        );
        assert_eq!(error_field(&AGENCY, Some("财政区划代码"), false), None);
        assert_eq!(error_field(&AGENCY, None, true), None);
    }
}
