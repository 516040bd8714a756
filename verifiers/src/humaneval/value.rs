//! Python values as they cross the sandbox boundary, and Python's `==` and truthiness on them,
//! decided here, outside the interpreter that ran the candidate.
//!
//! The harnesses encode a value as JSON with type tags ([`ENCODER`]): `null`, booleans,
//! strings and arrays (lists) stand for themselves; `{"int": "123"}`, `{"float": "0.1"}` (its
//! `repr`, which round-trips), `{"tuple": [...]}`, `{"set": [...]}`, `{"frozenset": [...]}`,
//! `{"dict": [[k, v], ...]}`. Only values whose type is *exactly* a builtin (or one of the
//! standard dict subclasses) are encoded by content; anything else — a user class, a subclass of
//! `int` with its own `__eq__` — becomes `{"other": type name, "repr": ...}` and equals nothing.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};
use serde_json::Value;

/// The Python encoder used by every harness: `enc(v)` and `dec(j)` (its inverse, for test
/// arguments), `short(v)` (a bounded repr). Values nested deeper than 64 levels are refused.
pub(super) const ENCODER: &str = r#"
def _mull_codec():
    import collections as _c
    _type, _repr, _str, _int, _float, _len = type, repr, str, int, float, len
    _list, _tuple, _set, _frozenset, _dict = list, tuple, set, frozenset, dict
    _items = dict.items
    _dicts = (dict, _c.OrderedDict, _c.defaultdict, _c.Counter)
    def short(v):
        try:
            s = _repr(v)
        except BaseException:
            s = "<unrepresentable " + _type(v).__name__ + ">"
        return s if _len(s) <= 300 else s[:300] + "..."
    def enc(v, depth=0):
        if depth > 64:
            raise ValueError("value nested too deeply")
        t = _type(v)
        if v is None or t is bool or t is _str:
            return v
        if t is _int:
            return {"int": _str(v)}
        if t is _float:
            return {"float": _repr(v)}
        if t is _list:
            return [enc(x, depth + 1) for x in v]
        if t is _tuple:
            return {"tuple": [enc(x, depth + 1) for x in v]}
        if t is _set:
            return {"set": [enc(x, depth + 1) for x in v]}
        if t is _frozenset:
            return {"frozenset": [enc(x, depth + 1) for x in v]}
        if t in _dicts:
            return {"dict": [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in _items(v)]}
        return {"other": t.__name__, "repr": short(v)}
    def dec(j):
        if j is None or _type(j) in (bool, _str):
            return j
        if _type(j) is _list:
            return [dec(x) for x in j]
        (tag, x), = j.items()
        if tag == "int":
            return _int(x)
        if tag == "float":
            return _float(x)
        if tag == "tuple":
            return _tuple(dec(y) for y in x)
        if tag == "set":
            return _set(dec(y) for y in x)
        if tag == "frozenset":
            return _frozenset(dec(y) for y in x)
        if tag == "dict":
            return {dec(k): dec(y) for k, y in x}
        raise ValueError("cannot decode " + tag)
    return enc, dec, short
"#;

/// A decoded value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum PyValue {
    None,
    Bool(bool),
    Int(BigInt),
    Float(f64),
    Str(String),
    List(Vec<PyValue>),
    Tuple(Vec<PyValue>),
    Set(Vec<PyValue>),
    Dict(Vec<(PyValue, PyValue)>),
    /// Not a builtin value: equal to nothing, neither true nor false.
    Other(String),
}

/// The canonical form under Python's `==`: numbers of every type as exact rationals (`1 == 1.0
/// == True`), sets and dicts sorted. Two values are equal iff their forms are.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Canon {
    None,
    Num(BigRational),
    NegInf,
    PosInf,
    Str(String),
    List(Vec<Canon>),
    Tuple(Vec<Canon>),
    Set(Vec<Canon>),
    Dict(Vec<(Canon, Canon)>),
}

impl PyValue {
    /// Decodes the tagged JSON of [`ENCODER`]; `None` for anything malformed.
    pub(super) fn decode(json: &Value) -> Option<PyValue> {
        let all = |items: &Value| -> Option<Vec<PyValue>> {
            items.as_array()?.iter().map(PyValue::decode).collect()
        };
        Some(match json {
            Value::Null => PyValue::None,
            Value::Bool(b) => PyValue::Bool(*b),
            Value::String(s) => PyValue::Str(s.clone()),
            Value::Array(_) => PyValue::List(all(json)?),
            Value::Object(map) if map.len() == 1 || map.contains_key("other") => {
                if let Some(name) = map.get("other") {
                    return Some(PyValue::Other(name.as_str()?.to_string()));
                }
                let (tag, x) = map.iter().next()?;
                match tag.as_str() {
                    "int" => PyValue::Int(x.as_str()?.parse().ok()?),
                    "float" => PyValue::Float(x.as_str()?.parse().ok()?),
                    "tuple" => PyValue::Tuple(all(x)?),
                    "set" | "frozenset" => PyValue::Set(all(x)?),
                    "dict" => PyValue::Dict(
                        x.as_array()?
                            .iter()
                            .map(|pair| match pair.as_array()?.as_slice() {
                                [k, v] => Some((PyValue::decode(k)?, PyValue::decode(v)?)),
                                _ => None,
                            })
                            .collect::<Option<_>>()?,
                    ),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    /// `None` where no canonical form exists: a NaN (never equal, not even to itself) or a
    /// non-builtin value.
    fn canon(&self) -> Option<Canon> {
        let all = |items: &[PyValue]| items.iter().map(PyValue::canon).collect::<Option<Vec<_>>>();
        Some(match self {
            PyValue::None => Canon::None,
            PyValue::Bool(b) => Canon::Num(BigRational::from_integer(BigInt::from(u8::from(*b)))),
            PyValue::Int(i) => Canon::Num(BigRational::from_integer(i.clone())),
            PyValue::Float(f) if f.is_nan() => return None,
            PyValue::Float(f) if *f == f64::INFINITY => Canon::PosInf,
            PyValue::Float(f) if *f == f64::NEG_INFINITY => Canon::NegInf,
            PyValue::Float(f) => Canon::Num(BigRational::from_float(*f)?),
            PyValue::Str(s) => Canon::Str(s.clone()),
            PyValue::List(items) => Canon::List(all(items)?),
            PyValue::Tuple(items) => Canon::Tuple(all(items)?),
            PyValue::Set(items) => {
                let mut v = all(items)?;
                v.sort();
                v.dedup();
                Canon::Set(v)
            }
            PyValue::Dict(pairs) => {
                let mut v = pairs
                    .iter()
                    .map(|(k, x)| Some((k.canon()?, x.canon()?)))
                    .collect::<Option<Vec<_>>>()?;
                v.sort();
                Canon::Dict(v)
            }
            PyValue::Other(_) => return None,
        })
    }

    /// Python's `self == other` for builtin values; `false` whenever either is not builtin.
    pub(super) fn py_eq(&self, other: &PyValue) -> bool {
        match (self.canon(), other.canon()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// Python's `bool(self)`; `None` for a value that is not builtin.
    pub(super) fn truthy(&self) -> Option<bool> {
        Some(match self {
            PyValue::None => false,
            PyValue::Bool(b) => *b,
            PyValue::Int(i) => !i.is_zero(),
            PyValue::Float(f) => *f != 0.0,
            PyValue::Str(s) => !s.is_empty(),
            PyValue::List(v) | PyValue::Tuple(v) | PyValue::Set(v) => !v.is_empty(),
            PyValue::Dict(v) => !v.is_empty(),
            PyValue::Other(_) => return None,
        })
    }

    /// `abs(self - other) < tol` for numbers, as Python computes it (exactly for two ints).
    pub(super) fn close_to(&self, other: &PyValue, tol: f64) -> bool {
        let int = |v: &PyValue| match v {
            PyValue::Bool(b) => Some(BigInt::from(u8::from(*b))),
            PyValue::Int(i) => Some(i.clone()),
            _ => None,
        };
        let float = |v: &PyValue| match v {
            PyValue::Float(f) => Some(*f),
            _ => int(v).and_then(|i| i.to_f64()),
        };
        if let (Some(a), Some(b)) = (int(self), int(other)) {
            let diff = (a - b).magnitude().to_f64().unwrap_or(f64::INFINITY);
            return diff < tol;
        }
        match (float(self), float(other)) {
            (Some(a), Some(b)) => (a - b).abs() < tol,
            _ => false,
        }
    }

    /// Whether this is exactly `True`, `False` or `None` as `expected` is (Python's `is` on
    /// those singletons).
    pub(super) fn is_same_singleton(&self, expected: &PyValue) -> bool {
        matches!(
            (self, expected),
            (PyValue::None, PyValue::None)
                | (PyValue::Bool(true), PyValue::Bool(true))
                | (PyValue::Bool(false), PyValue::Bool(false))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(j: Value) -> PyValue {
        PyValue::decode(&j).unwrap_or_else(|| panic!("cannot decode {j}"))
    }

    #[test]
    fn equality_follows_python() {
        let one = v(json!({"int": "1"}));
        assert!(one.py_eq(&v(json!({"float": "1.0"}))));
        assert!(one.py_eq(&v(json!(true))));
        assert!(!one.py_eq(&v(json!("1"))));
        assert!(!v(json!({"float": "0.1"})).py_eq(&v(json!({"float": "0.1000000000000001"}))));
        assert!(v(json!({"float": "-0.0"})).py_eq(&v(json!({"int": "0"}))));
        let nan = v(json!({"float": "nan"}));
        assert!(!nan.py_eq(&nan));
        assert!(v(json!({"float": "inf"})).py_eq(&v(json!({"float": "inf"}))));
        // A list is never a tuple; a set equals a frozenset in any order.
        let list = v(json!([{"int": "1"}, {"int": "2"}]));
        assert!(!list.py_eq(&v(json!({"tuple": [{"int": "1"}, {"int": "2"}]}))));
        assert!(v(json!({"set": ["a", "b"]})).py_eq(&v(json!({"frozenset": ["b", "a"]}))));
        let d1 = v(json!({"dict": [["a", {"int": "1"}], [{"int": "2"}, null]]}));
        let d2 = v(json!({"dict": [[{"float": "2.0"}, null], ["a", true]]}));
        assert!(d1.py_eq(&d2));
        let big = "1".repeat(200);
        assert!(v(json!({"int": big})).py_eq(&v(json!({"int": big}))));
        let other = v(json!({"other": "Liar", "repr": "<Liar>"}));
        assert!(!other.py_eq(&other));
        assert_eq!(other.truthy(), None);
    }

    #[test]
    fn truthiness_closeness_and_singletons() {
        assert_eq!(v(json!({"int": "0"})).truthy(), Some(false));
        assert_eq!(v(json!({"float": "nan"})).truthy(), Some(true));
        assert_eq!(v(json!({"tuple": []})).truthy(), Some(false));
        assert!(v(json!({"float": "0.3300000001"})).close_to(&v(json!({"float": "0.33"})), 1e-6));
        assert!(!v(json!({"int": "1"})).close_to(&v(json!({"float": "1.1"})), 1e-6));
        assert!(v(json!(true)).is_same_singleton(&PyValue::Bool(true)));
        assert!(!v(json!({"int": "1"})).is_same_singleton(&PyValue::Bool(true)));
        assert_eq!(PyValue::decode(&json!({"int": "x"})), None);
        assert_eq!(PyValue::decode(&json!({"weird": 1})), None);
    }
}
