//! Who signs: a person by name, phone and birthday, or by CI.

use std::fmt;

use time::{Date, Month};
use zeroize::Zeroizing;

use crate::error::ValidationError;

/// The signer's name as registered with the phone carrier: any text that is not blank.
///
/// `Debug` shows nothing of it; it is wiped from memory on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct SignerName(Zeroizing<String>);

impl SignerName {
    /// Parses a name.
    ///
    /// # Errors
    ///
    /// [`ValidationError::EmptyUserName`] when it is empty or only white space.
    pub fn parse(name: impl Into<String>) -> Result<Self, ValidationError> {
        let name = Zeroizing::new(name.into());
        if name.trim().is_empty() {
            return Err(ValidationError::EmptyUserName);
        }
        Ok(Self(name))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `name` with all but its first and last characters hidden, as screens others may see
    /// show it: enough for the person to recognise, not to identify them.
    ///
    /// ```
    /// use toss_model::plain::SignerName;
    ///
    /// assert_eq!(SignerName::masked("홍길동"), "홍*동");
    /// assert_eq!(SignerName::masked("김토"), "김*");
    /// assert_eq!(SignerName::masked("남궁민수"), "남**수");
    /// ```
    #[must_use]
    pub fn masked(name: &str) -> String {
        let chars: Vec<char> = name.trim().chars().collect();
        match chars.as_slice() {
            [] => String::new(),
            [_] => "*".to_owned(),
            [first, _] => format!("{first}*"),
            [first, middle @ .., last] => format!("{first}{}{last}", "*".repeat(middle.len())),
        }
    }
}

impl fmt::Debug for SignerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SignerName(<redacted>)")
    }
}

/// A mobile phone number as the provider takes it: digits only ("문자 포함없이 순수한
/// 숫자형태로").
///
/// `Debug` shows nothing of it; it is wiped from memory on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(Zeroizing<String>);

impl Phone {
    /// Parses a number as people write it: its digits, with the hyphens and spaces between
    /// them removed. Anything else is refused rather than guessed at: a dot or a `+82`
    /// prefix may mean a number written for another purpose, and full-width digits are not
    /// ASCII.
    ///
    /// ```
    /// use toss_model::plain::Phone;
    ///
    /// assert_eq!(Phone::parse("010-1234 5678")?.as_str(), "01012345678");
    /// assert!(Phone::parse("+82 10 1234 5678").is_err());
    /// # Ok::<(), toss_model::ValidationError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ValidationError::InvalidUserPhone`] when anything but digits, hyphens and spaces
    /// is in it, or no digit.
    pub fn parse(phone: &str) -> Result<Self, ValidationError> {
        let digits: Zeroizing<String> =
            Zeroizing::new(phone.chars().filter(|c| !matches!(c, '-' | ' ')).collect());
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::InvalidUserPhone);
        }
        Ok(Self(digits))
    }

    /// The digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(<redacted>)")
    }
}

/// A birthday, written on the wire as eight digits `YYYYMMDD`.
///
/// `Debug` shows nothing of it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Birthday(Date);

impl Birthday {
    /// Parses `YYYYMMDD`: exactly eight ASCII digits forming a real date.
    ///
    /// ```
    /// use toss_model::plain::Birthday;
    ///
    /// let birthday = Birthday::parse("19930324")?;
    /// assert_eq!(birthday.to_wire().as_str(), "19930324");
    /// assert!(Birthday::parse("19930229").is_err()); // 1993 is no leap year
    /// assert!(Birthday::parse("1993-03-24").is_err());
    /// # Ok::<(), toss_model::ValidationError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ValidationError::InvalidUserBirthday`] for anything else.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let invalid = ValidationError::InvalidUserBirthday;
        if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid);
        }
        let number = |range: std::ops::Range<usize>| {
            text.get(range)
                .and_then(|digits| digits.parse::<u16>().ok())
        };
        let (Some(year), Some(month), Some(day)) = (number(0..4), number(4..6), number(6..8))
        else {
            return Err(invalid);
        };
        let month = u8::try_from(month)
            .ok()
            .and_then(|month| Month::try_from(month).ok())
            .ok_or(ValidationError::InvalidUserBirthday)?;
        let day = u8::try_from(day).map_err(|_| ValidationError::InvalidUserBirthday)?;
        Date::from_calendar_date(i32::from(year), month, day)
            .map(Self)
            .map_err(|_| invalid)
    }

    /// A birthday from a date.
    ///
    /// # Errors
    ///
    /// [`ValidationError::InvalidUserBirthday`] for a year outside `0..=9999`, which eight
    /// digits cannot write.
    pub fn from_date(date: Date) -> Result<Self, ValidationError> {
        if (0..=9999).contains(&date.year()) {
            Ok(Self(date))
        } else {
            Err(ValidationError::InvalidUserBirthday)
        }
    }

    /// The date.
    #[must_use]
    pub fn date(&self) -> Date {
        self.0
    }

    /// `YYYYMMDD`, as the provider takes it.
    #[must_use]
    pub fn to_wire(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{:04}{:02}{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        ))
    }
}

impl fmt::Debug for Birthday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Birthday(<redacted>)")
    }
}

/// A person's CI (연계정보), as the service keeps it: any text that is not blank.
///
/// `Debug` shows nothing of it; it is wiped from memory on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Ci(Zeroizing<String>);

impl Ci {
    /// Parses a CI.
    ///
    /// # Errors
    ///
    /// [`ValidationError::EmptyUserCi`] when it is empty or only white space.
    pub fn parse(ci: impl Into<String>) -> Result<Self, ValidationError> {
        let ci = Zeroizing::new(ci.into());
        if ci.trim().is_empty() {
            return Err(ValidationError::EmptyUserCi);
        }
        Ok(Self(ci))
    }

    /// The CI.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Ci {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ci(<redacted>)")
    }
}

/// Who must sign.
///
/// ```
/// use time::macros::date;
/// use toss_model::plain::Signer;
///
/// let signer = Signer::personal("김토스", "010-0000-0000", date!(1993 - 03 - 24))?;
/// assert!(format!("{signer:?}").contains("redacted"));
/// assert!(Signer::personal("김토스", "010.0000.0000", date!(1993 - 03 - 24)).is_err());
/// # Ok::<(), toss_model::ValidationError>(())
/// ```
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub enum Signer {
    /// A person identified by name, mobile phone number and birthday (`USER_PERSONAL`).
    Personal {
        /// The name as registered with the phone carrier.
        name: SignerName,
        /// The mobile number.
        phone: Phone,
        /// The birthday.
        birthday: Birthday,
    },
    /// A person identified by their CI (`USER_CI`); the result then carries no CI or DI.
    Ci(Ci),
}

impl Signer {
    /// A person identified by name, mobile phone number (digits, with or without hyphens
    /// and spaces) and birthday.
    ///
    /// # Errors
    ///
    /// The first of [`SignerName::parse`], [`Phone::parse`] and [`Birthday::from_date`]
    /// that fails.
    pub fn personal(
        name: impl Into<String>,
        phone: impl AsRef<str>,
        birthday: Date,
    ) -> Result<Self, ValidationError> {
        Ok(Self::Personal {
            name: SignerName::parse(name)?,
            phone: Phone::parse(phone.as_ref())?,
            birthday: Birthday::from_date(birthday)?,
        })
    }

    /// A person identified by their CI.
    ///
    /// # Errors
    ///
    /// [`ValidationError::EmptyUserCi`].
    pub fn ci(ci: impl Into<String>) -> Result<Self, ValidationError> {
        Ci::parse(ci).map(Self::Ci)
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Personal { .. } => f.write_str("Signer::Personal(<redacted>)"),
            Self::Ci(_) => f.write_str("Signer::Ci(<redacted>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn phones_keep_their_digits_and_nothing_else_is_guessed() {
        for phone in [
            "01000000000",
            "010-0000-0000",
            "010 0000 0000",
            " 010 - 0000 - 0000 ",
        ] {
            assert_eq!(
                Phone::parse(phone).unwrap().as_str(),
                "01000000000",
                "{phone}"
            );
        }
        for phone in [
            "010.0000.0000",
            "+82 10 0000 0000",
            "(010) 0000-0000",
            "010-0000-000O",
            "０１０００００００００",
            "010\t0000\t0000",
            "",
            " - ",
        ] {
            assert_eq!(
                Phone::parse(phone),
                Err(ValidationError::InvalidUserPhone),
                "{phone}"
            );
        }
    }

    #[test]
    fn birthdays_are_eight_digits_of_a_real_date() {
        assert_eq!(
            Birthday::parse("19930324").unwrap().date(),
            date!(1993 - 03 - 24)
        );
        assert_eq!(
            Birthday::parse("20000229").unwrap().to_wire().as_str(),
            "20000229"
        );
        assert_eq!(
            Birthday::parse("00010101").unwrap().to_wire().as_str(),
            "00010101"
        );
        for bad in [
            "19930229",
            "1993032",
            "199303240",
            "1993-3-2",
            "19931324",
            "19930300",
            "१९९३०३२४",
            "+9930324",
            "",
        ] {
            assert_eq!(
                Birthday::parse(bad),
                Err(ValidationError::InvalidUserBirthday),
                "{bad}"
            );
        }
        assert!(Birthday::from_date(date!(-0001 - 01 - 01)).is_err());
    }

    #[test]
    fn blank_names_and_cis_are_refused() {
        assert_eq!(
            SignerName::parse(" \t"),
            Err(ValidationError::EmptyUserName)
        );
        assert_eq!(Ci::parse(""), Err(ValidationError::EmptyUserCi));
        assert_eq!(SignerName::parse("김토스").unwrap().as_str(), "김토스");
    }

    #[test]
    fn nothing_personal_shows_in_debug() {
        let signer = Signer::personal("김토스", "010-1234-5678", date!(1993 - 03 - 24)).unwrap();
        let shown = format!("{signer:?}");
        for secret in ["김토스", "1234", "1993"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let Signer::Personal {
            name,
            phone,
            birthday,
        } = &signer
        else {
            panic!("a personal signer");
        };
        let shown = format!(
            "{name:?} {phone:?} {birthday:?} {:?}",
            Ci::parse("CI-1").unwrap()
        );
        for secret in ["김토스", "1234", "1993", "CI-1"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
