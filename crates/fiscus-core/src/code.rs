//! Typed identifiers and codes of the standard data elements. Each is parsed once at the
//! edge (`parse`) and is valid by construction afterwards.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rejection::Rejection;

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

string_newtype!(
    /// 财政区划 `mof_div_code`: 9 digits. `…000` is a region's 本级 (its own level);
    /// the same prefix with `998` is its 辖区 (the whole jurisdiction, a roll-up).
    MofDivCode
);

/// Suffix of the 辖区 (jurisdiction roll-up) variant of a region code.
pub const JURISDICTION_SUFFIX: &str = "998";

impl MofDivCode {
    pub const LEN: usize = 9;

    pub fn parse(text: &str) -> Result<MofDivCode, Rejection> {
        let text = text.trim();
        if text.len() != Self::LEN || !all_digits(text) {
            return Err(Rejection::MofDivCodeInvalid {
                value: text.to_owned(),
            });
        }
        Ok(MofDivCode(text.to_owned()))
    }

    /// True for a 辖区 roll-up code (`…998`), which names a subtree rather than one node.
    pub fn is_jurisdiction(&self) -> bool {
        self.0.ends_with(JURISDICTION_SUFFIX)
    }

    /// The 本级 code of the region a 辖区 code rolls up; itself for a 本级 code.
    pub fn own_level(&self) -> MofDivCode {
        if self.is_jurisdiction() {
            MofDivCode(format!("{}000", &self.0[..6]))
        } else {
            self.clone()
        }
    }

    /// The 辖区 roll-up code of this region.
    pub fn jurisdiction(&self) -> MofDivCode {
        MofDivCode(format!("{}{}", &self.0[..6], JURISDICTION_SUFFIX))
    }
}

string_newtype!(
    /// 单位代码 `agency_code`: up to 21 digits or capital letters. Sub-units extend the
    /// code of their competent department (主管部门).
    AgencyCode
);

impl AgencyCode {
    pub const LEN_MAX: usize = 21;

    pub fn parse(text: &str) -> Result<AgencyCode, Rejection> {
        let text = text.trim();
        let valid_chars = text
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        if text.len() < 3 || text.len() > Self::LEN_MAX || !valid_chars {
            return Err(Rejection::AgencyCodeInvalid {
                value: text.to_owned(),
            });
        }
        Ok(AgencyCode(text.to_owned()))
    }
}

/// 预算年度 `fiscal_year`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FiscalYear(pub i32);

impl FiscalYear {
    pub const MIN: i32 = 2000;
    pub const MAX: i32 = 2100;

    pub fn parse(text: &str) -> Result<FiscalYear, Rejection> {
        let year: i32 = text
            .trim()
            .parse()
            .map_err(|_| Rejection::FiscalYearInvalid {
                value: text.to_owned(),
            })?;
        FiscalYear::new(year)
    }

    pub fn new(year: i32) -> Result<FiscalYear, Rejection> {
        if !(Self::MIN..=Self::MAX).contains(&year) {
            return Err(Rejection::FiscalYearInvalid {
                value: year.to_string(),
            });
        }
        Ok(FiscalYear(year))
    }
}

impl fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

string_newtype!(
    /// 统一社会信用代码 `unifsoc_cred_code` (GB 32100-2015): 18 characters, the last a check
    /// character computed from the first 17.
    UnifiedSocialCreditCode
);

/// The 31 characters of GB 32100 (digits and capitals without I, O, Z, S, V).
const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

impl UnifiedSocialCreditCode {
    pub fn parse(text: &str) -> Result<UnifiedSocialCreditCode, Rejection> {
        let text = text.trim().to_ascii_uppercase();
        let values: Option<Vec<u32>> = text
            .chars()
            .map(|c| USCC_ALPHABET.find(c).map(|index| index as u32))
            .collect();
        let values = match values {
            Some(values) if values.len() == 18 => values,
            _ => return Err(Rejection::UsccFormatInvalid { value: text }),
        };
        let expected = Self::check_char_for(&values[..17]);
        if values[17] != expected {
            let expected_char = USCC_ALPHABET.as_bytes()[expected as usize] as char;
            return Err(Rejection::UsccCheckCharWrong {
                value: text,
                expected: expected_char,
            });
        }
        Ok(UnifiedSocialCreditCode(text))
    }

    fn check_char_for(first17: &[u32]) -> u32 {
        let sum: u32 = first17
            .iter()
            .zip(USCC_WEIGHTS)
            .map(|(value, weight)| value * weight)
            .sum();
        (31 - sum % 31) % 31
    }

    /// Completes 17 valid characters with their check character (used by demo data).
    pub fn with_check_char(first17: &str) -> Option<UnifiedSocialCreditCode> {
        let values: Option<Vec<u32>> = first17
            .chars()
            .map(|c| USCC_ALPHABET.find(c).map(|index| index as u32))
            .collect();
        let values = values.filter(|values| values.len() == 17)?;
        let check = USCC_ALPHABET.as_bytes()[Self::check_char_for(&values) as usize] as char;
        Some(UnifiedSocialCreditCode(format!("{first17}{check}")))
    }
}

string_newtype!(
    /// 居民身份证号码 (GB 11643-1999): 17 digits and a check character (digit or X).
    IdentityNumber
);

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS: &[u8; 11] = b"10X98765432";

impl IdentityNumber {
    pub fn parse(text: &str) -> Result<IdentityNumber, Rejection> {
        let text = text.trim().to_ascii_uppercase();
        let body_ok = text.len() == 18 && all_digits(&text[..17]);
        if !body_ok {
            return Err(Rejection::IdentityNumberInvalid);
        }
        let expected = Self::check_char_for(&text[..17]);
        if text.as_bytes()[17] as char != expected {
            return Err(Rejection::IdentityCheckCharWrong);
        }
        Ok(IdentityNumber(text))
    }

    fn check_char_for(first17: &str) -> char {
        let sum: u32 = first17
            .bytes()
            .zip(ID_WEIGHTS)
            .map(|(b, weight)| u32::from(b - b'0') * weight)
            .sum();
        ID_CHECK_CHARS[(sum % 11) as usize] as char
    }

    pub fn with_check_char(first17: &str) -> Option<IdentityNumber> {
        (first17.len() == 17 && all_digits(first17))
            .then(|| IdentityNumber(format!("{first17}{}", Self::check_char_for(first17))))
    }

    /// Shown instead of the number outside its detail page: first 6 and last 4 characters.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

string_newtype!(
    /// A user's login name: 3–32 characters of lowercase ASCII letters, digits, `_`, `-`, `.`.
    UserName
);

impl UserName {
    pub fn parse(text: &str) -> Result<UserName, Rejection> {
        let text = text.trim();
        let valid_chars = text.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
        });
        if text.len() < 3 || text.len() > 32 || !valid_chars {
            return Err(Rejection::UserNameInvalid {
                value: text.to_owned(),
            });
        }
        Ok(UserName(text.to_owned()))
    }
}

string_newtype!(
    /// A bank account number: 6–32 digits (spaces and dashes are removed when parsed).
    AccountNo
);

impl AccountNo {
    pub fn parse(text: &str) -> Result<AccountNo, Rejection> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if cleaned.len() < 6 || cleaned.len() > 32 || !all_digits(&cleaned) {
            return Err(Rejection::AccountNoInvalid {
                value: text.trim().to_owned(),
            });
        }
        Ok(AccountNo(cleaned))
    }
}

string_newtype!(
    /// 银行行号 (CNAPS bank code): 12 digits.
    BankCode
);

impl BankCode {
    pub fn parse(text: &str) -> Result<BankCode, Rejection> {
        let text = text.trim();
        if text.len() != 12 || !all_digits(text) {
            return Err(Rejection::BankCodeInvalid {
                value: text.to_owned(),
            });
        }
        Ok(BankCode(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mof_div_code_levels() {
        let division = MofDivCode::parse("660100000").ok();
        assert!(division.is_some());
        let division = division.unwrap_or_else(|| MofDivCode(String::new()));
        assert_eq!(division.jurisdiction().as_str(), "660100998");
        assert_eq!(division.jurisdiction().own_level(), division);
        for bad in ["66010000", "6601000000", "66010000a", ""] {
            assert!(MofDivCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn uscc_check_character() {
        // A structurally valid code built with the documented algorithm.
        let built = UnifiedSocialCreditCode::with_check_char("12660000MB1234567");
        let built = built.map(|code| code.into_string()).unwrap_or_default();
        assert_eq!(built.len(), 18);
        assert!(UnifiedSocialCreditCode::parse(&built).is_ok());
        // A real published code (the People's Bank of China): 11100000000013127W... is not used;
        // instead flip the check character and expect the precise rejection.
        let mut wrong = built.clone();
        let last = wrong.pop().unwrap_or('0');
        wrong.push(if last == '0' { '1' } else { '0' });
        assert!(matches!(
            UnifiedSocialCreditCode::parse(&wrong),
            Err(Rejection::UsccCheckCharWrong { .. })
        ));
        assert!(matches!(
            UnifiedSocialCreditCode::parse("123"),
            Err(Rejection::UsccFormatInvalid { .. })
        ));
        assert!(matches!(
            UnifiedSocialCreditCode::parse("91110000I00000000X"),
            Err(Rejection::UsccFormatInvalid { .. })
        ));
        // Published example code of GB 32100 style checked against the algorithm.
        assert!(UnifiedSocialCreditCode::parse("91350100M000100Y43").is_ok());
    }

    #[test]
    fn identity_number_check_character() {
        // The GB 11643 textbook example.
        assert!(IdentityNumber::parse("11010519491231002X").is_ok());
        assert!(matches!(
            IdentityNumber::parse("110105194912310021"),
            Err(Rejection::IdentityCheckCharWrong)
        ));
        assert!(matches!(
            IdentityNumber::parse("1101051949"),
            Err(Rejection::IdentityNumberInvalid)
        ));
        let id = IdentityNumber::parse("11010519491231002x")
            .map(|id| id.masked())
            .unwrap_or_default();
        assert_eq!(id, "110105********002X");
    }

    #[test]
    fn other_codes() {
        assert!(AgencyCode::parse("660101101001").is_ok());
        assert!(AgencyCode::parse("66").is_err());
        assert!(AgencyCode::parse("6601a").is_err());
        assert!(UserName::parse("admin").is_ok());
        assert!(UserName::parse("Admin").is_err());
        assert!(AccountNo::parse("6217 0000 1234 5678").is_ok());
        assert!(AccountNo::parse("62170000中国").is_err());
        assert!(BankCode::parse("102881000015").is_ok());
        assert!(FiscalYear::parse("2026").is_ok());
        assert!(FiscalYear::parse("1999").is_err());
    }
}
