//! Page tokens: opaque, sealed, and tied to the list they came from.
//!
//! A token carries the key to continue after: a resource id, or an audit
//! position. That key may belong to a row the caller cannot see: a
//! platform's `ListAuthorizations` over a brand with many other platforms'
//! authorizations ends a page early after reading past 10,000 of theirs,
//! and continues after the last one it read. So a token is sealed
//! (ChaCha20-Poly1305, from `ring`) under a secret every replica of one
//! registry shares ([`crate::store::Store::page_token_secret`]): a client
//! learns nothing from it, cannot forge one, and any replica reads one
//! another issued.
//!
//! Inside, the key is followed by a tag of the list (its name, parent and
//! filters), so that a token continues only its own list (AIP-158): one
//! from another parent or other filters would silently skip or repeat
//! items. A list whose items depend on who reads it (authorizations, the
//! audit trail) also tags its tokens with the member they were issued to:
//! another member's list is another list, though nothing of it would show
//! (every page is filtered by the caller's rights).
//!
//! Only sealed tokens are read. The unsealed tokens of earlier versions
//! (hex of `after:{key}`) are refused like any token this registry did not
//! issue: anyone could write one, choosing where a list continues, and a
//! platform choosing where its authorizations continue learns, from where
//! pages end, the ids of other platforms' authorizations. A listing in
//! progress across that upgrade starts again from its first page.

use base64::Engine as _;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

use super::validate::Violations;
use crate::model::ResourceId;

/// The violation of a page token this registry did not issue.
pub const NOT_ISSUED: &str =
    "is not a page token this registry issued: start the list again without a page token";

/// What starts a sealed token.
const SEALED: &str = "s1.";

/// Associated data of every sealed token: what it is for, so that the
/// secret could seal something else one day without a page token being
/// read as that, or the other way round.
const PURPOSE: &[u8] = b"marque page token v1";

/// Seals and opens page tokens under one registry's shared secret.
pub struct PageTokens {
    key: LessSafeKey,
    random: SystemRandom,
}

impl std::fmt::Debug for PageTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageTokens(..)")
    }
}

impl PageTokens {
    /// Page tokens sealed under `secret` (32 bytes shared by every replica
    /// of a registry).
    pub fn new(secret: &[u8; 32]) -> Self {
        let key = UnboundKey::new(&CHACHA20_POLY1305, secret)
            .expect("a 32-byte key is a ChaCha20-Poly1305 key");
        Self {
            key: LessSafeKey::new(key),
            random: SystemRandom::new(),
        }
    }

    /// Encodes the key to continue after as an opaque token tied to
    /// `scope` (the list and every request field that picks its items) and,
    /// for a list whose items depend on who reads it, to its `reader`;
    /// empty when nothing follows.
    pub fn issue(&self, scope: &str, reader: Option<&str>, after: Option<String>) -> String {
        let Some(after) = after else {
            return String::new();
        };
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .expect("the operating system's random source answers");
        let mut sealed = format!("after:{after}\nfor:{}", scope_tag(scope));
        if let Some(reader) = reader {
            sealed = format!("{sealed}\nby:{}", scope_tag(reader));
        }
        let mut sealed = sealed.into_bytes();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(PURPOSE),
                &mut sealed,
            )
            .expect("a page token is far below ChaCha20-Poly1305's length limit");
        let mut token = Vec::with_capacity(NONCE_LEN + sealed.len());
        token.extend_from_slice(&nonce);
        token.extend_from_slice(&sealed);
        format!(
            "{SEALED}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token)
        )
    }

    /// Decodes a page token into the key to continue after, checking that
    /// it was issued for the same `scope` and `reader` ([`PageTokens::issue`]);
    /// `None` for an empty token (the first page), and a violation of
    /// `field` for one this service did not issue, or issued for another
    /// list or to another member. Only sealed tokens are read (an unsealed
    /// one could name any key). A token issued before tokens named their
    /// reader is read by any.
    pub fn read(
        &self,
        token: &str,
        scope: &str,
        reader: Option<&str>,
        field: &str,
        v: &mut Violations,
    ) -> Option<String> {
        if token.is_empty() {
            return None;
        }
        let opened = token
            .strip_prefix(SEALED)
            .and_then(|sealed| self.open(sealed))
            .and_then(|bytes| String::from_utf8(bytes).ok());
        // Every sealed token names its list.
        let Some((after, tag)) = opened
            .as_deref()
            .and_then(|s| s.strip_prefix("after:")?.split_once("\nfor:"))
            .filter(|(after, _)| !after.is_empty())
        else {
            v.add(field, NOT_ISSUED);
            return None;
        };
        let (tag, by) = match tag.split_once("\nby:") {
            Some((tag, by)) => (tag, Some(by)),
            None => (tag, None),
        };
        if tag != scope_tag(scope) {
            v.add(
                field,
                "was issued for another list: a page token continues only the list it came \
                 from, with the same parent and filters",
            );
            return None;
        }
        if let (Some(by), Some(reader)) = (by, reader)
            && by != scope_tag(reader)
        {
            v.add(
                field,
                "was issued to another member: a page token continues only the list of the \
                 member it was issued to",
            );
            return None;
        }
        Some(after.to_string())
    }

    /// Decodes a page token of a list of a parent's children (trademarks,
    /// logos, API keys, authorizations) into the id to continue after. A
    /// token whose key is not an id was not issued by this service: it is
    /// refused, never read as "from the start".
    pub fn read_child(
        &self,
        token: &str,
        scope: &str,
        reader: Option<&str>,
        field: &str,
        v: &mut Violations,
    ) -> Option<ResourceId> {
        let after = self.read(token, scope, reader, field, v)?;
        match ResourceId::parse(&after) {
            Ok(id) => Some(id),
            Err(_) => {
                v.add(field, NOT_ISSUED);
                None
            }
        }
    }

    /// The plaintext of a sealed token, if this secret sealed it.
    fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sealed)
            .ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let mut body = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).ok()?;
        let len = self
            .key
            .open_in_place(nonce, Aad::from(PURPOSE), &mut body)
            .ok()?
            .len();
        body.truncate(len);
        Some(body)
    }
}

/// The tag of a list inside its tokens: the first 8 bytes of the SHA-256
/// of its scope, in hex.
fn scope_tag(scope: &str) -> String {
    hex::encode(&Sha256::digest(scope.as_bytes())[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(byte: u8) -> PageTokens {
        PageTokens::new(&[byte; 32])
    }

    fn read(tokens: &PageTokens, token: &str, scope: &str) -> Result<Option<String>, String> {
        let mut v = Violations::new();
        let after = tokens.read(token, scope, None, "page_token", &mut v);
        v.finish().map(|()| after).map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn a_token_reads_back_on_its_own_list_only() {
        let t = tokens(7);
        let token = t.issue("ListBrands", None, Some("aurelle".into()));
        assert_eq!(read(&t, &token, "ListBrands"), Ok(Some("aurelle".into())));
        let other = read(&t, &token, "ListBrands archived").unwrap_err();
        assert!(other.contains("another list"), "{other}");
        assert_eq!(t.issue("ListBrands", None, None), "");
        assert_eq!(read(&t, "", "ListBrands"), Ok(None));
    }

    #[test]
    fn a_token_issued_to_a_member_reads_back_for_that_member_only() {
        let t = tokens(7);
        let list = "ListAuthorizations brands/aurelle";
        let token = t.issue(list, Some("shopwise"), Some("a1".into()));
        let mut v = Violations::new();
        let after = t.read(&token, list, Some("shopwise"), "page_token", &mut v);
        assert_eq!((after.as_deref(), v.finish().is_ok()), (Some("a1"), true));
        let mut v = Violations::new();
        assert_eq!(
            t.read(&token, list, Some("bazaar"), "page_token", &mut v),
            None
        );
        let refused = format!("{:?}", v.finish().unwrap_err());
        assert!(refused.contains("another member"), "{refused}");
        // Still the list's own: another list is refused as such.
        let mut v = Violations::new();
        t.read(
            &token,
            "ListAuthorizations brands/vellano",
            Some("shopwise"),
            "page_token",
            &mut v,
        );
        let refused = format!("{:?}", v.finish().unwrap_err());
        assert!(refused.contains("another list"), "{refused}");
        // A token issued before tokens named their reader is read by any.
        let before = t.issue(list, None, Some("a1".into()));
        let mut v = Violations::new();
        let after = t.read(&before, list, Some("bazaar"), "page_token", &mut v);
        assert_eq!((after.as_deref(), v.finish().is_ok()), (Some("a1"), true));
    }

    #[test]
    fn a_token_shows_nothing_of_its_key_and_differs_each_time() {
        let t = tokens(7);
        let key = "0f6c1d2e-secret-of-another-platform";
        let first = t.issue("ListAuthorizations", None, Some(key.into()));
        let second = t.issue("ListAuthorizations", None, Some(key.into()));
        assert_ne!(first, second, "a fresh nonce each time");
        for token in [&first, &second] {
            assert!(token.starts_with(SEALED));
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&token[SEALED.len()..])
                .unwrap();
            let shown = String::from_utf8_lossy(&raw);
            assert!(!shown.contains("secret"), "{shown}");
            assert!(!token.contains(&hex::encode("secret")), "{token}");
            assert!(!token.contains("secret"), "{token}");
        }
    }

    #[test]
    fn a_token_sealed_under_another_secret_or_altered_is_not_issued_here() {
        let ours = tokens(7);
        let theirs = tokens(8);
        let token = theirs.issue("ListBrands", None, Some("aurelle".into()));
        let refused = read(&ours, &token, "ListBrands").unwrap_err();
        assert!(refused.contains(NOT_ISSUED), "{refused}");
        let token = ours.issue("ListBrands", None, Some("aurelle".into()));
        let mut raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&token[SEALED.len()..])
            .unwrap();
        for i in 0..raw.len() {
            raw[i] ^= 1;
            let altered = format!(
                "{SEALED}{}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw)
            );
            raw[i] ^= 1;
            assert!(read(&ours, &altered, "ListBrands").is_err(), "byte {i}");
        }
        for garbage in [SEALED, "s1.!!", "s1.AAAA", "garbage", "zz"] {
            assert!(read(&ours, garbage, "ListBrands").is_err(), "{garbage}");
        }
    }

    #[test]
    fn unsealed_tokens_are_not_issued_here_whatever_they_name() {
        let t = tokens(7);
        // The hex form earlier versions issued, which anyone can write.
        let untagged = hex::encode("after:aurelle");
        let tagged = hex::encode(format!("after:aurelle\nfor:{}", scope_tag("ListBrands")));
        let by = hex::encode(format!(
            "after:a1\nfor:{}\nby:{}",
            scope_tag("ListAuthorizations brands/aurelle"),
            scope_tag("shopwise")
        ));
        for forged in [&untagged, &tagged, &by, &hex::encode("after:")] {
            let refused = read(&t, forged, "ListBrands").unwrap_err();
            assert!(refused.contains(NOT_ISSUED), "{refused}");
        }
        let refused = read(&t, &by, "ListAuthorizations brands/aurelle").unwrap_err();
        assert!(refused.contains(NOT_ISSUED), "{refused}");
        // The plaintext of a real token, unsealed, is no token either.
        let plain = format!(
            "{SEALED}{}",
            hex::encode(format!("after:aurelle\nfor:{}", scope_tag("ListBrands")))
        );
        assert!(read(&t, &plain, "ListBrands").is_err());
        assert!(NOT_ISSUED.contains("start the list again"));
    }
}
