//! The filter language's words: names, quoted strings, numbers, operators and brackets, each
//! with the column it starts at, so a mistake points where it is.

use super::filter::{FilterError, Op};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Token {
    Word(String),
    Quoted(String),
    Number(f64),
    Op(Op),
    Open,
    Close,
    Comma,
}

/// (token, 1-based column where it starts).
pub(super) fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two = |next: char| chars.get(i + 1) == Some(&next);
        let (token, width) = match c {
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            ',' => (Token::Comma, 1),
            '=' if two('=') => (Token::Op(Op::Eq), 2),
            '=' => (Token::Op(Op::Eq), 1),
            '!' if two('=') => (Token::Op(Op::Ne), 2),
            '<' if two('>') => (Token::Op(Op::Ne), 2),
            '<' if two('=') => (Token::Op(Op::Le), 2),
            '<' => (Token::Op(Op::Lt), 1),
            '>' if two('=') => (Token::Op(Op::Ge), 2),
            '>' => (Token::Op(Op::Gt), 1),
            '"' | '\'' => {
                let mut value = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(FilterError {
                                column,
                                message: format!("this string is never closed; expected a {c}"),
                            });
                        }
                        // A doubled quote stands for one, as in SQL.
                        Some(&q) if q == c && chars.get(j + 1) == Some(&c) => {
                            value.push(c);
                            j += 2;
                        }
                        Some(&q) if q == c => break,
                        Some(&other) => {
                            value.push(other);
                            j += 1;
                        }
                    }
                }
                (Token::Quoted(value), j + 1 - i)
            }
            c if c.is_ascii_digit() || (c == '-' || c == '.') && next_is_digit(&chars, i) => {
                let mut j = i + 1;
                // Digits, letters (1e-3, and a mistyped 12abc that the parse below names), dots,
                // and a sign only right after an exponent's e.
                while j < chars.len() {
                    let c = chars[j];
                    let sign_of_exponent =
                        matches!(c, '+' | '-') && matches!(chars[j - 1], 'e' | 'E');
                    if c.is_ascii_alphanumeric() || c == '.' || sign_of_exponent {
                        j += 1;
                    } else {
                        break;
                    }
                }
                let text: String = chars[i..j].iter().collect();
                let number = text.parse::<f64>().map_err(|_| FilterError {
                    column,
                    message: format!("'{text}' is not a number"),
                })?;
                (Token::Number(number), j - i)
            }
            c if c.is_alphabetic() || c == '_' || c == '`' => {
                let (word, width) =
                    read_word(&chars, i).map_err(|message| FilterError { column, message })?;
                (Token::Word(word), width)
            }
            other => {
                return Err(FilterError {
                    column,
                    message: format!(
                        "unexpected '{other}'; expected a field, a value, an operator \
                         (= != < <= > >=), like, in, and, or, or a parenthesis"
                    ),
                });
            }
        };
        tokens.push((token, column));
        i += width;
    }
    Ok(tokens)
}

fn next_is_digit(chars: &[char], i: usize) -> bool {
    chars
        .get(i + 1)
        .is_some_and(|c| c.is_ascii_digit() || *c == '.')
}

/// A word: letters, digits, `_`, `.`, `-`, and backquoted parts (`` metrics.`val loss` ``).
fn read_word(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let mut word = String::new();
    let mut j = start;
    while j < chars.len() {
        let c = chars[j];
        if c == '`' {
            let close = chars[j + 1..]
                .iter()
                .position(|&q| q == '`')
                .ok_or("a backquoted name is never closed; expected a `")?;
            word.extend(&chars[j + 1..j + 1 + close]);
            j += close + 2;
        } else if c.is_alphanumeric() || matches!(c, '_' | '.' | '-') {
            word.push(c);
            j += 1;
        } else {
            break;
        }
    }
    Ok((word, j - start))
}
