//! Which words after an answer are units.
//!
//! Free text reads a word of four letters or more as a unit unless a list says it changes,
//! scales or retracts the value ([`super::unit_word`]); [`CHANGES_VALUE`] is the part of
//! those lists that a sixth review, of rewards, found missing. A reward's answer line reads
//! only the units of [`KNOWN_UNITS`] (or the gold's own unit): there, any other word is one a
//! model could learn to append (`Answer: 3 disregard this`).

/// Words after a number that change, scale or retract it besides the cardinals (`3 four`):
/// multipliers (`3 tens`), bases (`11 ternary`), angle units other than degrees and radians,
/// and retractions said as a trailing word.
pub(super) const CHANGES_VALUE: &[&str] = &[
    // Cardinals are number words (`words::number_word`); these are not among them.
    "zero",
    "naught",
    "nought",
    // Multipliers and fractions.
    "tens",
    "scores",
    "twelves",
    "halfs",
    "grosses",
    "permil",
    "permils",
    "pairs",
    "brace",
    "braces",
    "couple",
    "triplets",
    "quintillion",
    "sextillion",
    // Bases.
    "base",
    "binary",
    "ternary",
    "quaternary",
    "quinary",
    "senary",
    "septenary",
    "octal",
    "nonary",
    "decimal",
    "undecimal",
    "duodecimal",
    "hexadecimal",
    "vigesimal",
    "sexagesimal",
    "notation",
    "radix",
    // Angle units that are not degrees or radians.
    "gradian",
    "gradians",
    "grad",
    "grads",
    "gons",
    "turn",
    "turns",
    "revolution",
    "revolutions",
    "arcminute",
    "arcminutes",
    "arcsecond",
    "arcseconds",
    "mils",
    // Retractions and hedges said after the value.
    "disregard",
    "ignore",
    "ignored",
    "strike",
    "scratch",
    "erroneous",
    "typo",
    "uncertain",
    "random",
    "placeholder",
    "untrue",
    "withdrawn",
    "falsch",
    "faux",
    "guess",
    "guessed",
    "unsure",
    "unverified",
    "invalid",
    "bogus",
    "dummy",
    "this",
    "that",
    "these",
    "those",
    "wait",
    "kidding",
    "joking",
    "joke",
    "retract",
    "retracted",
    "void",
    "null",
    "none",
    "unknown",
    "tentative",
    "tentatively",
    "provisional",
    "pending",
    "draft",
    "filler",
    "coin",
    "flip",
    "flips",
    "dice",
    "lottery",
];

/// The units a reward's answer line may carry, lower case and singular (`units` and `cms`
/// match through [`known_unit`]).
const KNOWN_UNITS: &[&str] = &[
    "m",
    "cm",
    "mm",
    "km",
    "nm",
    "um",
    "µm",
    "meter",
    "metre",
    "centimeter",
    "centimetre",
    "millimeter",
    "millimetre",
    "kilometer",
    "kilometre",
    "g",
    "kg",
    "mg",
    "gram",
    "kilogram",
    "milligram",
    "tonne",
    "ton",
    "lb",
    "lbs",
    "oz",
    "pound",
    "ounce",
    "s",
    "sec",
    "second",
    "ms",
    "min",
    "minute",
    "h",
    "hr",
    "hour",
    "day",
    "week",
    "month",
    "year",
    "in",
    "inch",
    "ft",
    "foot",
    "feet",
    "yd",
    "yard",
    "mi",
    "mile",
    "l",
    "ml",
    "liter",
    "litre",
    "milliliter",
    "millilitre",
    "gallon",
    "quart",
    "pint",
    "cup",
    "mph",
    "kph",
    "kmh",
    "deg",
    "degree",
    "°",
    "rad",
    "radian",
    "dollar",
    "cent",
    "euro",
    "unit",
    "square",
    "sq",
    "cubic",
    "cm²",
    "m²",
    "km²",
    "mm²",
    "cm³",
    "m³",
    "cm^2",
    "m^2",
    "km^2",
    "cm^3",
    "m^3",
    "ft^2",
    "in^2",
    "newton",
    "joule",
    "watt",
    "volt",
    "ampere",
    "ohm",
    "pascal",
    "kelvin",
    "celsius",
    "fahrenheit",
    "hz",
    "hertz",
    "kwh",
    "calorie",
    "mol",
    "mole",
    "point",
];

/// Whether every word of `unit` is a known unit (lower case; a plural `s` or `es` aside).
pub(crate) fn known_unit(unit: &str) -> bool {
    let words: Vec<String> = unit
        .split_whitespace()
        .map(|w| w.trim_end_matches('.').to_lowercase())
        .collect();
    !words.is_empty()
        && words.iter().all(|w| {
            let singular = [w.strip_suffix("es"), w.strip_suffix('s')];
            KNOWN_UNITS.contains(&w.as_str())
                || singular
                    .into_iter()
                    .flatten()
                    .any(|s| !s.is_empty() && KNOWN_UNITS.contains(&s))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_units_and_others() {
        for unit in [
            "cm",
            "meters",
            "square meters",
            "inches",
            "Dollars",
            "hours",
            "kg",
            "°",
        ] {
            assert!(known_unit(unit), "{unit}");
        }
        for unit in [
            "tens",
            "disregard this",
            "apples",
            "ternary",
            "four",
            "k",
            "",
        ] {
            assert!(!known_unit(unit), "{unit}");
        }
    }
}
