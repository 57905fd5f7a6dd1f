//! GetRandomPassword: characters drawn uniformly from the classes asked for, at least one
//! of each when RequireEachIncludedType (the default).

use berth_secretsmanager_model::shapes::*;

use crate::error::{Result, SmError};
use crate::SecretsManager;

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// What a password is made of: the classes left after the exclusions.
pub(crate) fn classes(req: &GetRandomPasswordRequest) -> Vec<Vec<char>> {
    let exclude = req.exclude_characters.as_deref().unwrap_or("");
    let mut out = Vec::new();
    let mut add = |set: &str, skip: Option<bool>| {
        if !skip.unwrap_or(false) {
            let chars: Vec<char> = set.chars().filter(|c| !exclude.contains(*c)).collect();
            if !chars.is_empty() {
                out.push(chars);
            }
        }
    };
    add(LOWER, req.exclude_lowercase);
    add(UPPER, req.exclude_uppercase);
    add(DIGITS, req.exclude_numbers);
    add(PUNCTUATION, req.exclude_punctuation);
    add(" ", req.include_space.map(|i| !i).or(Some(true)));
    out
}

/// A uniform index below `n` from the system's generator (rejection sampling, no bias).
fn below(n: usize) -> Result<usize> {
    let n = n as u32;
    let zone = u32::MAX - u32::MAX % n;
    loop {
        let mut b = [0u8; 4];
        berth_sealing::random_bytes(&mut b)?;
        let v = u32::from_le_bytes(b);
        if v < zone {
            return Ok((v % n) as usize);
        }
    }
}

/// A password of `len` characters from `classes`, with one of each if `each`.
pub(crate) fn generate(classes: &[Vec<char>], len: usize, each: bool) -> Result<String> {
    let all: Vec<char> = classes.iter().flatten().copied().collect();
    if all.is_empty() {
        return Err(SmError::param(
            "The password can't be generated: every character is excluded.",
        ));
    }
    if each && len < classes.len() {
        return Err(SmError::param(format!(
            "The password length must be at least {} to include a character of each type.",
            classes.len()
        )));
    }
    let mut out: Vec<char> = Vec::with_capacity(len);
    if each {
        for c in classes {
            out.push(c[below(c.len())?]);
        }
    }
    while out.len() < len {
        out.push(all[below(all.len())?]);
    }
    // Shuffle, so the required characters are not always first.
    for i in (1..out.len()).rev() {
        out.swap(i, below(i + 1)?);
    }
    Ok(out.into_iter().collect())
}

impl SecretsManager {
    pub(crate) fn get_random_password(
        &self,
        req: GetRandomPasswordRequest,
    ) -> Result<GetRandomPasswordResponse> {
        let len = req.password_length.unwrap_or(32);
        if !(1..=4096).contains(&len) {
            return Err(SmError::param("PasswordLength must be between 1 and 4096."));
        }
        let password = generate(
            &classes(&req),
            len as usize,
            req.require_each_included_type.unwrap_or(true),
        )?;
        Ok(GetRandomPasswordResponse {
            random_password: Some(password),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn passwords_keep_to_the_classes_asked_for(len in 5usize..80, no_punct: bool, no_upper: bool,
                                                  space: bool, exclude in "[a-f0-3!]{0,6}") {
            let req = GetRandomPasswordRequest {
                exclude_characters: Some(exclude.clone()),
                exclude_punctuation: Some(no_punct),
                exclude_uppercase: Some(no_upper),
                include_space: Some(space),
                ..Default::default()
            };
            let cls = classes(&req);
            let p = generate(&cls, len, true).expect("password");
            prop_assert_eq!(p.chars().count(), len);
            prop_assert!(p.chars().all(|c| !exclude.contains(c)));
            prop_assert!(!no_punct || p.chars().all(|c| !PUNCTUATION.contains(c)));
            prop_assert!(!no_upper || p.chars().all(|c| !c.is_ascii_uppercase()));
            prop_assert!(space || !p.contains(' '));
            for c in &cls {
                prop_assert!(p.chars().any(|x| c.contains(&x)), "one of each class");
            }
        }
    }

    #[test]
    fn impossible_passwords_are_refused() {
        let none = GetRandomPasswordRequest {
            exclude_lowercase: Some(true),
            exclude_uppercase: Some(true),
            exclude_numbers: Some(true),
            exclude_punctuation: Some(true),
            ..Default::default()
        };
        assert!(generate(&classes(&none), 10, true).is_err());
        assert!(generate(&classes(&GetRandomPasswordRequest::default()), 3, true).is_err());
        assert_eq!(
            generate(&classes(&GetRandomPasswordRequest::default()), 3, false)
                .expect("p")
                .len(),
            3
        );
    }
}
