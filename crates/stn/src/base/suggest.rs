//! "Did you mean ...?": the known name closest to a mistyped one.
//!
//! One rule for every kind of name (values in scope, builtins, reductions,
//! modes, dtypes, keywords of the Python binding): a candidate is offered
//! when it is close by Jaro-Winkler similarity (`strsim`; the measure and
//! threshold clap uses for its own suggestions) or one edit away (a letter
//! changed, added, dropped or two swapped: `f23` finds `f32`, which is too
//! short for Jaro-Winkler). So `totl` finds `total` and `refelct` finds
//! `reflect`, while `k` finds nothing among long names. The fewest edits
//! win, then the most similar.

/// The smallest Jaro-Winkler similarity offered (clap's threshold).
const THRESHOLD: f64 = 0.7;

/// The candidate most like `name`, when one is close enough and is not
/// `name` itself.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| {
            (
                strsim::osa_distance(name, c),
                strsim::jaro_winkler(name, c),
                c,
            )
        })
        .filter(|&(edits, similar, _)| similar > THRESHOLD || (edits == 1 && name.len() > 1))
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_offered_and_far_ones_not() {
        assert_eq!(closest("totl", ["total", "x", "alpha"]), Some("total"));
        assert_eq!(
            closest("refelct", ["reflect", "mirror", "wrap"]),
            Some("reflect")
        );
        assert_eq!(closest("f23", ["f32", "f64", "i32"]), Some("f32"));
        assert_eq!(closest("k", ["reflect", "nearest"]), None);
        assert_eq!(closest("wrap", ["wrap"]), None);
    }
}
