//! Strings from a policy that are matched against a request: wildcards
//! (`*` any run of characters, `?` one character) and policy variables
//! (`${aws:username}`), compiled once when the policy is parsed.
//!
//! Three ways of matching share one matcher:
//! - **plain** (actions, `StringLike`): `*` and `?` match any character;
//! - **ARN** (Resource, `ArnLike`): a `*` that ends a colon-separated segment
//!   (followed by `:` or by nothing) matches across colons, any other `*` or
//!   `?` stays inside its segment, as IAM's Resource documentation describes;
//! - **exact** (`StringEquals`, `Bool`): no wildcards; `*` is a character.
//!
//! A variable's value from the request is always literal text: a user named
//! `a*` does not become a wildcard. `${*}`, `${?}` and `${$}` write those
//! characters literally. `${key, 'default'}` falls back to the default when
//! the key is absent; without a default an absent (or multi-valued) key makes
//! the string match nothing.

use crate::request::{Context, ContextValue};

/// What a policy string may contain.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntax {
    pub wildcards: bool,
    pub variables: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Star,
    One,
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A compiled policy string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pattern {
    pieces: Vec<Piece>,
}

/// One step of a resolved pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Char(char),
    Star,
    One,
}

impl Pattern {
    /// Compiles `text`; the error is the text of an unclosed `${`.
    pub(crate) fn compile(text: &str, syntax: Syntax) -> Result<Pattern, String> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if syntax.variables && rest.starts_with("${") {
                let Some(end) = rest.find('}') else {
                    return Err(text.to_owned());
                };
                let inner = &rest[2..end];
                rest = &rest[end + 1..];
                match inner.trim() {
                    escaped @ ("*" | "?" | "$") => literal.push_str(escaped),
                    body => {
                        flush(&mut literal, &mut pieces);
                        pieces.push(variable(body).ok_or_else(|| text.to_owned())?);
                    }
                }
                continue;
            }
            rest = &rest[c.len_utf8()..];
            match c {
                '*' if syntax.wildcards => {
                    flush(&mut literal, &mut pieces);
                    pieces.push(Piece::Star);
                }
                '?' if syntax.wildcards => {
                    flush(&mut literal, &mut pieces);
                    pieces.push(Piece::One);
                }
                c => literal.push(c),
            }
        }
        flush(&mut literal, &mut pieces);
        Ok(Pattern { pieces })
    }

    /// The pattern as text, variables filled in from `context` (for patterns
    /// compiled without wildcards); `None` when a variable has no value.
    pub(crate) fn text(&self, context: &Context) -> Option<String> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Star => out.push('*'),
                Piece::One => out.push('?'),
                Piece::Var { key, default } => {
                    out.push_str(lookup(context, key, default.as_deref())?)
                }
            }
        }
        Some(out)
    }

    /// Plain matching; `fold` compares case-insensitively.
    pub(crate) fn matches(&self, text: &str, context: &Context, fold: bool) -> bool {
        self.run(text, context, fold, false)
    }

    /// ARN matching (segment-aware stars), case-sensitive.
    pub(crate) fn matches_arn(&self, text: &str, context: &Context) -> bool {
        self.run(text, context, false, true)
    }

    fn run(&self, text: &str, context: &Context, fold: bool, arn: bool) -> bool {
        let Some(toks) = self.resolve(context, fold) else {
            return false;
        };
        let chars: Vec<char> = if fold {
            text.to_lowercase().chars().collect()
        } else {
            text.chars().collect()
        };
        glob(&toks, &chars, arn)
    }

    fn resolve(&self, context: &Context, fold: bool) -> Option<Vec<Tok>> {
        let mut toks = Vec::new();
        let push_text = |toks: &mut Vec<Tok>, text: &str| {
            if fold {
                toks.extend(text.to_lowercase().chars().map(Tok::Char));
            } else {
                toks.extend(text.chars().map(Tok::Char));
            }
        };
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => push_text(&mut toks, text),
                Piece::Star => toks.push(Tok::Star),
                Piece::One => toks.push(Tok::One),
                Piece::Var { key, default } => {
                    push_text(&mut toks, lookup(context, key, default.as_deref())?)
                }
            }
        }
        Some(toks)
    }
}

fn flush(literal: &mut String, pieces: &mut Vec<Piece>) {
    if !literal.is_empty() {
        pieces.push(Piece::Text(std::mem::take(literal)));
    }
}

/// `key` or `key, 'default'` (a quote inside the default is written `''`).
fn variable(body: &str) -> Option<Piece> {
    let (key, default) = match body.split_once(',') {
        None => (body.trim(), None),
        Some((key, default)) => {
            let quoted = default.trim().strip_prefix('\'')?.strip_suffix('\'')?;
            (key.trim(), Some(quoted.replace("''", "'")))
        }
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    Some(Piece::Var {
        key: key.to_lowercase(),
        default,
    })
}

fn lookup<'a>(context: &'a Context, key: &str, default: Option<&'a str>) -> Option<&'a str> {
    match context.lookup(key) {
        Some(ContextValue::One(value)) => Some(value),
        Some(ContextValue::Many(_)) | None => default,
    }
}

/// Whether `pat` matches all of `text`, by dynamic programming over
/// (pattern prefix, text prefix): pattern length × text length steps,
/// whatever the stars (no backtracking blow-up).
fn glob(pat: &[Tok], text: &[char], arn: bool) -> bool {
    let n = text.len();
    let mut row = vec![false; n + 1];
    row[0] = true;
    for (i, tok) in pat.iter().enumerate() {
        let mut next = vec![false; n + 1];
        match tok {
            Tok::Star => {
                let spans = !arn || matches!(pat.get(i + 1), None | Some(Tok::Char(':')));
                let mut reachable = false;
                for j in 0..=n {
                    reachable |= row[j];
                    next[j] = reachable;
                    if j < n && !spans && text[j] == ':' {
                        reachable = false;
                    }
                }
            }
            Tok::One => {
                for j in 1..=n {
                    next[j] = row[j - 1] && !(arn && text[j - 1] == ':');
                }
            }
            Tok::Char(c) => {
                for j in 1..=n {
                    next[j] = row[j - 1] && text[j - 1] == *c;
                }
            }
        }
        if !next.contains(&true) {
            return false;
        }
        row = next;
    }
    row[n]
}

#[cfg(test)]
mod tests {
    use super::*;

    const WILD: Syntax = Syntax {
        wildcards: true,
        variables: true,
    };
    const EXACT: Syntax = Syntax {
        wildcards: false,
        variables: true,
    };

    fn pattern(text: &str, syntax: Syntax) -> Pattern {
        Pattern::compile(text, syntax).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn plain(p: &str, text: &str) -> bool {
        pattern(p, WILD).matches(text, &Context::default(), false)
    }

    fn arn(p: &str, text: &str) -> bool {
        pattern(p, WILD).matches_arn(text, &Context::default())
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(plain("*", ""));
        assert!(plain("*", "anything:at/all"));
        assert!(plain("ecr:Get*", "ecr:GetAuthorizationToken"));
        assert!(plain("ecr:*Image*", "ecr:BatchGetImage"));
        assert!(!plain("ecr:Get*", "ecr:BatchGetImage"));
        assert!(plain("a?c", "abc"));
        assert!(!plain("a?c", "ac"));
        assert!(plain("*a*a*a*", "banana-a"));
        assert!(!plain("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(!plain("abc", "abcd"));
    }

    #[test]
    fn folding_is_for_both_sides() {
        let p = pattern("ECR:getImage*", WILD);
        assert!(p.matches("ecr:GETIMAGES", &Context::default(), true));
        assert!(!p.matches("ecr:GETIMAGES", &Context::default(), false));
    }

    #[test]
    fn arn_stars_stay_in_their_segment_unless_they_end_it() {
        let repo = "arn:aws:ecr:us-east-1:123456789012:repository/team/web";
        assert!(arn("arn:aws:ecr:*:123456789012:repository/*", repo));
        assert!(arn(
            "arn:aws:ecr:us-*-1:123456789012:repository/team/*",
            repo
        ));
        assert!(
            arn("arn:aws:ecr:*", repo),
            "a final * spans the remaining segments"
        );
        assert!(arn("*", repo));
        // A star inside a segment does not swallow a colon.
        assert!(!arn(
            "arn:aws:ecr:us*1:123456789012:repository/team/web",
            "arn:aws:ecr:us:x:1:123456789012:repository/team/web"
        ));
        assert!(!arn(
            "arn:aws:e?r:us-east-1:123456789012:repository/*",
            "arn:aws:e:r:us-east-1:123456789012:repository/a"
        ));
        assert!(arn(
            "arn:aws:logs:us-east-1:1:log-group:app:*",
            "arn:aws:logs:us-east-1:1:log-group:app:log-stream:x"
        ));
        // Case matters in ARNs.
        assert!(!arn(
            "arn:aws:ecr:*:123456789012:repository/Web",
            "arn:aws:ecr:us-east-1:123456789012:repository/web"
        ));
    }

    #[test]
    fn exact_patterns_take_stars_literally() {
        let p = pattern("a*b", EXACT);
        assert_eq!(p.text(&Context::default()).as_deref(), Some("a*b"));
    }

    #[test]
    fn variables_are_filled_in_literally() {
        let mut context = Context::default();
        context.insert("aws:username", "a*");
        context.insert("aws:TagKeys", vec!["x", "y"]);
        let home = pattern("arn:aws:s3:::bucket/${aws:username}/*", WILD);
        assert!(home.matches_arn("arn:aws:s3:::bucket/a*/notes.txt", &context));
        assert!(
            !home.matches_arn("arn:aws:s3:::bucket/abc/notes.txt", &context),
            "the value's * is literal"
        );

        let upper = pattern("${AWS:UserName}", EXACT);
        assert_eq!(
            upper.text(&context).as_deref(),
            Some("a*"),
            "keys are case-insensitive"
        );
        assert_eq!(pattern("${aws:missing}", EXACT).text(&context), None);
        assert_eq!(
            pattern("${aws:TagKeys}", EXACT).text(&context),
            None,
            "multi-valued keys do not resolve"
        );
        let default = pattern("team-${ aws:missing , 'it''s' }", EXACT);
        assert_eq!(default.text(&context).as_deref(), Some("team-it's"));
        assert_eq!(
            pattern("${*}${?}${$}", WILD).text(&context).as_deref(),
            Some("*?$")
        );
        assert!(pattern("${*}", WILD).matches("*", &context, false));
        assert!(!pattern("${*}", WILD).matches("x", &context, false));
    }

    #[test]
    fn variables_need_their_syntax() {
        assert!(Pattern::compile("${aws:username", WILD).is_err());
        assert!(Pattern::compile("${}", WILD).is_err());
        assert!(Pattern::compile("${a, b}", WILD).is_err());
        // Without variables (policy version 2008-10-17) the text is literal.
        let literal = pattern(
            "${aws:username",
            Syntax {
                wildcards: false,
                variables: false,
            },
        );
        assert_eq!(
            literal.text(&Context::default()).as_deref(),
            Some("${aws:username")
        );
    }
}
