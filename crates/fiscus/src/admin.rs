//! Operator commands: `token create`, `user create`, `user reset-password`, `keygen`. The CLI
//! is the operator, so it acts as a system principal: a system administrator of the corps
//! finance bureau at the root of the region tree.

use anyhow::{Context, Result, anyhow, bail};
use fiscus_app::{App, RequestCtx};
use fiscus_core::code::UserName;
use fiscus_core::masterdata::{Input, check_password_strength};
use fiscus_core::{MofDivCode, OrgNode, Principal, Role, RoleSet};
use fiscus_store::audit::{AuditEntry, append, now};

use crate::app_error;
use crate::cli::UserCreateArgs;

/// The name under which the CLI's changes appear in the audit log.
pub const SYSTEM_USER_NAME: &str = "system";

/// A system administrator at the root region: what the operator at the console may do.
pub async fn system_principal(app: &App) -> Result<Principal> {
    let roots = fiscus_store::verify::root_regions(&app.db).await?;
    let root = match roots.as_slice() {
        [root] => root,
        [] => bail!("the region tree is empty: load it first (`fiscus demo` or the regions API)"),
        _ => bail!(
            "the region tree has {} roots; run `fiscus verify`",
            roots.len()
        ),
    };
    let mof_div_code = MofDivCode::parse(&root.mof_div_code)
        .map_err(|_| anyhow!("the root region code {} is invalid", root.mof_div_code))?;
    Ok(Principal {
        user_name: UserName::parse(SYSTEM_USER_NAME).map_err(app_error_from_rejection)?,
        display_name: "系统".into(),
        roles: RoleSet::of(&[Role::SysAdmin]),
        org: OrgNode::FinanceBureau { mof_div_code },
        region_path: root.region_path.clone(),
        agency_path: None,
        org_name: root.mof_div_name.clone(),
    })
}

fn app_error_from_rejection(rejection: fiscus_core::Rejection) -> anyhow::Error {
    app_error(rejection.into())
}

pub fn keygen() -> Result<String> {
    fiscus_app::crypto::random_token().map_err(app_error)
}

pub async fn token_create(app: &App, user_name: &str, label: &str) -> Result<String> {
    app.create_api_token(user_name, label)
        .await
        .map_err(app_error)
        .with_context(|| format!("cannot create a token for user {user_name}"))
}

pub async fn user_create(app: &App, args: &UserCreateArgs) -> Result<String> {
    let system = system_principal(app).await?;
    let mut fields = vec![
        ("user_name", args.name.clone()),
        ("display_name", args.display_name.clone()),
        ("mof_div_code", args.region.clone()),
        ("roles", args.roles.clone()),
        ("password", args.password.clone()),
    ];
    if let Some(agency) = &args.agency {
        fields.push(("agency_code", agency.clone()));
    }
    let input = Input(
        fields
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
    );
    app.create_record(
        &system,
        &fiscus_core::schema::USER,
        &input,
        &RequestCtx::default(),
    )
    .await
    .map_err(app_error)
    .with_context(|| format!("cannot create user {}", args.name))
}

/// Sets a new initial password, ends the user's sessions and records it in the audit log.
pub async fn user_reset_password(app: &App, user_name: &str, password: &str) -> Result<()> {
    let user = fiscus_store::auth::user_by_name(&app.db, user_name)
        .await?
        .ok_or_else(|| anyhow!("no user named {user_name}"))?;
    check_password_strength(password).map_err(app_error_from_rejection)?;
    let hash = fiscus_app::auth::hash_password(password).map_err(app_error)?;
    let mut tx = app.db.begin().await?;
    fiscus_store::auth::set_password(
        &mut tx,
        &user.user_name,
        &hash,
        true,
        &now(),
        SYSTEM_USER_NAME,
    )
    .await?;
    fiscus_store::auth::delete_user_sessions(&mut tx, &user.user_name).await?;
    let mut entry = AuditEntry::by(None, "password_reset");
    entry.entity = Some("users");
    entry.entity_key = Some(user.user_name.clone());
    append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}
