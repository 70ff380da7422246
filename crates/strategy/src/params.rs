//! Parameter schemas and their validation.
//!
//! Every built-in strategy declares its parameters as [`ParamSpec`]s. The same schema drives
//! validation here, the REST API's documentation and the UI's forms. Values travel as `f64`
//! (JSON numbers); an `Int` must be a whole number and a `Bool` is 0 or 1.

use std::collections::BTreeMap;

use thiserror::Error;

/// The type of a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    Int,
    Float,
    /// 0 (false) or 1 (true).
    Bool,
}

impl ParamKind {
    /// The name used in schemas: `int`, `float` or `bool`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ParamKind::Int => "int",
            ParamKind::Float => "float",
            ParamKind::Bool => "bool",
        }
    }
}

/// One parameter of a strategy. `min` and `max` are inclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: f64,
    pub min: f64,
    pub max: f64,
    pub description: &'static str,
}

/// Why a set of parameters was refused; every variant names the parameter.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum ParamError {
    #[error("unknown strategy {name:?}")]
    UnknownStrategy { name: String },
    #[error("unknown parameter {name:?} (this strategy takes: {expected})")]
    Unknown { name: String, expected: String },
    #[error("parameter {name:?} must be a finite number")]
    NotFinite { name: String },
    #[error("parameter {name:?} must be a whole number, got {value}")]
    NotInteger { name: String, value: f64 },
    #[error("parameter {name:?} must be 0 or 1, got {value}")]
    NotBool { name: String, value: f64 },
    #[error("parameter {name:?} must be between {min} and {max}, got {value}")]
    OutOfRange { name: String, value: f64, min: f64, max: f64 },
    #[error("parameter {name:?}: {message}")]
    Invalid { name: String, message: String },
}

impl ParamError {
    /// The parameter (or strategy) the error is about.
    pub fn name(&self) -> &str {
        match self {
            ParamError::UnknownStrategy { name }
            | ParamError::Unknown { name, .. }
            | ParamError::NotFinite { name }
            | ParamError::NotInteger { name, .. }
            | ParamError::NotBool { name, .. }
            | ParamError::OutOfRange { name, .. }
            | ParamError::Invalid { name, .. } => name,
        }
    }
}

/// A complete, validated set of parameter values: every parameter of the schema, defaults
/// filled in, in schema order.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    values: Vec<(&'static str, f64)>,
}

impl Params {
    /// Checks `given` against `specs`: no unknown names, finite values, whole numbers for
    /// `Int`, 0 or 1 for `Bool`, within `[min, max]`. Missing parameters take their default.
    pub fn validate(
        specs: &[ParamSpec],
        given: &BTreeMap<String, f64>,
    ) -> Result<Params, ParamError> {
        if let Some(name) = given.keys().find(|k| !specs.iter().any(|s| s.name == k.as_str())) {
            let expected = specs.iter().map(|s| s.name).collect::<Vec<_>>().join(", ");
            return Err(ParamError::Unknown { name: name.clone(), expected });
        }
        let mut values = Vec::with_capacity(specs.len());
        for spec in specs {
            let value = given.get(spec.name).copied().unwrap_or(spec.default);
            let name = || spec.name.to_string();
            if !value.is_finite() {
                return Err(ParamError::NotFinite { name: name() });
            }
            match spec.kind {
                ParamKind::Int if value.fract() != 0.0 => {
                    return Err(ParamError::NotInteger { name: name(), value });
                }
                ParamKind::Bool if value != 0.0 && value != 1.0 => {
                    return Err(ParamError::NotBool { name: name(), value });
                }
                _ => {}
            }
            if value < spec.min || value > spec.max {
                return Err(ParamError::OutOfRange {
                    name: name(),
                    value,
                    min: spec.min,
                    max: spec.max,
                });
            }
            values.push((spec.name, value));
        }
        Ok(Params { values })
    }

    /// The value of `name`.
    ///
    /// # Panics
    /// If the schema has no such parameter (a bug in the strategy, not in the input).
    pub fn get(&self, name: &str) -> f64 {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, v)| v)
            .unwrap_or_else(|| panic!("no parameter {name:?} in the schema"))
    }

    /// An `Int` parameter (validated whole and within its range).
    pub fn int(&self, name: &str) -> usize {
        self.get(name) as usize
    }

    pub fn bool(&self, name: &str) -> bool {
        self.get(name) != 0.0
    }

    /// Every parameter with its value, in schema order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.values.iter().copied()
    }

    /// The values as a map (what a stored run records as its parameters).
    pub fn to_map(&self) -> BTreeMap<String, f64> {
        self.iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// Fails with [`ParamError::Invalid`] naming `lower` unless `lower < upper`.
    pub fn require_less(&self, lower: &str, upper: &str) -> Result<(), ParamError> {
        if self.get(lower) < self.get(upper) {
            Ok(())
        } else {
            Err(ParamError::Invalid {
                name: lower.to_string(),
                message: format!(
                    "{lower} ({}) must be less than {upper} ({})",
                    self.get(lower),
                    self.get(upper)
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[
        ParamSpec {
            name: "n",
            kind: ParamKind::Int,
            default: 5.0,
            min: 1.0,
            max: 10.0,
            description: "",
        },
        ParamSpec {
            name: "x",
            kind: ParamKind::Float,
            default: 0.5,
            min: 0.0,
            max: 1.0,
            description: "",
        },
        ParamSpec {
            name: "b",
            kind: ParamKind::Bool,
            default: 0.0,
            min: 0.0,
            max: 1.0,
            description: "",
        },
    ];

    fn given(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect()
    }

    #[test]
    fn fills_defaults_and_keeps_schema_order() {
        let p = Params::validate(SPECS, &given(&[("b", 1.0), ("n", 7.0)])).unwrap();
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![("n", 7.0), ("x", 0.5), ("b", 1.0)]);
        assert_eq!((p.int("n"), p.bool("b")), (7, true));
    }

    #[test]
    fn every_refusal_names_the_parameter() {
        let cases: &[(&[(&str, f64)], &str)] = &[
            (&[("m", 1.0)], "m"),
            (&[("n", 2.5)], "n"),
            (&[("n", 11.0)], "n"),
            (&[("x", f64::NAN)], "x"),
            (&[("x", -0.1)], "x"),
            (&[("b", 0.5)], "b"),
        ];
        for (input, name) in cases {
            let err = Params::validate(SPECS, &given(input)).unwrap_err();
            assert_eq!(err.name(), *name, "{err}");
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn ordering_constraint() {
        let p = Params::validate(SPECS, &given(&[("n", 1.0)])).unwrap();
        assert!(p.require_less("x", "n").is_ok());
        let err = p.require_less("n", "x").unwrap_err();
        assert_eq!(err.name(), "n");
    }
}
