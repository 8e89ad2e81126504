//! Master-data use cases (基础信息管理), generic over `EntitySpec`: list, read, create, edit,
//! disable and enable, each write in one transaction with its audit entry (old → new). The
//! rules that need stored facts — parents, scope, code tables — are here, per record kind.

use fiscus_core::masterdata::{
    ACC_TYPE_ZERO_BALANCE, Input, Mode, Record, Value, check_code_segments, check_record,
    check_roles_fit_org, parse_fields, region_level_for_child,
};
use fiscus_core::query::ListQuery;
use fiscus_core::schema::{self, EntitySpec, FieldKind};
use fiscus_core::scope::child_path;
use fiscus_core::{Action, DataScope, Fen, IdentityNumber, Principal, Rejection, RoleSet};
use fiscus_store::audit::{AuditEntry, AuditQuery, AuditRow, append, now};
use fiscus_store::records::{self, Columns, Page, Viewer};
use fiscus_store::{Bind, StoreError, Tx, facts};

use crate::crypto::random_id;
use crate::{App, AppError, RequestCtx};

/// A field value as people read it in history and exports: money in 元.
pub fn display_value(kind: FieldKind, value: &Value) -> String {
    match (kind, value) {
        (FieldKind::Money, Value::Int(fen)) => Fen(*fen).to_yuan_string(),
        _ => value.display(),
    }
}

fn text<'a>(record: &'a Record, name: &str) -> Option<&'a str> {
    record.get(name).and_then(Value::as_text)
}

fn require_text(record: &Record, name: &str) -> Result<String, AppError> {
    text(record, name)
        .map(str::to_owned)
        .ok_or_else(|| AppError::Internal(format!("field {name} missing after validation")))
}

/// System columns set on every write.
fn stamp(who: &Principal, creating: bool) -> Vec<(&'static str, Bind)> {
    let timestamp = now();
    let mut columns = vec![
        ("updated_at", Bind::text(timestamp.clone())),
        ("updated_by", Bind::text(who.user_name.as_str())),
    ];
    if creating {
        columns.push(("created_at", Bind::text(timestamp)));
    }
    columns
}

impl App {
    pub(crate) fn require(
        &self,
        who: &Principal,
        action: Action,
        spec: &EntitySpec,
    ) -> Result<(), AppError> {
        if who.can(action, spec.resource) {
            Ok(())
        } else {
            Err(Rejection::Forbidden.into())
        }
    }

    pub async fn list_records(
        &self,
        who: &Principal,
        spec: &'static EntitySpec,
        query: &ListQuery,
    ) -> Result<Page, AppError> {
        self.require(who, Action::Read, spec)?;
        Ok(records::list(&self.db, spec, Viewer::User(who), query, Columns::List).await?)
    }

    /// Every matching record (for export), bounded by `EXPORT_ROWS_MAX`.
    pub async fn list_all_records(
        &self,
        who: &Principal,
        spec: &'static EntitySpec,
        query: &ListQuery,
    ) -> Result<Page, AppError> {
        self.require(who, Action::Read, spec)?;
        let max = fiscus_core::query::EXPORT_ROWS_MAX;
        let mut all = ListQuery {
            page: 1,
            page_size: max,
            ..query.clone()
        };
        all.page_size = max;
        let page = records::list(&self.db, spec, Viewer::User(who), &all, Columns::List).await?;
        if page.total > i64::from(max) {
            return Err(Rejection::ExportRowsExceeded {
                export_rows_max: max,
            }
            .into());
        }
        Ok(page)
    }

    pub async fn get_record(
        &self,
        who: &Principal,
        spec: &'static EntitySpec,
        key: &str,
    ) -> Result<Record, AppError> {
        self.require(who, Action::Read, spec)?;
        records::get(&self.db, spec, Viewer::User(who), key)
            .await?
            .ok_or_else(|| Rejection::NotFound { what: spec.label }.into())
    }

    /// The change history of one record (newest first), visible only with the record itself.
    pub async fn record_history(
        &self,
        who: &Principal,
        spec: &'static EntitySpec,
        key: &str,
        page: u32,
    ) -> Result<(Vec<AuditRow>, i64), AppError> {
        self.get_record(who, spec, key).await?;
        let query = AuditQuery {
            entity: Some(spec.name.into()),
            entity_key: Some(key.into()),
            page,
            page_size: 50,
            ..AuditQuery::default()
        };
        Ok(fiscus_store::audit::list(&self.db, &query).await?)
    }

    /// The audit log of the viewer's subtree (administrators and auditors).
    pub async fn audit_log(
        &self,
        who: &Principal,
        mut query: AuditQuery,
    ) -> Result<(Vec<AuditRow>, i64), AppError> {
        if !who.can(Action::Read, fiscus_core::Resource::AuditLog) {
            return Err(Rejection::Forbidden.into());
        }
        match who.scope() {
            DataScope::RegionSubtree { region_path } => query.actor_region_path = Some(region_path),
            _ => query.user_name = Some(who.user_name.to_string()),
        }
        Ok(fiscus_store::audit::list(&self.db, &query).await?)
    }

    pub async fn create_record(
        &self,
        who: &Principal,
        spec: &'static EntitySpec,
        input: &Input,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        // Refused before waiting for the writer; `create_in_tx` checks again for its callers.
        self.require(who, Action::Write, spec)?;
        let mut tx = self.db.begin().await?;
        let key = self.create_in_tx(&mut tx, who, spec, input, ctx).await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Creates one record inside the caller's transaction: the one path of every create,
    /// the single form or API call and each row of an Excel import alike. Returns the key.
    pub(crate) async fn create_in_tx(
        &self,
        tx: &mut Tx,
        who: &Principal,
        spec: &'static EntitySpec,
        input: &Input,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        self.require(who, Action::Write, spec)?;
        let mut record = parse_fields(spec, input, Mode::Create)?;
        check_record(spec, &mut record)?;
        let (key, mut system) = self.prepare_create(tx, who, spec, &mut record).await?;
        system.extend(stamp(who, true));
        records::insert(tx, spec, &record, &system)
            .await
            .map_err(|error| match error {
                StoreError::UniqueViolation => {
                    AppError::Rejected(duplicate_of(spec, &key, &record))
                }
                other => other.into(),
            })?;
        let changes: serde_json::Map<String, serde_json::Value> = spec
            .stored_fields()
            .filter_map(|field| {
                record
                    .get(field.name)
                    .filter(|v| **v != Value::Null)
                    .map(|v| (field.name.to_owned(), display_value(field.kind, v).into()))
            })
            .collect();
        let changes = serde_json::Value::Object(changes);
        self.audit(tx, who, "create", spec, &key, changes, ctx)
            .await?;
        Ok(key)
    }

    pub async fn update_record(
        &self,
        who: &Principal,
        spec: &'static EntitySpec,
        key: &str,
        input: &Input,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        self.update_record_in_tx(&mut tx, who, spec, key, input, ctx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables (停用) or re-enables (启用) a record. Records are never deleted.
    pub async fn set_record_enabled(
        &self,
        who: &Principal,
        spec: &'static EntitySpec,
        key: &str,
        enabled: bool,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        self.require(who, Action::Write, spec)?;
        if spec.name == "codes" || spec.name == "code-mappings" {
            require_root_bureau(who)?;
        }
        let mut tx = self.db.begin().await?;
        let old = records::get_for_update(&mut tx, spec, Viewer::User(who), key)
            .await?
            .ok_or(Rejection::NotFound { what: spec.label })?;
        let currently = old
            .get("is_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        match (currently, enabled) {
            (false, false) => return Err(Rejection::AlreadyDisabled.into()),
            (true, true) => return Err(Rejection::AlreadyEnabled.into()),
            _ => {}
        }
        if enabled {
            check_parent_enabled(&mut tx, spec, &old).await?;
        } else {
            check_can_disable(&mut tx, who, spec, key).await?;
        }
        let mut columns = vec![("is_enabled", Bind::Bool(Some(enabled)))];
        columns.extend(stamp(who, false));
        records::update(&mut tx, spec, key, &columns).await?;
        if spec.name == "users" && !enabled {
            fiscus_store::auth::delete_user_sessions(&mut tx, key).await?;
        }
        let label = |flag: bool| if flag { "启用" } else { "停用" };
        let diff = serde_json::json!({ "is_enabled": [label(currently), label(enabled)] });
        self.audit(
            &mut tx,
            who,
            if enabled { "enable" } else { "disable" },
            spec,
            key,
            diff,
            ctx,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit(
        &self,
        tx: &mut Tx,
        who: &Principal,
        action: &'static str,
        spec: &EntitySpec,
        key: &str,
        changes: serde_json::Value,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        let mut entry = AuditEntry::by(Some(who), action);
        entry.entity = Some(spec.name);
        entry.entity_key = Some(key.to_owned());
        entry.changes = Some(changes.to_string());
        entry.ip = ctx.ip.clone();
        entry.request_id = ctx.request_id.clone();
        append(tx, &entry).await?;
        Ok(())
    }

    /// Checks stored facts for a new record and returns its key and system columns.
    async fn prepare_create(
        &self,
        tx: &mut Tx,
        who: &Principal,
        spec: &'static EntitySpec,
        record: &mut Record,
    ) -> Result<(String, Vec<(&'static str, Bind)>), AppError> {
        let scope = who.scope();
        let mut system = Vec::new();
        let key = match spec.name {
            "regions" => {
                let code = require_text(record, "mof_div_code")?;
                let parent = match text(record, "parent_mof_div_code") {
                    Some(parent_code) => {
                        Some(region_in_scope(tx, &scope, parent_code, "上级区划").await?)
                    }
                    None if who.is_root_bureau()
                        && fiscus_store::bulk::count_rows(tx, "region").await? == 0 =>
                    {
                        None
                    }
                    None => {
                        return Err(Rejection::FieldRequired {
                            field: "上级区划"
                        }
                        .into());
                    }
                };
                let level = region_level_for_child(
                    parent.as_ref().map(|p| p.level_num),
                    &code,
                    parent.as_ref().map(|p| p.mof_div_code.as_str()),
                )?;
                system.push(("level_num", Bind::Int(Some(level))));
                system.push((
                    "region_path",
                    Bind::text(child_path(
                        parent.as_ref().map(|p| p.region_path.as_str()),
                        &code,
                    )),
                ));
                code
            }
            "agencies" => {
                let code = require_text(record, "agency_code")?;
                let region = region_in_scope(
                    tx,
                    &scope,
                    &require_text(record, "mof_div_code")?,
                    "财政区划",
                )
                .await?;
                let parent_path = match text(record, "parent_agency_code") {
                    Some(parent_code) => {
                        let parent =
                            agency_in_scope(tx, &scope, parent_code, "主管部门（上级单位）")
                                .await?;
                        if parent.mof_div_code != region.mof_div_code {
                            return Err(Rejection::AgencyParentOtherRegion.into());
                        }
                        Some(parent.agency_path)
                    }
                    None => None,
                };
                if !scope.contains_region_path(&region.region_path) {
                    return Err(Rejection::Forbidden.into());
                }
                check_codes(tx, spec, record, None).await?;
                system.push((
                    "agency_path",
                    Bind::text(child_path(parent_path.as_deref(), &code)),
                ));
                code
            }
            "accounts" => {
                let agency = agency_in_scope(
                    tx,
                    &scope,
                    &require_text(record, "agency_code")?,
                    "单位代码",
                )
                .await?;
                check_codes(tx, spec, record, None).await?;
                if text(record, "acc_type_code") == Some(ACC_TYPE_ZERO_BALANCE) {
                    check_no_other_zero_balance(tx, &agency.agency_code, None).await?;
                }
                system.push(("mof_div_code", Bind::text(agency.mof_div_code)));
                let id = random_id()?;
                system.push(("account_id", Bind::text(id.clone())));
                id
            }
            "persons" => {
                let agency = agency_in_scope(
                    tx,
                    &scope,
                    &require_text(record, "agency_code")?,
                    "所在单位",
                )
                .await?;
                check_codes(tx, spec, record, None).await?;
                let iden_no = require_text(record, "iden_no")?;
                system.extend(self.sealed_identity(record, &iden_no)?);
                system.push(("mof_div_code", Bind::text(agency.mof_div_code)));
                let id = random_id()?;
                system.push(("per_id", Bind::text(id.clone())));
                id
            }
            "codes" => {
                require_root_bureau(who)?;
                let (element_code, year, code) = (
                    require_text(record, "element_code")?,
                    record_year(record, "fiscal_year")?,
                    require_text(record, "code")?,
                );
                let element =
                    facts::element(tx, &element_code)
                        .await?
                        .ok_or(Rejection::ElementUnknown {
                            value: element_code.clone(),
                        })?;
                let parent_code = text(record, "parent_code")
                    .ok_or(Rejection::LocalCodeNeedsNationalParent)?
                    .to_owned();
                let parent = facts::code(tx, &element_code, year, &parent_code)
                    .await?
                    .ok_or_else(|| Rejection::CodeNotInYearTable {
                        element_name: element.element_name.clone(),
                        code: parent_code.clone(),
                        fiscal_year: year as i32,
                    })?;
                if parent.is_local {
                    return Err(Rejection::LocalCodeNeedsNationalParent.into());
                }
                if !parent.is_enabled {
                    return Err(Rejection::ParentDisabled {
                        field: "上级编码"
                    }
                    .into());
                }
                if !code.starts_with(&parent_code) || code == parent_code {
                    return Err(Rejection::CodeNotUnderParent { code, parent_code }.into());
                }
                check_code_segments(&code, &element.segments, true)?;
                system.push(("level_num", Bind::Int(Some(parent.level_num + 1))));
                system.push(("is_local", Bind::Bool(Some(true))));
                let id = format!("{element_code}:{year}:{code}");
                system.push(("item_id", Bind::text(id.clone())));
                id
            }
            "code-mappings" => {
                require_root_bureau(who)?;
                let element_code = require_text(record, "element_code")?;
                let element =
                    facts::element(tx, &element_code)
                        .await?
                        .ok_or(Rejection::ElementUnknown {
                            value: element_code.clone(),
                        })?;
                for (year_field, code_field) in [("from_year", "from_code"), ("to_year", "to_code")]
                {
                    let year = record_year(record, year_field)?;
                    let code = require_text(record, code_field)?;
                    code_in_year(
                        tx,
                        &element.element_code,
                        &element.element_name,
                        year,
                        &code,
                    )
                    .await?;
                }
                let id = random_id()?;
                system.push(("mapping_id", Bind::text(id.clone())));
                id
            }
            "standards" => {
                let region = region_in_scope(
                    tx,
                    &scope,
                    &require_text(record, "mof_div_code")?,
                    "财政区划",
                )
                .await?;
                let year = record_year(record, "fiscal_year")?;
                check_codes(tx, spec, record, Some(year)).await?;
                system.push(("region_path", Bind::text(region.region_path)));
                let id = random_id()?;
                system.push(("std_id", Bind::text(id.clone())));
                id
            }
            "users" => {
                let user_name = require_text(record, "user_name")?;
                let region = region_in_scope(
                    tx,
                    &scope,
                    &require_text(record, "mof_div_code")?,
                    "所属区划",
                )
                .await?;
                if let Some(agency_code) = text(record, "agency_code") {
                    let agency = agency_in_scope(tx, &scope, agency_code, "所属单位").await?;
                    if agency.mof_div_code != region.mof_div_code {
                        return Err(Rejection::AgencyParentOtherRegion.into());
                    }
                }
                let password = require_text(record, "password")?;
                system.push((
                    "password_hash",
                    Bind::text(crate::auth::hash_password(&password)?),
                ));
                system.push(("must_change_password", Bind::Bool(Some(true))));
                user_name
            }
            _ => {
                return Err(AppError::Internal(format!(
                    "no create rule for {}",
                    spec.name
                )));
            }
        };
        if records::get_for_update(tx, spec, Viewer::System, &key)
            .await?
            .is_some()
        {
            return Err(duplicate(spec, &key).into());
        }
        Ok((key, system))
    }

    /// Checks stored facts for an edit; may add or adjust changes and returns system columns.
    #[allow(clippy::too_many_arguments)]
    async fn prepare_update(
        &self,
        tx: &mut Tx,
        who: &Principal,
        spec: &'static EntitySpec,
        key: &str,
        old: &Record,
        changes: &mut Record,
        input: &Input,
    ) -> Result<Vec<(&'static str, Bind)>, AppError> {
        let scope = who.scope();
        let mut system = Vec::new();
        let year = old.get("fiscal_year").and_then(Value::as_int);
        check_codes(tx, spec, changes, year).await?;
        match spec.name {
            "agencies" => {
                let new_parent = changes.get("parent_agency_code").cloned();
                if let Some(new_parent) = new_parent
                    && Some(&new_parent) != old.get("parent_agency_code")
                {
                    let old_path = agency_path_of(tx, key).await?;
                    let new_path = match new_parent.as_text() {
                        Some(parent_code) => {
                            let parent =
                                agency_in_scope(tx, &scope, parent_code, "主管部门（上级单位）")
                                    .await?;
                            if parent.agency_path.starts_with(&old_path) {
                                return Err(Rejection::AgencyParentCycle.into());
                            }
                            if Some(parent.mof_div_code.as_str()) != text(old, "mof_div_code") {
                                return Err(Rejection::AgencyParentOtherRegion.into());
                            }
                            child_path(Some(&parent.agency_path), key)
                        }
                        None => child_path(None, key),
                    };
                    facts::reroot_agency_paths(tx, &old_path, &new_path).await?;
                }
            }
            "accounts" => {
                let becomes_zero_balance =
                    text(changes, "acc_type_code") == Some(ACC_TYPE_ZERO_BALANCE);
                if becomes_zero_balance
                    && old.get("is_enabled").and_then(Value::as_bool) == Some(true)
                {
                    check_no_other_zero_balance(
                        tx,
                        text(old, "agency_code").unwrap_or_default(),
                        Some(key),
                    )
                    .await?;
                }
            }
            "persons" => {
                if let Some(agency_code) = text(changes, "agency_code")
                    && Some(agency_code) != text(old, "agency_code")
                {
                    let agency = agency_in_scope(tx, &scope, agency_code, "所在单位").await?;
                    system.push(("mof_div_code", Bind::text(agency.mof_div_code)));
                }
                if let Some(iden_no) = input
                    .get("iden_no")
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                {
                    let iden_type = text(changes, "iden_type_code")
                        .or(text(old, "iden_type_code"))
                        .unwrap_or_default();
                    let normalized = if iden_type == fiscus_core::masterdata::IDEN_TYPE_RESIDENT {
                        IdentityNumber::parse(iden_no)?.into_string()
                    } else {
                        iden_no.to_owned()
                    };
                    let mut with_type = Record::new();
                    with_type.insert("iden_type_code", Value::Text(iden_type.to_owned()));
                    system.extend(self.sealed_identity(&with_type, &normalized)?);
                }
            }
            "codes" => {
                require_root_bureau(who)?;
                if old.get("is_local").and_then(Value::as_bool) != Some(true) && !changes.is_empty()
                {
                    return Err(Rejection::NationalCodeReadOnly.into());
                }
            }
            "code-mappings" => {
                require_root_bureau(who)?;
                let element_code = text(old, "element_code").unwrap_or_default().to_owned();
                let element =
                    facts::element(tx, &element_code)
                        .await?
                        .ok_or(Rejection::ElementUnknown {
                            value: element_code.clone(),
                        })?;
                for (year_field, code_field) in [("from_year", "from_code"), ("to_year", "to_code")]
                {
                    if let Some(code) = text(changes, code_field) {
                        let year = old
                            .get(year_field)
                            .and_then(Value::as_int)
                            .unwrap_or_default();
                        code_in_year(tx, &element.element_code, &element.element_name, year, code)
                            .await?;
                    }
                }
            }
            "users" => {
                if let Some(roles) = text(changes, "roles") {
                    let at_agency = old.get("agency_code").is_some_and(|v| *v != Value::Null);
                    check_roles_fit_org(RoleSet::parse_list(roles)?, at_agency)?;
                }
            }
            _ => {}
        }
        Ok(system)
    }

    /// The ciphertext and masked form of an identity number.
    fn sealed_identity(
        &self,
        record: &Record,
        iden_no: &str,
    ) -> Result<Vec<(&'static str, Bind)>, AppError> {
        let resident =
            text(record, "iden_type_code") == Some(fiscus_core::masterdata::IDEN_TYPE_RESIDENT);
        let masked = if resident {
            IdentityNumber::parse(iden_no)?.masked()
        } else {
            let chars: Vec<char> = iden_no.chars().collect();
            let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
            format!("****{tail}")
        };
        Ok(vec![
            ("iden_no_cipher", Bind::text(self.cipher.encrypt(iden_no)?)),
            ("iden_no_masked", Bind::text(masked)),
        ])
    }

    /// Reads the clear identity number of a person the viewer may see (detail page only).
    pub async fn reveal_identity(
        &self,
        who: &Principal,
        per_id: &str,
        ctx: &RequestCtx,
    ) -> Result<String, AppError> {
        self.get_record(who, &schema::PERSON, per_id).await?;
        let mut tx = self.db.begin().await?;
        let cipher = fiscus_store::records::identity_cipher(&mut tx, per_id)
            .await?
            .ok_or(Rejection::NotFound { what: "人员" })?;
        let mut entry = AuditEntry::by(Some(who), "identity_viewed");
        entry.entity = Some("persons");
        entry.entity_key = Some(per_id.to_owned());
        entry.ip = ctx.ip.clone();
        entry.request_id = ctx.request_id.clone();
        append(&mut tx, &entry).await?;
        tx.commit().await?;
        self.cipher.decrypt(&cipher)
    }
}

/// The masked form stored beside an identity number's ciphertext: `110105********002X` for a
/// resident identity card, the last four characters otherwise.
pub fn masked_identity(iden_type_code: &str, iden_no: &str) -> Result<String, Rejection> {
    if iden_type_code == fiscus_core::masterdata::IDEN_TYPE_RESIDENT {
        return Ok(IdentityNumber::parse(iden_no)?.masked());
    }
    let chars: Vec<char> = iden_no.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    Ok(format!("****{tail}"))
}

fn duplicate(spec: &EntitySpec, key: &str) -> Rejection {
    let what = spec.field(spec.key).map_or(spec.label, |field| field.label);
    Rejection::DuplicateCode {
        what,
        value: key.rsplit(':').next().unwrap_or(key).to_owned(),
    }
}

/// A unique violation on insert, named after what people entered: kinds with a generated
/// key are unique on other columns, and the generated id means nothing to the user.
fn duplicate_of(spec: &EntitySpec, key: &str, record: &Record) -> Rejection {
    let natural = match spec.name {
        "accounts" => text(record, "account_no").map(|account_no| ("账号", account_no.to_owned())),
        "standards" => text(record, "std_code").map(|std_code| ("标准编码", std_code.to_owned())),
        "code-mappings" => match (text(record, "from_code"), text(record, "to_code")) {
            (Some(from), Some(to)) => Some(("新旧科目对照", format!("{from} → {to}"))),
            _ => None,
        },
        _ => None,
    };
    match natural {
        Some((what, value)) => Rejection::DuplicateCode { what, value },
        None => duplicate(spec, key),
    }
}

pub(crate) fn require_root_bureau(who: &Principal) -> Result<(), AppError> {
    if who.is_root_bureau() {
        Ok(())
    } else {
        Err(Rejection::Forbidden.into())
    }
}

fn record_year(record: &Record, name: &str) -> Result<i64, AppError> {
    record
        .get(name)
        .and_then(Value::as_int)
        .ok_or_else(|| AppError::Internal(format!("{name} missing after validation")))
}

async fn region_in_scope(
    tx: &mut Tx,
    scope: &DataScope,
    code: &str,
    field: &'static str,
) -> Result<facts::RegionFacts, AppError> {
    let region = facts::region(tx, code).await?;
    match region {
        Some(region)
            if scope.contains_region_path(&region.region_path)
                || !matches!(scope, DataScope::RegionSubtree { .. }) =>
        {
            if !region.is_enabled {
                return Err(Rejection::ParentDisabled { field }.into());
            }
            Ok(region)
        }
        _ => Err(Rejection::ParentUnknown {
            field,
            value: code.to_owned(),
        }
        .into()),
    }
}

async fn agency_in_scope(
    tx: &mut Tx,
    scope: &DataScope,
    code: &str,
    field: &'static str,
) -> Result<facts::AgencyFacts, AppError> {
    let agency = facts::agency(tx, code).await?;
    match agency {
        Some(agency)
            if scope.contains_agency(
                &agency.region_path,
                &agency.agency_code,
                &agency.agency_path,
            ) =>
        {
            if !agency.is_enabled {
                return Err(Rejection::ParentDisabled { field }.into());
            }
            Ok(agency)
        }
        _ => Err(Rejection::ParentUnknown {
            field,
            value: code.to_owned(),
        }
        .into()),
    }
}

async fn agency_path_of(tx: &mut Tx, agency_code: &str) -> Result<String, AppError> {
    Ok(facts::agency(tx, agency_code)
        .await?
        .map(|a| a.agency_path)
        .ok_or(Rejection::NotFound { what: "单位" })?)
}

async fn code_in_year(
    tx: &mut Tx,
    element_code: &str,
    element_name: &str,
    year: i64,
    code: &str,
) -> Result<(), AppError> {
    match facts::code(tx, element_code, year, code).await? {
        Some(found) if found.is_enabled => Ok(()),
        _ => Err(Rejection::CodeNotInYearTable {
            element_name: element_name.to_owned(),
            code: code.to_owned(),
            fiscal_year: year as i32,
        }
        .into()),
    }
}

/// Every code field of the record must exist (enabled) in its element's table for the
/// record's fiscal year, or the latest year for records without one.
async fn check_codes(
    tx: &mut Tx,
    spec: &EntitySpec,
    record: &Record,
    year: Option<i64>,
) -> Result<(), AppError> {
    let record_year = year.or_else(|| record.get("fiscal_year").and_then(Value::as_int));
    for field in spec.fields {
        let FieldKind::Code(element_code) = field.kind else {
            continue;
        };
        let Some(code) = text(record, field.name) else {
            continue;
        };
        let element = facts::element(tx, element_code)
            .await?
            .ok_or(Rejection::ElementUnknown {
                value: element_code.to_owned(),
            })?;
        let year = match record_year {
            Some(year) => year,
            None => facts::current_year(tx, element_code)
                .await?
                .unwrap_or_default(),
        };
        code_in_year(tx, element_code, &element.element_name, year, code).await?;
    }
    Ok(())
}

async fn check_no_other_zero_balance(
    tx: &mut Tx,
    agency_code: &str,
    except_account: Option<&str>,
) -> Result<(), AppError> {
    let existing =
        fiscus_store::records::zero_balance_accounts(tx, agency_code, ACC_TYPE_ZERO_BALANCE)
            .await?;
    if existing
        .iter()
        .any(|id| Some(id.as_str()) != except_account)
    {
        return Err(Rejection::ZeroBalanceAccountExists.into());
    }
    Ok(())
}

async fn check_parent_enabled(
    tx: &mut Tx,
    spec: &EntitySpec,
    record: &Record,
) -> Result<(), AppError> {
    match spec.name {
        "regions" => {
            if let Some(parent) = text(record, "parent_mof_div_code")
                && facts::region(tx, parent)
                    .await?
                    .is_some_and(|p| !p.is_enabled)
            {
                return Err(Rejection::ParentDisabled {
                    field: "上级区划"
                }
                .into());
            }
        }
        "agencies" => {
            if let Some(parent) = text(record, "parent_agency_code")
                && facts::agency(tx, parent)
                    .await?
                    .is_some_and(|p| !p.is_enabled)
            {
                return Err(Rejection::ParentDisabled {
                    field: "主管部门（上级单位）",
                }
                .into());
            }
        }
        "codes" => {
            let year = record
                .get("fiscal_year")
                .and_then(Value::as_int)
                .unwrap_or_default();
            if let (Some(element_code), Some(parent)) =
                (text(record, "element_code"), text(record, "parent_code"))
                && facts::code(tx, element_code, year, parent)
                    .await?
                    .is_some_and(|p| !p.is_enabled)
            {
                return Err(Rejection::ParentDisabled {
                    field: "上级编码"
                }
                .into());
            }
        }
        "persons" | "accounts" => {
            if let Some(agency) = text(record, "agency_code")
                && facts::agency(tx, agency)
                    .await?
                    .is_some_and(|a| !a.is_enabled)
            {
                return Err(Rejection::ParentDisabled { field: "单位" }.into());
            }
            if spec.name == "accounts"
                && text(record, "acc_type_code") == Some(ACC_TYPE_ZERO_BALANCE)
            {
                check_no_other_zero_balance(
                    tx,
                    text(record, "agency_code").unwrap_or_default(),
                    None,
                )
                .await?;
            }
        }
        _ => {}
    }
    Ok(())
}

async fn check_can_disable(
    tx: &mut Tx,
    who: &Principal,
    spec: &EntitySpec,
    key: &str,
) -> Result<(), AppError> {
    match spec.name {
        "regions" => {
            if records::count_where(tx, "region", "parent_mof_div_code", key, true).await? > 0 {
                return Err(Rejection::HasEnabledChildren { what: "区划" }.into());
            }
            if records::count_where(tx, "agency", "mof_div_code", key, true).await? > 0 {
                return Err(Rejection::HasEnabledChildren { what: "单位" }.into());
            }
        }
        "agencies" => {
            if records::count_where(tx, "agency", "parent_agency_code", key, true).await? > 0 {
                return Err(Rejection::HasEnabledChildren { what: "单位" }.into());
            }
        }
        "users" if who.user_name.as_str() == key => return Err(Rejection::CannotDisableSelf.into()),
        _ => {}
    }
    Ok(())
}

impl App {
    /// Visible regions (parents first) with their own-level unit counts.
    pub async fn region_tree(
        &self,
        who: &Principal,
    ) -> Result<Vec<fiscus_store::tree::RegionNode>, AppError> {
        self.require(who, Action::Read, &schema::REGION)?;
        Ok(fiscus_store::tree::regions(&self.db, Viewer::User(who)).await?)
    }

    /// Visible units of one region, departments before their sub-units.
    pub async fn agency_tree(
        &self,
        who: &Principal,
        mof_div_code: &str,
    ) -> Result<Vec<fiscus_store::tree::AgencyNode>, AppError> {
        self.require(who, Action::Read, &schema::AGENCY)?;
        fiscus_core::MofDivCode::parse(mof_div_code)?;
        Ok(fiscus_store::tree::agencies(&self.db, Viewer::User(who), mof_div_code).await?)
    }

    /// (code, name) pairs of an element for a year (or its latest year): for pickers and for
    /// showing names beside codes. Code tables are readable by every signed-in user.
    pub async fn code_names(
        &self,
        element_code: &str,
        fiscal_year: Option<i64>,
    ) -> Result<Vec<(String, String)>, AppError> {
        Ok(fiscus_store::tree::code_names(&self.db, element_code, fiscal_year).await?)
    }
}

impl App {
    /// An edit inside the caller's transaction: `update_record` wraps it in its own, and an
    /// approved 基础信息变更 (flow engine) applies its change through it inside the approval's.
    /// A form's `_version` (the `updated_at` it was drawn from) is checked when present.
    pub(crate) async fn update_record_in_tx(
        &self,
        tx: &mut Tx,
        who: &Principal,
        spec: &'static EntitySpec,
        key: &str,
        input: &Input,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        self.require(who, Action::Write, spec)?;
        let mut changes = parse_fields(spec, input, Mode::Update)?;
        check_record(spec, &mut changes)?;
        let old = records::get_for_update(tx, spec, Viewer::User(who), key)
            .await?
            .ok_or(Rejection::NotFound { what: spec.label })?;
        if let Some(version) = input.get("_version").filter(|v| !v.is_empty())
            && text(&old, "updated_at") != Some(version)
        {
            return Err(Rejection::StaleVersion.into());
        }
        let mut system = self
            .prepare_update(tx, who, spec, key, &old, &mut changes, input)
            .await?;
        let mut diff = serde_json::Map::new();
        let mut columns = Vec::new();
        for field in spec.stored_fields() {
            let Some(new_value) = changes.get(field.name) else {
                continue;
            };
            let old_value = old.get(field.name).cloned().unwrap_or(Value::Null);
            if *new_value != old_value {
                diff.insert(
                    field.name.into(),
                    serde_json::json!([
                        display_value(field.kind, &old_value),
                        display_value(field.kind, new_value)
                    ]),
                );
                columns.push((field.name, Bind::of(field.kind, new_value)));
            }
        }
        for (name, _) in &system {
            diff.entry(name.to_string())
                .or_insert_with(|| serde_json::json!(["", "已修改"]));
        }
        if diff.is_empty() {
            return Ok(());
        }
        columns.append(&mut system);
        columns.extend(stamp(who, false));
        records::update(tx, spec, key, &columns).await?;
        let diff = serde_json::Value::Object(diff);
        self.audit(tx, who, "update", spec, key, diff, ctx).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_forms() {
        assert_eq!(
            masked_identity("01", "11010519491231002X").ok().as_deref(),
            Some("110105********002X")
        );
        assert!(masked_identity("01", "not a number").is_err());
        assert_eq!(
            masked_identity("02", "E12345678").ok().as_deref(),
            Some("****5678")
        );
    }
}
