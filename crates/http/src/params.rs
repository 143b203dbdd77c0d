//! Strict parsing of query strings and JSON bodies into typed requests, so every bad value
//! is a `validation_failed` naming its field (rather than a framework's generic 400).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::ApiError;

/// A parsed query string: each known parameter at most once, unknown ones refused.
#[derive(Debug)]
pub struct Query {
    values: HashMap<String, String>,
}

impl Query {
    /// Parses `raw`, allowing only the `allowed` parameter names.
    ///
    /// # Errors
    /// `validation_failed` for an unknown or repeated parameter.
    pub fn parse(raw: &str, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut values = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
            if !allowed.contains(&name.as_ref()) {
                let field = truncate(&name);
                return Err(ApiError::invalid(
                    field.clone(),
                    format!(
                        "unknown query parameter {field:?}; allowed: {}",
                        allowed.join(", ")
                    ),
                ));
            }
            if values
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(ApiError::invalid(
                    name.to_string(),
                    format!("{name} is given more than once"),
                ));
            }
        }
        Ok(Self { values })
    }

    /// The value of `name`, if given (an empty value counts as given).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of `name` parsed with `parse`, or a `validation_failed` with `message`.
    ///
    /// # Errors
    /// `validation_failed` naming `name` when the value does not parse.
    pub fn parsed<T>(
        &self,
        name: &str,
        message: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => parse(raw)
                .map(Some)
                .ok_or_else(|| ApiError::invalid(name, message)),
        }
    }

    /// Like [`Query::parsed`], for a required parameter.
    ///
    /// # Errors
    /// `validation_failed` naming `name` when it is missing or does not parse.
    pub fn required<T>(
        &self,
        name: &str,
        message: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, ApiError> {
        self.parsed(name, message, parse)?
            .ok_or_else(|| ApiError::invalid(name, format!("{name} is required; {message}")))
    }
}

/// Field names echoed back are cut to a sane length.
fn truncate(name: &str) -> String {
    name.chars().take(64).collect()
}

/// A JSON object body, read field by field.
#[derive(Debug)]
pub struct Body {
    fields: Map<String, Value>,
}

impl Body {
    /// Takes a parsed JSON value that must be an object with only `allowed` keys.
    ///
    /// # Errors
    /// `validation_failed` when it is not an object or has unknown keys.
    pub fn new(value: Value, allowed: &[&str]) -> Result<Self, ApiError> {
        let Value::Object(fields) = value else {
            return Err(ApiError::invalid("body", "the body must be a JSON object"));
        };
        if let Some(unknown) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
            let field = truncate(unknown);
            return Err(ApiError::invalid(
                field.clone(),
                format!("unknown field {field:?}; allowed: {}", allowed.join(", ")),
            ));
        }
        Ok(Self { fields })
    }

    /// An optional string field (`null` counts as absent).
    ///
    /// # Errors
    /// `validation_failed` when present but not a string.
    pub fn optional_str(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid(name, format!("{name} must be a string"))),
        }
    }

    /// A required boolean field.
    ///
    /// # Errors
    /// `validation_failed` when missing, `null` or not `true`/`false`.
    pub fn required_bool(&self, name: &str) -> Result<bool, ApiError> {
        match self.fields.get(name) {
            Some(Value::Bool(b)) => Ok(*b),
            None | Some(Value::Null) => Err(ApiError::invalid(
                name,
                format!("{name} is required: true or false"),
            )),
            Some(_) => Err(ApiError::invalid(
                name,
                format!("{name} must be true or false"),
            )),
        }
    }

    /// A required string field.
    ///
    /// # Errors
    /// `validation_failed` when missing, `null` or not a string.
    pub fn required_str(&self, name: &str) -> Result<&str, ApiError> {
        self.optional_str(name)?
            .ok_or_else(|| ApiError::invalid(name, format!("{name} is required")))
    }
}
