//! Strict JSON documents: parsed into exactly the expected shape, and a failure names the
//! field path that broke it (`content[0].role`), so a user knows what to fix.

use serde::de::DeserializeOwned;

use super::FieldError;

/// Why a JSON document was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON at all (a syntax error or a truncated document).
    Syntax(String),
    /// JSON of another shape: an unknown, missing or mistyped field.
    Shape(FieldError),
}

/// Parses `body`, a JSON object, as a `T` (which should be `#[serde(deny_unknown_fields)]`).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, JsonError> {
    // serde also reads a struct from an array of its fields in order (`[null, null]`);
    // every document Agora reads is an object, so an array is refused before that can.
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
        return Err(JsonError::Shape(FieldError {
            field: String::new(),
            message: "must be a JSON object, not an array".into(),
        }));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => JsonError::Shape(FieldError {
                field: if path == "." { String::new() } else { path },
                message: data_message(&inner),
            }),
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => JsonError::Syntax(format!(
                "The body is not valid JSON: {inner}. Send a JSON document."
            )),
        }
    })
}

/// serde's message without its " at line L column C" suffix, which the field path replaces.
fn data_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(position) => message[..position].to_owned(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be parsed")]
    struct Message {
        role: String,
        content: Vec<Part>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be parsed")]
    struct Part {
        text: String,
    }

    fn field_error(body: &str) -> FieldError {
        match parse::<Message>(body.as_bytes()) {
            Err(JsonError::Shape(error)) => error,
            other => panic!("expected a shape error, got {other:?}"),
        }
    }

    #[test]
    fn unknown_fields_are_rejected_with_their_path() {
        let error = field_error(r#"{"role":"user","content":[{"text":"hi","role":"admin"}]}"#);
        assert_eq!(error.field, "content[0].role");
        assert!(
            error.message.contains("unknown field `role`"),
            "{}",
            error.message
        );
    }

    #[test]
    fn wrong_types_and_missing_fields_name_the_field() {
        assert_eq!(field_error(r#"{"role":1,"content":[]}"#).field, "role");
        assert!(
            field_error(r#"{"role":"user"}"#)
                .message
                .contains("missing field `content`")
        );
    }

    #[test]
    fn broken_json_is_a_syntax_error() {
        for body in ["{", "not json", "", r#"{"role":"user",}"#] {
            assert!(
                matches!(parse::<Message>(body.as_bytes()), Err(JsonError::Syntax(_))),
                "{body:?}"
            );
        }
    }

    proptest::proptest! {
        /// Bodies are the caller's: any bytes parse or get an error naming what to fix.
        #[test]
        fn any_body_parses_or_is_refused(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = parse::<Message>(&body);
            let _ = parse::<serde_json::Value>(&body);
        }

        #[test]
        fn any_json_like_text_parses_or_is_refused(body in "[\\[\\]{}\",:0-9a-z\\\\ .eE+-]{0,300}") {
            let _ = parse::<Message>(body.as_bytes());
        }
    }

    #[test]
    fn deeply_nested_bodies_are_refused_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse::<serde_json::Value>(deep.as_bytes()).is_err());
        let objects = format!(r#"{}1{}"#, r#"{"a":"#.repeat(50_000), "}".repeat(50_000));
        assert!(parse::<Message>(objects.as_bytes()).is_err());
    }

    #[test]
    fn an_array_is_not_read_as_the_fields_of_an_object() {
        #[derive(Debug, Deserialize)]
        #[expect(dead_code, reason = "fields exist to be parsed")]
        struct Limits {
            daily: Option<String>,
            monthly: Option<String>,
        }
        let refused = parse::<Limits>(b" [null, null]").unwrap_err();
        assert_eq!(
            refused,
            JsonError::Shape(FieldError {
                field: String::new(),
                message: "must be a JSON object, not an array".into(),
            })
        );
        assert!(parse::<Limits>(br#"{"daily": "1"}"#).is_ok());
    }
}
