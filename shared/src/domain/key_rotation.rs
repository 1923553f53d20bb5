//! Rotating the access-token signing keys without signing anyone out: three steps, one
//! per run of the rotation schedule, each taken only when the previous one is old enough.
//!
//! 1. **Add** `jwt_key_<n+1>` beside the active key, which keeps signing. Its public half
//!    is published at once; every process reads the keys again within
//!    [`RotationPolicy::propagation`].
//! 2. **Switch** `jwt_active_kid` to it once it has been known that long, so no process
//!    receives a token of a key it has not read.
//! 3. **Retire** the old key once every token it signed has expired
//!    ([`RotationPolicy::retire_after`] from the switch).
//!
//! When each key was added and when the last switch happened are kept in the secret itself
//! (`rotation_added_at_<kid>`, `rotation_switched_at`), which [`TokenKeys`] ignores; a secret
//! made without them (CloudFormation's generated one) is dated on the first run.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::tokens::{KeysError, TokenKeys};

const ACTIVE_KID: &str = "jwt_active_kid";
const KEY_PREFIX: &str = "jwt_key_";
const ADDED_AT_PREFIX: &str = "rotation_added_at_";
const SWITCHED_AT: &str = "rotation_switched_at";

/// How long each step waits for the one before.
#[derive(Clone, Debug)]
pub struct RotationPolicy {
    /// The active key's age at which a new key is added.
    pub rotate_after: Duration,
    /// How long a new key is known before it signs: at least the longest time a process
    /// keeps the keys without reading them again.
    pub propagation: Duration,
    /// How long an old key still verifies after the switch: at least the access-token
    /// lifetime (and its leeway) plus the propagation, as a process that has not read the
    /// switch yet still signs with it.
    pub retire_after: Duration,
}

/// What one run did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum RotationStep {
    /// The secret had no dates: its keys are dated now and age from here.
    Dated,
    /// A new key was added; the active one still signs.
    Added { kid: String },
    /// The newest key signs from now on.
    Switched { from: String, to: String },
    /// Keys whose tokens have all expired were removed.
    Retired { kids: Vec<String> },
    /// Nothing is due yet.
    Waiting {
        until: DateTime<Utc>,
        next: &'static str,
    },
}

/// A run's outcome: the secret to write (`None`: unchanged) and what happened.
#[derive(Debug)]
pub struct Rotation {
    pub secret: Option<String>,
    pub step: RotationStep,
}

/// The next step for `secret` at `now`. `rotate_now` adds a key even if the active one is
/// young (a suspected leak); a rotation already under way just goes on. `new_key` makes
/// the new key's value. The secret written parses as signing keys, or nothing is written.
pub fn rotate(
    secret: &str,
    now: DateTime<Utc>,
    policy: &RotationPolicy,
    rotate_now: bool,
    new_key: impl FnOnce() -> Result<String, KeysError>,
) -> Result<Rotation, KeysError> {
    // Refuse anything that does not sign today: a rotation must never make it worse.
    let keys = TokenKeys::parse(secret, false)?;
    if !keys.can_sign() {
        return Err(KeysError::VerificationOnly);
    }
    let mut fields: Map<String, Value> =
        serde_json::from_str(secret).map_err(|error| KeysError::NotJson(error.to_string()))?;
    let active = text(&fields, ACTIVE_KID).ok_or(KeysError::NoActiveKid)?;
    let kids: Vec<String> = fields
        .keys()
        .filter_map(|name| name.strip_prefix(KEY_PREFIX).map(str::to_owned))
        .collect();

    let undated: Vec<&String> = kids
        .iter()
        .filter(|kid| added_at(&fields, kid).is_none())
        .collect();
    // Dating is written with whatever else is due (`rotate_now` on a new secret).
    let dated = !undated.is_empty();
    for kid in undated {
        fields.insert(format!("{ADDED_AT_PREFIX}{kid}"), stamp(now));
    }
    if dated && kids.len() > 1 && !fields.contains_key(SWITCHED_AT) {
        fields.insert(SWITCHED_AT.to_owned(), stamp(now));
    }
    let waiting = |fields: Map<String, Value>, until, next| {
        if dated {
            finish(fields, RotationStep::Dated)
        } else {
            Ok(Rotation {
                secret: None,
                step: RotationStep::Waiting { until, next },
            })
        }
    };
    let active_added = added_at(&fields, &active).unwrap_or(now);

    // A key newer than the active one is waiting to sign.
    let pending = kids
        .iter()
        .filter(|kid| **kid != active)
        .filter_map(|kid| Some((kid, added_at(&fields, kid)?)))
        .filter(|(_, added)| *added > active_added)
        .max_by_key(|(_, added)| *added);
    if let Some((kid, added)) = pending {
        let due = added + policy.propagation;
        if now < due {
            return waiting(fields, due, "switch to the new key");
        }
        fields.insert(ACTIVE_KID.to_owned(), Value::String(kid.clone()));
        fields.insert(SWITCHED_AT.to_owned(), stamp(now));
        return finish(
            fields,
            RotationStep::Switched {
                from: active,
                to: kid.clone(),
            },
        );
    }

    // Older keys only verify, until their last token expires.
    let old: Vec<String> = kids.iter().filter(|kid| **kid != active).cloned().collect();
    if !old.is_empty() {
        let switched = fields
            .get(SWITCHED_AT)
            .and_then(Value::as_str)
            .and_then(parse_time)
            .unwrap_or(active_added);
        let due = switched + policy.retire_after;
        if now < due {
            return waiting(fields, due, "retire the old key");
        }
        for kid in &old {
            fields.remove(&format!("{KEY_PREFIX}{kid}"));
            fields.remove(&format!("{ADDED_AT_PREFIX}{kid}"));
        }
        return finish(fields, RotationStep::Retired { kids: old });
    }

    let due = active_added + policy.rotate_after;
    if !rotate_now && now < due {
        return waiting(fields, due, "add a new key");
    }
    let kid = next_kid(&kids);
    fields.insert(format!("{KEY_PREFIX}{kid}"), Value::String(new_key()?));
    fields.insert(format!("{ADDED_AT_PREFIX}{kid}"), stamp(now));
    finish(fields, RotationStep::Added { kid })
}

fn finish(fields: Map<String, Value>, step: RotationStep) -> Result<Rotation, KeysError> {
    let secret = Value::Object(fields).to_string();
    TokenKeys::parse(&secret, false)?;
    Ok(Rotation {
        secret: Some(secret),
        step,
    })
}

fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    fields.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn added_at(fields: &Map<String, Value>, kid: &str) -> Option<DateTime<Utc>> {
    fields
        .get(&format!("{ADDED_AT_PREFIX}{kid}"))
        .and_then(Value::as_str)
        .and_then(parse_time)
}

fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

fn stamp(now: DateTime<Utc>) -> Value {
    Value::String(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// One more than the largest numeric kid (kids an operator named otherwise are skipped).
fn next_kid(kids: &[String]) -> String {
    let mut next = kids
        .iter()
        .filter_map(|kid| kid.parse::<u64>().ok())
        .max()
        .map_or(1, |max| max.saturating_add(1));
    while kids.contains(&next.to_string()) {
        next = next.saturating_add(1);
    }
    next.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "first key value, at least 32 characters";
    const TWO: &str = "second key value, at least 32 characters";

    fn policy() -> RotationPolicy {
        RotationPolicy {
            rotate_after: Duration::days(30),
            propagation: Duration::hours(1),
            retire_after: Duration::hours(1),
        }
    }

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::hours(hours)
    }

    fn run(secret: &str, hours: i64, rotate_now: bool) -> Rotation {
        rotate(secret, at(hours), &policy(), rotate_now, || Ok(TWO.into())).unwrap()
    }

    fn field(secret: &str, name: &str) -> Option<String> {
        let fields: Map<String, Value> = serde_json::from_str(secret).unwrap();
        fields.get(name).and_then(Value::as_str).map(str::to_owned)
    }

    #[test]
    fn a_key_is_added_then_switched_to_then_the_old_one_retired_each_when_due() {
        let created = format!(r#"{{"jwt_active_kid":"1","jwt_key_1":"{ONE}"}}"#);
        let dated = run(&created, 0, false);
        assert_eq!(dated.step, RotationStep::Dated);
        let secret = dated.secret.unwrap();
        assert_eq!(
            field(&secret, "rotation_added_at_1").as_deref(),
            Some("2026-12-01T00:00:00Z")
        );

        // Young: nothing to do until 30 days from the dating.
        let young = run(&secret, 24, false);
        assert!(young.secret.is_none());
        assert_eq!(
            young.step,
            RotationStep::Waiting {
                until: at(30 * 24),
                next: "add a new key"
            }
        );

        let added = run(&secret, 30 * 24, false);
        assert_eq!(added.step, RotationStep::Added { kid: "2".into() });
        let secret = added.secret.unwrap();
        assert_eq!(field(&secret, "jwt_active_kid").as_deref(), Some("1"));
        assert_eq!(field(&secret, "jwt_key_2").as_deref(), Some(TWO));
        let keys = TokenKeys::parse(&secret, false).unwrap();
        assert!(
            keys.public_keys().contains("jwt_public_2"),
            "published before it signs"
        );

        // Known for less than the propagation time: the old key keeps signing.
        let early = run(&secret, 30 * 24, false);
        assert!(early.secret.is_none(), "{:?}", early.step);
        let switched = run(&secret, 30 * 24 + 1, false);
        assert_eq!(
            switched.step,
            RotationStep::Switched {
                from: "1".into(),
                to: "2".into()
            }
        );
        let secret = switched.secret.unwrap();
        assert_eq!(field(&secret, "jwt_active_kid").as_deref(), Some("2"));
        assert!(field(&secret, "jwt_key_1").is_some(), "still verifies");

        let before_expiry = run(&secret, 30 * 24 + 1, false);
        assert!(before_expiry.secret.is_none());
        let retired = run(&secret, 30 * 24 + 2, false);
        assert_eq!(
            retired.step,
            RotationStep::Retired {
                kids: vec!["1".into()]
            }
        );
        let secret = retired.secret.unwrap();
        assert!(field(&secret, "jwt_key_1").is_none());
        assert!(field(&secret, "rotation_added_at_1").is_none());
        assert_eq!(
            TokenKeys::parse(&secret, false)
                .unwrap()
                .public_keys()
                .matches("jwt_public_")
                .count(),
            1
        );

        // The next rotation is 30 days after key 2 was added.
        assert_eq!(
            run(&secret, 30 * 24 + 3, false).step,
            RotationStep::Waiting {
                until: at(60 * 24),
                next: "add a new key"
            }
        );
    }

    #[test]
    fn rotate_now_adds_a_key_at_once_but_never_skips_the_wait_before_it_signs() {
        let secret = format!(
            r#"{{"jwt_active_kid":"1","jwt_key_1":"{ONE}","rotation_added_at_1":"2026-12-01T00:00:00Z"}}"#
        );
        let added = run(&secret, 1, true);
        assert_eq!(added.step, RotationStep::Added { kid: "2".into() });
        let secret = added.secret.unwrap();
        let again = run(&secret, 1, true);
        assert!(again.secret.is_none(), "{:?}", again.step);
    }

    #[test]
    fn rotate_now_on_a_secret_never_dated_dates_it_and_adds_the_key_in_one_run() {
        let created = format!(r#"{{"jwt_active_kid":"1","jwt_key_1":"{ONE}"}}"#);
        let rotation = run(&created, 0, true);
        assert_eq!(rotation.step, RotationStep::Added { kid: "2".into() });
        let secret = rotation.secret.unwrap();
        assert!(field(&secret, "rotation_added_at_1").is_some());
        assert!(field(&secret, "rotation_added_at_2").is_some());
    }

    #[test]
    fn a_rotation_made_by_hand_is_dated_and_then_finished() {
        // An operator added and switched to key 2 without dates.
        let secret = format!(r#"{{"jwt_active_kid":"2","jwt_key_1":"{ONE}","jwt_key_2":"{TWO}"}}"#);
        let dated = run(&secret, 0, false);
        assert_eq!(dated.step, RotationStep::Dated);
        let secret = dated.secret.unwrap();
        assert!(field(&secret, "rotation_switched_at").is_some());
        // Both dated at the same moment: neither is pending, key 1 retires when due.
        assert!(run(&secret, 0, false).secret.is_none());
        assert_eq!(
            run(&secret, 1, false).step,
            RotationStep::Retired {
                kids: vec!["1".into()]
            }
        );
    }

    #[test]
    fn a_secret_that_cannot_sign_is_refused_and_never_rewritten() {
        for broken in [
            "not json",
            r#"{"jwt_public_1":"AAAA"}"#,
            r#"{"jwt_active_kid":"3","jwt_key_1":"first key value, at least 32 characters"}"#,
            r#"{"jwt_active_kid":"1","jwt_key_1":"short"}"#,
        ] {
            assert!(
                rotate(broken, at(0), &policy(), true, || Ok(TWO.into())).is_err(),
                "{broken}"
            );
        }
        // A new key too weak to sign is not written.
        let secret = format!(
            r#"{{"jwt_active_kid":"1","jwt_key_1":"{ONE}","rotation_added_at_1":"2026-12-01T00:00:00Z"}}"#
        );
        assert!(rotate(&secret, at(0), &policy(), true, || Ok("weak".into())).is_err());
    }

    #[test]
    fn new_kids_follow_the_largest_number() {
        assert_eq!(next_kid(&["1".into()]), "2");
        assert_eq!(next_kid(&["9".into(), "10".into()]), "11");
        assert_eq!(next_kid(&["primary".into()]), "1");
    }
}
