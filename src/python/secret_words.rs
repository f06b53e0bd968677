//! Words that say a value is a secret or protects one (`password`,
//! `hmac`, `salt`, ...), found in identifiers and string literals, so that a
//! fix declaring a hash "not for security" is never offered where the code
//! plainly says it is.
//!
//! Identifiers are split into words at underscores, digits-to-letters
//! boundaries aside, and camel case (`hashPassword`, `HMACKey`), and words are
//! compared whole and case-insensitively: `author` is not `auth`, and
//! `cache_key` is no secret. A few words are secrets only in pairs
//! (`api_key`, `private_key`, `derive_key`).

/// Words that mark a security use on their own.
const WORDS: &[&str] = &[
    "password",
    "passwords",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "signature",
    "signatures",
    "sign",
    "signed",
    "signer",
    "signing",
    "hmac",
    "auth",
    "authenticate",
    "authenticated",
    "authentication",
    "authenticator",
    "authorization",
    "authorize",
    "authorized",
    "credential",
    "credentials",
    "creds",
    "salt",
    "salted",
    "kdf",
    "pbkdf",
    "pbkdf2",
    "nonce",
    "otp",
    "csrf",
    "apikey",
];

/// Adjacent words that mark a security use together.
const PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("secret", "key"),
    ("access", "key"),
    ("session", "key"),
    ("derive", "key"),
    ("derived", "key"),
    ("key", "derivation"),
];

/// The first security word (or pair, joined by `_`) in `text`, an
/// identifier or the contents of a string.
pub(crate) fn security_word(text: &str) -> Option<String> {
    let words = split_words(text);
    for (i, word) in words.iter().enumerate() {
        if WORDS.contains(&word.as_str()) {
            return Some(word.clone());
        }
        if let Some(next) = words.get(i + 1) {
            if PAIRS.iter().any(|(a, b)| a == word && b == next) {
                return Some(format!("{word}_{next}"));
            }
        }
    }
    None
}

/// `hashPassword` → `hash`, `password`; `HMACKey` → `hmac`, `key`;
/// `api_key2` → `api`, `key2`. Lower case.
fn split_words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && previous
                .is_some_and(|p| p.is_lowercase() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase())));
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_at_underscores_and_camel_case() {
        assert_eq!(split_words("hashPassword"), ["hash", "password"]);
        assert_eq!(split_words("HMACKey"), ["hmac", "key"]);
        assert_eq!(split_words("api_key2"), ["api", "key2"]);
        assert_eq!(split_words("user:{password}"), ["user", "password"]);
        assert_eq!(split_words("__init__"), ["init"]);
    }

    #[test]
    fn whole_words_only() {
        assert_eq!(security_word("hash_password").as_deref(), Some("password"));
        assert_eq!(security_word("make_hmac").as_deref(), Some("hmac"));
        assert_eq!(security_word("AuthToken").as_deref(), Some("auth"));
        assert_eq!(security_word("API_KEY").as_deref(), Some("api_key"));
        assert_eq!(security_word("derive_key").as_deref(), Some("derive_key"));
        assert_eq!(security_word("author_name"), None);
        assert_eq!(security_word("cache_key"), None);
        assert_eq!(security_word("tokens"), None);
        assert_eq!(security_word("tokenizer"), None);
        assert_eq!(security_word("design"), None);
        assert_eq!(security_word("salty"), None);
    }
}
