//! The one table from errors to HTTP: each rejection code has one status; internal errors
//! become a generic message with the request id, their cause logged once.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fiscus_app::AppError;
use fiscus_core::Rejection;
use serde_json::json;

/// The HTTP status of a rejection. Exhaustive on purpose: a new rejection must be placed.
pub fn status_of(rejection: &Rejection) -> StatusCode {
    use Rejection::*;
    match rejection {
        LoginFailed | NotAuthenticated => StatusCode::UNAUTHORIZED,
        Forbidden
        | CsrfTokenInvalid
        | PasswordChangeRequired
        | AccountDisabled
        | NotSubmitter
        | NotTaskAssignee
        | SelfApprovalForbidden
        | NotFlowParticipant
        | NotLastActor => StatusCode::FORBIDDEN,
        NotFound { .. } => StatusCode::NOT_FOUND,
        DuplicateCode { .. }
        | StaleVersion
        | AlreadyDisabled
        | AlreadyEnabled
        | YearAlreadyExists { .. }
        | TaskAlreadyHandled
        | FlowStatusForbidsAction { .. }
        | FlowVersionMismatch { .. }
        | WithdrawTooLate { .. }
        | PendingAlreadyResolved { .. }
        | YearAlreadyClosed { .. }
        | IdempotencyKeyReused { .. }
        | MessageOutOfOrder => StatusCode::CONFLICT,
        AccountLocked { .. } => StatusCode::LOCKED,
        TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        FieldRequired { .. }
        | FieldTooLong { .. }
        | FieldInvalid { .. }
        | TextHasSpecialChars { .. }
        | AmountInvalid { .. }
        | AmountNegative { .. }
        | AmountNotPositive { .. }
        | AmountTooLarge { .. }
        | NumberOutOfRange { .. }
        | MofDivCodeInvalid { .. }
        | AgencyCodeInvalid { .. }
        | FiscalYearInvalid { .. }
        | UsccFormatInvalid { .. }
        | UsccCheckCharWrong { .. }
        | IdentityNumberInvalid
        | IdentityCheckCharWrong
        | UserNameInvalid { .. }
        | AccountNoInvalid { .. }
        | BankCodeInvalid { .. }
        | RoleUnknown { .. }
        | PasswordTooWeak
        | PasswordReused
        | PageSizeExceeded { .. }
        | SortFieldUnknown { .. }
        | ExportRowsExceeded { .. }
        | ImportRowsExceeded { .. }
        | ImportHeaderUnknown { .. } => StatusCode::BAD_REQUEST,
        ParentUnknown { .. }
        | CodeNotInYearTable { .. }
        | ElementUnknown { .. }
        | CodeNotUnderParent { .. }
        | CodeSegmentInvalid { .. }
        | LocalCodeNeedsNationalParent
        | NationalCodeReadOnly
        | RegionLevelInvalid { .. }
        | ParentDisabled { .. }
        | AgencyParentCycle
        | AgencyParentOtherRegion
        | HasEnabledChildren { .. }
        | ZeroBalanceAccountExists
        | RoleOrgMismatch { .. }
        | CannotDisableSelf
        | WithdrawNotEnabled { .. }
        | ReturnTargetNotAllowed { .. }
        | DelegatedTaskOnlyHandsBack
        | HandoverTargetInvalid { .. }
        | TaskNotOverdue { .. }
        | NoCandidateForNode { .. }
        | NodeCandidatesExceeded { .. }
        | NoMatchingEdge { .. }
        | FlowDefinitionInvalid { .. }
        | IndicatorClosed { .. }
        | IndicatorNotExecutable { .. }
        | IndicatorYearMismatch
        | IndicatorSameOnBothSides
        | ClassificationNotRefinement { .. }
        | ElementMismatch { .. }
        | ExceedsAvailableBalance { .. }
        | ExceedsFrozenAmount { .. }
        | ExceedsSpentAmount { .. }
        | ExceedsPendingAmount { .. }
        | IndicatorHasReservations { .. }
        | NotAnAdvance { .. }
        | YearEndOpenReservations { .. }
        | YearClosed { .. }
        | PayeeBlacklisted { .. }
        | ProcurementContractRequired
        | PaymentStateForbids { .. }
        | ProjectStateForbids { .. }
        | ProjectCalculatedNotEditable
        | BasicCalculationEmpty { .. }
        | AttachmentTypeNotAllowed { .. }
        | AttachmentsExceeded { .. }
        | BudgetStageForbids { .. }
        | BudgetChecksFailed { .. }
        | ControlNumberExceeded { .. }
        | BudgetRegionNotReady { .. }
        | AdjustmentInvalid { .. }
        | FinalAccountsChecksFailed { .. }
        | VoucherUnbalanced { .. }
        | VoucherInvalid { .. }
        | AccountNotPostable { .. }
        | PeriodClosed { .. }
        | PeriodHasUnposted { .. }
        | VouchersUnposted { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AccountingYearClosed { .. } => StatusCode::CONFLICT,
        VoucherStateForbids { .. } | FinalAccountsStatusForbids { .. } => StatusCode::CONFLICT,
        PosterIsCreator => StatusCode::FORBIDDEN,
        AttachmentTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        SignatureInvalid => StatusCode::FORBIDDEN,
        BankUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        MessageInvalid { .. } => StatusCode::BAD_REQUEST,
    }
}

pub const INTERNAL_MESSAGE: &str = "系统内部错误，请稍后重试；如仍失败，请将请求编号告知系统管理员";

/// An error of a JSON API handler.
#[derive(Debug)]
pub struct ApiError {
    pub error: AppError,
    pub request_id: String,
}

impl ApiError {
    pub fn new(error: impl Into<AppError>, request_id: &str) -> ApiError {
        ApiError {
            error: error.into(),
            request_id: request_id.to_owned(),
        }
    }
}

/// The status, code, message and field of any error; logs internal causes once.
pub fn describe(
    error: &AppError,
    request_id: &str,
) -> (StatusCode, String, String, Option<&'static str>) {
    match error {
        AppError::Rejected(rejection) => (
            status_of(rejection),
            rejection.code(),
            rejection.message(),
            rejection.field(),
        ),
        AppError::Internal(cause) => {
            tracing::error!(request_id, cause = %cause, "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error".into(),
                INTERNAL_MESSAGE.into(),
                None,
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, field) = describe(&self.error, &self.request_id);
        let body = json!({ "error": { "code": code, "message": message, "field": field, "request_id": self.request_id } });
        (status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rejection_has_a_client_error_status() {
        for rejection in Rejection::examples() {
            let status = status_of(&rejection);
            // The one exception: the agency bank is down, which no request can fix; 503
            // tells the client (and its retry logic) so.
            if rejection == Rejection::BankUnavailable {
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
                continue;
            }
            assert!(status.is_client_error(), "{} → {status}", rejection.code());
        }
    }
}
