//! Records as JSON text (an HTTP body, `predict --record`), parsed the one way: a number too
//! large for f64 (`1e400`) is kept as text so the field parser names its field and says it is
//! out of range, where serde_json alone would refuse the whole body without saying where.

use serde_json::Value;

/// `body` as JSON, or why not. serde_json refuses a number beyond f64 (`1e400`) while it
/// parses, before any field is known; such numbers are quoted and the body parsed again, so the
/// record parser can name the field and say the number is out of range.
pub fn parse_record_json(body: &[u8]) -> Result<Value, String> {
    match serde_json::from_slice(body) {
        Ok(value) => Ok(value),
        Err(error) => quote_infinite_numbers(body)
            .and_then(|quoted| serde_json::from_slice(&quoted).ok())
            .ok_or_else(|| format!("not JSON: {error}")),
    }
}

/// `body` with every number token that overflows f64 put in quotes, or `None` if it has none.
/// A token is what JSON allows in a number, outside strings; nothing else is touched.
fn quote_infinite_numbers(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() + 16);
    let mut changed = false;
    let mut i = 0;
    while i < body.len() {
        let byte = body[i];
        if byte == b'"' {
            let start = i;
            i += 1;
            while i < body.len() {
                match body[i] {
                    b'\\' => i += 2,
                    b'"' => {
                        i += 1;
                        break;
                    }
                    _ => i += 1,
                }
            }
            out.extend_from_slice(&body[start..i.min(body.len())]);
        } else if byte == b'-' || byte.is_ascii_digit() {
            let start = i;
            while i < body.len() && is_number_byte(body[i]) {
                i += 1;
            }
            let token = &body[start..i];
            let infinite = std::str::from_utf8(token)
                .ok()
                .and_then(|text| text.parse::<f64>().ok())
                .is_some_and(f64::is_infinite);
            if infinite {
                out.push(b'"');
                out.extend_from_slice(token);
                out.push(b'"');
                changed = true;
            } else {
                out.extend_from_slice(token);
            }
        } else {
            out.push(byte);
            i += 1;
        }
    }
    changed.then_some(out)
}

fn is_number_byte(byte: u8) -> bool {
    matches!(byte, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_overflowing_numbers_outside_strings_are_quoted() {
        let body = br#"{"a":1e400,"b":"1e400","c":-2E+999,"d":1.5,"e":"x\"1e999"}"#;
        let quoted = quote_infinite_numbers(body).map(|q| String::from_utf8_lossy(&q).into_owned());
        assert_eq!(
            quoted.as_deref(),
            Some(r#"{"a":"1e400","b":"1e400","c":"-2E+999","d":1.5,"e":"x\"1e999"}"#)
        );
        assert_eq!(quote_infinite_numbers(br#"{"a":1e39}"#), None);
    }
}
