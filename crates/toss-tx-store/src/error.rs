//! What the backends share of the store's error: mapping a driver error, and the rule on
//! lease holders.

pub(crate) use toss_runtime::tx::{ConflictKind, Error, InvalidKind};

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn db(during: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Database {
        during,
        source: Box::new(source),
    }
}

pub(crate) fn check_holder(holder: &str) -> Result<(), Error> {
    if holder.is_empty() || holder.len() > 255 {
        Err(Error::Invalid(InvalidKind::Holder))
    } else {
        Ok(())
    }
}
