//! Stored side of authentication: a user's credentials and lockout counters, sessions and
//! API tokens. Secrets are never stored: sessions and tokens are kept as SM3 hashes by the
//! application, passwords as argon2id hashes.

use sqlx::Row;

use crate::sql::{Bind, Sql};
use crate::{Db, StoreError, Tx, bound_query, on_db, on_tx};

/// Everything needed to authenticate a user and build its principal.
#[derive(Clone, Debug)]
pub struct UserAuth {
    pub user_name: String,
    pub display_name: String,
    pub mof_div_code: String,
    pub agency_code: Option<String>,
    pub roles: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub failed_login_count: i64,
    pub locked_until: Option<String>,
    pub is_enabled: bool,
    pub region_path: String,
    pub agency_path: Option<String>,
    pub org_name: String,
}

const USER_AUTH_SELECT: &str = "SELECT u.user_name, u.display_name, u.mof_div_code, u.agency_code, u.roles, u.password_hash, \
     u.must_change_password, u.failed_login_count, u.locked_until, u.is_enabled, r.region_path, a.agency_path, \
     COALESCE(a.agency_name, r.mof_div_name) \
     FROM app_user u JOIN region r ON r.mof_div_code = u.mof_div_code LEFT JOIN agency a ON a.agency_code = u.agency_code";

macro_rules! user_auth_from_row {
    ($row:expr) => {
        UserAuth {
            user_name: $row.try_get(0)?,
            display_name: $row.try_get(1)?,
            mof_div_code: $row.try_get(2)?,
            agency_code: $row.try_get(3)?,
            roles: $row.try_get(4)?,
            password_hash: $row.try_get(5)?,
            must_change_password: $row.try_get(6)?,
            failed_login_count: $row.try_get(7)?,
            locked_until: $row.try_get(8)?,
            is_enabled: $row.try_get(9)?,
            region_path: $row.try_get(10)?,
            agency_path: $row.try_get(11)?,
            org_name: $row.try_get(12)?,
        }
    };
}

pub async fn user_by_name(db: &Db, user_name: &str) -> Result<Option<UserAuth>, StoreError> {
    let mut sql = Sql::new(USER_AUTH_SELECT);
    sql.push(" WHERE u.user_name = ")
        .bind(Bind::text(user_name));
    let user = on_db!(db, pool => {
        match bound_query!(&sql).fetch_optional(pool).await? {
            Some(row) => Some(user_auth_from_row!(row)),
            None => None,
        }
    });
    Ok(user)
}

/// The user behind a live session, with the session's CSRF token.
pub async fn user_by_session(
    db: &Db,
    session_hash: &str,
    now: &str,
) -> Result<Option<(UserAuth, String)>, StoreError> {
    let mut sql = Sql::new(
        &USER_AUTH_SELECT.replace("SELECT u.user_name", "SELECT s.csrf_token, u.user_name"),
    );
    sql.push(" JOIN session s ON s.user_name = u.user_name WHERE s.session_hash = ")
        .bind(Bind::text(session_hash));
    sql.push(" AND s.expires_at > ").bind(Bind::text(now));
    let found = on_db!(db, pool => {
        match bound_query!(&sql).fetch_optional(pool).await? {
            Some(row) => {
                let csrf: String = row.try_get(0)?;
                let user = UserAuth {
                    user_name: row.try_get(1)?,
                    display_name: row.try_get(2)?,
                    mof_div_code: row.try_get(3)?,
                    agency_code: row.try_get(4)?,
                    roles: row.try_get(5)?,
                    password_hash: row.try_get(6)?,
                    must_change_password: row.try_get(7)?,
                    failed_login_count: row.try_get(8)?,
                    locked_until: row.try_get(9)?,
                    is_enabled: row.try_get(10)?,
                    region_path: row.try_get(11)?,
                    agency_path: row.try_get(12)?,
                    org_name: row.try_get(13)?,
                };
                Some((user, csrf))
            }
            None => None,
        }
    });
    Ok(found)
}

/// The user behind an API token that is not revoked.
pub async fn user_by_token(db: &Db, token_hash: &str) -> Result<Option<UserAuth>, StoreError> {
    let mut sql = Sql::new(USER_AUTH_SELECT);
    sql.push(" JOIN api_token t ON t.user_name = u.user_name WHERE t.token_hash = ")
        .bind(Bind::text(token_hash));
    sql.push(" AND t.is_revoked = ")
        .bind(Bind::Bool(Some(false)));
    let user = on_db!(db, pool => {
        match bound_query!(&sql).fetch_optional(pool).await? {
            Some(row) => Some(user_auth_from_row!(row)),
            None => None,
        }
    });
    Ok(user)
}

/// Records a failed login; locks the account (`locked_until`) when the count reaches the
/// limit. One conditional statement, so concurrent failures are all counted.
pub async fn record_login_failure(
    tx: &mut Tx,
    user_name: &str,
    failures_max: i64,
    lock_until: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "UPDATE app_user SET failed_login_count = failed_login_count + 1, locked_until = CASE WHEN failed_login_count + 1 >= ",
    );
    sql.bind(Bind::Int(Some(failures_max)))
        .push(" THEN ")
        .bind(Bind::text(lock_until));
    sql.push(" ELSE locked_until END WHERE user_name = ")
        .bind(Bind::text(user_name));
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

pub async fn record_login_success(
    tx: &mut Tx,
    user_name: &str,
    now: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "UPDATE app_user SET failed_login_count = 0, locked_until = NULL, last_login_at = ",
    );
    sql.bind(Bind::text(now))
        .push(" WHERE user_name = ")
        .bind(Bind::text(user_name));
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

pub async fn set_password(
    tx: &mut Tx,
    user_name: &str,
    password_hash: &str,
    must_change: bool,
    now: &str,
    by: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new("UPDATE app_user SET password_hash = ");
    sql.bind(Bind::text(password_hash))
        .push(", must_change_password = ")
        .bind(Bind::Bool(Some(must_change)));
    sql.push(", failed_login_count = 0, locked_until = NULL, updated_at = ")
        .bind(Bind::text(now));
    sql.push(", updated_by = ")
        .bind(Bind::text(by))
        .push(" WHERE user_name = ")
        .bind(Bind::text(user_name));
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

pub async fn create_session(
    tx: &mut Tx,
    session_hash: &str,
    user_name: &str,
    csrf_token: &str,
    now: &str,
    expires_at: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO session (session_hash, user_name, csrf_token, created_at, expires_at) VALUES (",
    );
    sql.bind(Bind::text(session_hash))
        .push(", ")
        .bind(Bind::text(user_name))
        .push(", ")
        .bind(Bind::text(csrf_token));
    sql.push(", ")
        .bind(Bind::text(now))
        .push(", ")
        .bind(Bind::text(expires_at))
        .push(")");
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

pub async fn delete_session(tx: &mut Tx, session_hash: &str) -> Result<(), StoreError> {
    let mut sql = Sql::new("DELETE FROM session WHERE session_hash = ");
    sql.bind(Bind::text(session_hash));
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

/// Ends every session of a user (password change, disable).
pub async fn delete_user_sessions(tx: &mut Tx, user_name: &str) -> Result<(), StoreError> {
    let mut sql = Sql::new("DELETE FROM session WHERE user_name = ");
    sql.bind(Bind::text(user_name));
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}

pub async fn delete_expired_sessions(tx: &mut Tx, now: &str) -> Result<u64, StoreError> {
    let mut sql = Sql::new("DELETE FROM session WHERE expires_at <= ");
    sql.bind(Bind::text(now));
    let affected =
        on_tx!(tx, conn => bound_query!(&sql).execute(&mut *conn).await?.rows_affected());
    Ok(affected)
}

pub async fn create_token(
    tx: &mut Tx,
    token_hash: &str,
    token_prefix: &str,
    user_name: &str,
    label: &str,
    now: &str,
) -> Result<(), StoreError> {
    let mut sql = Sql::new(
        "INSERT INTO api_token (token_hash, token_prefix, user_name, label, created_at) VALUES (",
    );
    sql.bind(Bind::text(token_hash))
        .push(", ")
        .bind(Bind::text(token_prefix))
        .push(", ")
        .bind(Bind::text(user_name));
    sql.push(", ")
        .bind(Bind::text(label))
        .push(", ")
        .bind(Bind::text(now))
        .push(")");
    on_tx!(tx, conn => { bound_query!(&sql).execute(&mut *conn).await?; });
    Ok(())
}
