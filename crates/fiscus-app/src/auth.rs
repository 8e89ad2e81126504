//! Authentication: argon2id passwords, login throttling and lockout, sessions stored in the
//! database (the cookie carries a random token, the table its SM3 hash), per-session CSRF
//! tokens, API tokens for machine clients, and the principal every request acts as.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use fiscus_core::code::UserName;
use fiscus_core::masterdata::check_password_strength;
use fiscus_core::{AgencyCode, MofDivCode, OrgNode, Principal, Rejection, RoleSet};
use fiscus_store::audit::{AuditEntry, append, now};
use fiscus_store::auth::{self as stored, UserAuth};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::crypto::{random_token, sm3_hex};
use crate::{App, AppError, RequestCtx};

pub fn hash_password(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password_hash: &str, password: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), password_hash)
        .is_ok()
}

/// Failed logins from one address within `IP_WINDOW` before it is told to wait.
pub const IP_FAILURES_MAX: usize = 30;
const IP_WINDOW: Duration = Duration::from_secs(300);

/// In-memory throttle of failed logins per client address (the per-account lockout is in
/// the database and survives restarts; this one only slows down guessing across accounts).
#[derive(Clone, Default)]
pub struct LoginThrottle {
    failures: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
}

impl LoginThrottle {
    fn is_blocked(&self, ip: &str) -> bool {
        let Ok(mut failures) = self.failures.lock() else {
            return false;
        };
        let entries = failures.entry(ip.to_owned()).or_default();
        entries.retain(|at| at.elapsed() < IP_WINDOW);
        entries.len() >= IP_FAILURES_MAX
    }

    fn record_failure(&self, ip: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures
                .entry(ip.to_owned())
                .or_default()
                .push(Instant::now());
        }
    }
}

pub struct LoginOutcome {
    /// Goes into the cookie; only its hash is stored.
    pub session_token: String,
    pub csrf_token: String,
    pub must_change_password: bool,
}

/// A resolved browser session.
pub struct Session {
    pub principal: Principal,
    pub csrf_token: String,
    /// The user must change the password before doing anything else.
    pub must_change_password: bool,
}

fn timestamp_in(duration: time::Duration) -> String {
    (OffsetDateTime::now_utc() + duration)
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn minutes_until(timestamp: &str) -> Option<i64> {
    let until = OffsetDateTime::parse(timestamp, &Rfc3339).ok()?;
    let left = until - OffsetDateTime::now_utc();
    (left.is_positive()).then(|| left.whole_minutes() + 1)
}

fn audit(
    action: &'static str,
    user_name: &str,
    auth: Option<&UserAuth>,
    ctx: &RequestCtx,
) -> AuditEntry {
    AuditEntry {
        user_name: user_name.chars().take(64).collect(),
        mof_div_code: auth.map(|a| a.mof_div_code.clone()),
        agency_code: auth.and_then(|a| a.agency_code.clone()),
        action,
        entity: Some("users"),
        entity_key: Some(user_name.chars().take(64).collect()),
        changes: None,
        ip: ctx.ip.clone(),
        request_id: ctx.request_id.clone(),
    }
}

/// Builds the principal of a stored user.
pub fn principal_of(auth: &UserAuth) -> Result<Principal, AppError> {
    let corrupt =
        |what: &str| AppError::Internal(format!("user {} has an invalid {what}", auth.user_name));
    let mof_div_code = MofDivCode::parse(&auth.mof_div_code).map_err(|_| corrupt("region"))?;
    let org = match &auth.agency_code {
        Some(code) => OrgNode::Agency {
            mof_div_code,
            agency_code: AgencyCode::parse(code).map_err(|_| corrupt("unit"))?,
        },
        None => OrgNode::FinanceBureau { mof_div_code },
    };
    Ok(Principal {
        user_name: UserName::parse(&auth.user_name).map_err(|_| corrupt("name"))?,
        display_name: auth.display_name.clone(),
        roles: RoleSet::parse_list(&auth.roles).map_err(|_| corrupt("role list"))?,
        org,
        region_path: auth.region_path.clone(),
        agency_path: auth.agency_path.clone(),
        org_name: auth.org_name.clone(),
    })
}

impl App {
    /// Checks a user name and password. Order: address throttle, lockout, password, disabled.
    /// A wrong user name and a wrong password give the same answer.
    pub async fn login(
        &self,
        user_name: &str,
        password: &str,
        ctx: &RequestCtx,
    ) -> Result<LoginOutcome, AppError> {
        let ip = ctx.ip.clone().unwrap_or_default();
        if self.throttle.is_blocked(&ip) {
            return Err(Rejection::TooManyRequests.into());
        }
        let user_name = user_name.trim();
        let stored_user = stored::user_by_name(&self.db, user_name).await?;
        let Some(user) = stored_user else {
            // Spend the same time as a real check so that names cannot be probed by timing.
            let _ = verify_password(DUMMY_HASH, password);
            self.throttle.record_failure(&ip);
            let mut tx = self.db.begin().await?;
            append(&mut tx, &audit("login_failed", user_name, None, ctx)).await?;
            tx.commit().await?;
            return Err(Rejection::LoginFailed.into());
        };
        if let Some(minutes_left) = user.locked_until.as_deref().and_then(minutes_until) {
            return Err(Rejection::AccountLocked { minutes_left }.into());
        }
        if !verify_password(&user.password_hash, password) {
            self.throttle.record_failure(&ip);
            let lock_until = timestamp_in(time::Duration::minutes(self.settings.lockout_minutes));
            let mut tx = self.db.begin().await?;
            stored::record_login_failure(
                &mut tx,
                &user.user_name,
                self.settings.login_failures_max,
                &lock_until,
            )
            .await?;
            append(
                &mut tx,
                &audit("login_failed", &user.user_name, Some(&user), ctx),
            )
            .await?;
            tx.commit().await?;
            return Err(Rejection::LoginFailed.into());
        }
        if !user.is_enabled {
            return Err(Rejection::AccountDisabled.into());
        }
        let session_token = random_token()?;
        let csrf_token = random_token()?;
        let now = now();
        let expires_at = timestamp_in(time::Duration::hours(self.settings.session_hours));
        let mut tx = self.db.begin().await?;
        stored::record_login_success(&mut tx, &user.user_name, &now).await?;
        stored::delete_expired_sessions(&mut tx, &now).await?;
        stored::create_session(
            &mut tx,
            &sm3_hex(&session_token),
            &user.user_name,
            &csrf_token,
            &now,
            &expires_at,
        )
        .await?;
        append(
            &mut tx,
            &audit("login_succeeded", &user.user_name, Some(&user), ctx),
        )
        .await?;
        tx.commit().await?;
        Ok(LoginOutcome {
            session_token,
            csrf_token,
            must_change_password: user.must_change_password && !self.settings.demo_mode,
        })
    }

    /// The session behind a cookie token, if it is live and its user enabled.
    pub async fn session(&self, session_token: &str) -> Result<Option<Session>, AppError> {
        let found = stored::user_by_session(&self.db, &sm3_hex(session_token), &now()).await?;
        let Some((user, csrf_token)) = found else {
            return Ok(None);
        };
        if !user.is_enabled {
            return Ok(None);
        }
        Ok(Some(Session {
            principal: principal_of(&user)?,
            csrf_token,
            must_change_password: user.must_change_password && !self.settings.demo_mode,
        }))
    }

    /// The user behind a bearer API token.
    pub async fn token_principal(&self, token: &str) -> Result<Option<Principal>, AppError> {
        let found = stored::user_by_token(&self.db, &sm3_hex(token)).await?;
        match found {
            Some(user) if user.is_enabled => Ok(Some(principal_of(&user)?)),
            _ => Ok(None),
        }
    }

    pub async fn logout(
        &self,
        session_token: &str,
        who: &Principal,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        let mut tx = self.db.begin().await?;
        stored::delete_session(&mut tx, &sm3_hex(session_token)).await?;
        let mut entry = AuditEntry::by(Some(who), "logout");
        entry.ip = ctx.ip.clone();
        entry.request_id = ctx.request_id.clone();
        append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A user changes their own password; every other session of theirs ends.
    pub async fn change_password(
        &self,
        who: &Principal,
        old_password: &str,
        new_password: &str,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        let user = stored::user_by_name(&self.db, who.user_name.as_str())
            .await?
            .ok_or(Rejection::NotAuthenticated)?;
        if !verify_password(&user.password_hash, old_password) {
            return Err(Rejection::LoginFailed.into());
        }
        check_password_strength(new_password)?;
        if old_password == new_password {
            return Err(Rejection::PasswordReused.into());
        }
        let hash = hash_password(new_password)?;
        let mut tx = self.db.begin().await?;
        stored::set_password(
            &mut tx,
            &user.user_name,
            &hash,
            false,
            &now(),
            &user.user_name,
        )
        .await?;
        stored::delete_user_sessions(&mut tx, &user.user_name).await?;
        append(
            &mut tx,
            &audit("password_changed", &user.user_name, Some(&user), ctx),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An administrator sets a new initial password; the user must change it at next login.
    pub async fn reset_password(
        &self,
        admin: &Principal,
        user_name: &str,
        new_password: &str,
        ctx: &RequestCtx,
    ) -> Result<(), AppError> {
        let target = self
            .get_record(admin, &fiscus_core::schema::USER, user_name)
            .await?;
        if !admin.can(fiscus_core::Action::Write, fiscus_core::Resource::User) {
            return Err(Rejection::Forbidden.into());
        }
        check_password_strength(new_password)?;
        let hash = hash_password(new_password)?;
        let user_name = target
            .get("user_name")
            .map(|v| v.display())
            .unwrap_or_default();
        let mut tx = self.db.begin().await?;
        stored::set_password(
            &mut tx,
            &user_name,
            &hash,
            true,
            &now(),
            admin.user_name.as_str(),
        )
        .await?;
        stored::delete_user_sessions(&mut tx, &user_name).await?;
        let mut entry = AuditEntry::by(Some(admin), "password_reset");
        entry.entity = Some("users");
        entry.entity_key = Some(user_name);
        entry.ip = ctx.ip.clone();
        entry.request_id = ctx.request_id.clone();
        append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates an API token for a user and returns it; only its hash is kept, so it is shown
    /// once. Used by `fiscus token create`.
    pub async fn create_api_token(&self, user_name: &str, label: &str) -> Result<String, AppError> {
        let user = stored::user_by_name(&self.db, user_name)
            .await?
            .ok_or(Rejection::NotFound { what: "用户" })?;
        let token = format!("fsk_{}", random_token()?);
        let mut tx = self.db.begin().await?;
        stored::create_token(
            &mut tx,
            &sm3_hex(&token),
            &token[..12],
            &user.user_name,
            label,
            &now(),
        )
        .await?;
        let mut entry = audit(
            "token_created",
            &user.user_name,
            Some(&user),
            &RequestCtx::default(),
        );
        entry.changes =
            Some(serde_json::json!({ "label": label, "prefix": &token[..12] }).to_string());
        append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(token)
    }
}

/// An argon2id hash of a random password, used to spend time on unknown user names.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jx3NcJ1mW0iHQ6GBPyM7cQeYr1BMVR27bHQdx7Wl8Ws";
