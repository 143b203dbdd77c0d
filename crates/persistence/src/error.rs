//! The persistence error type.

use std::fmt;

/// Everything that can go wrong talking to the database.
///
/// A database failure is never turned into "not found" or an empty list: lookups return
/// `Ok(None)` only when the row really is not there.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `DATABASE_URL` is not something we can use.
    #[error("DATABASE_URL is not usable: {0}")]
    BadUrl(String),
    /// The database could not be reached (connect refused, pool timed out, connection lost).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The change would break a uniqueness rule.
    #[error("conflict: {0}")]
    Conflict(Conflict),
    /// A referenced row (tenant, plan, channel, …) does not exist.
    #[error("a referenced row does not exist: {0}")]
    MissingReference(String),
    /// A row the operation needs to change is not there (or not the tenant's).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The number lifecycle does not allow the change (or another writer changed the row
    /// first).
    #[error(transparent)]
    InvalidTransition(numbers_domain::TransitionError),
    /// A stored value cannot be read back as its domain type (a bug or a hand edit).
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// Applying migrations failed.
    #[error("migrations failed: {0}")]
    Migration(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Query(#[source] diesel::result::Error),
}

/// Which uniqueness rule a change would break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// The phone number already has a `pending`, `active` or `releasing` row.
    NumberAlreadyLive,
    /// The Twilio sid is already recorded on another row.
    TwilioSidTaken,
    /// A row with this primary key or unique name exists already.
    Duplicate(String),
    /// The row changed since the caller read it (a compare-and-set found another value).
    ChangedConcurrently,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NumberAlreadyLive => f.write_str("the phone number is already held"),
            Self::TwilioSidTaken => f.write_str("the Twilio sid is already recorded"),
            Self::Duplicate(what) => write!(f, "duplicate {what}"),
            Self::ChangedConcurrently => f.write_str("the row was changed concurrently"),
        }
    }
}

impl StoreError {
    /// True when the database could not be reached, as opposed to refusing the operation.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

impl From<diesel::result::Error> for StoreError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::Conflict(classify_unique(info.message(), info.constraint_name()))
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                Self::MissingReference(info.constraint_name().unwrap_or("foreign key").to_owned())
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            Error::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if is_busy_message(info.message()) =>
            {
                Self::Unavailable(format!("database busy: {}", info.message()))
            }
            Error::DeserializationError(cause) => {
                // diesel's own error names the field; the cause beneath it names the value.
                let mut message = cause.to_string();
                let mut source = cause.source();
                while let Some(inner) = source {
                    message = format!("{message}: {inner}");
                    source = inner.source();
                }
                Self::Corrupt(message)
            }
            other => Self::Query(other),
        }
    }
}

/// Names the uniqueness rule from PostgreSQL's constraint name or SQLite's message
/// (`UNIQUE constraint failed: phone_numbers.phone_number`).
fn classify_unique(message: &str, constraint: Option<&str>) -> Conflict {
    let names = format!("{} {}", constraint.unwrap_or_default(), message);
    if names.contains("phone_numbers_one_live_row") || names.contains("phone_numbers.phone_number")
    {
        Conflict::NumberAlreadyLive
    } else if names.contains("phone_numbers_twilio_sid_key")
        || names.contains("phone_numbers.twilio_sid")
    {
        Conflict::TwilioSidTaken
    } else {
        Conflict::Duplicate(constraint.map_or_else(|| message.to_owned(), str::to_owned))
    }
}

fn is_busy_message(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

/// Result alias of this crate.
pub type StoreResult<T> = Result<T, StoreError>;
